/**
 * Runs `task(0..count-1)` with at most `concurrency` in flight, stopping early once `until` (epoch ms)
 * passes. Resolves with how many tasks ran. A task's rejection is its own business: it is swallowed here,
 * so one refused connection does not abort a churn of thousands (tasks count their own failures).
 */
export async function inLanes(
  count: number,
  concurrency: number,
  until: number,
  task: (index: number) => Promise<void>,
): Promise<number> {
  let next = 0;
  let ran = 0;
  async function lane(): Promise<void> {
    while (next < count && Date.now() < until) {
      const index = next++;
      ran++;
      await task(index).catch(() => {});
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, lane));
  return ran;
}

/**
 * A source address for connection `index`, cycling over 127.0.0.2-127.0.0.9: each has its own ephemeral
 * port range towards the target, so ten thousand sockets (and their TIME_WAIT leftovers) never run one out.
 */
export function sourceAddress(index: number): string {
  return `127.0.0.${2 + (index % 8)}`;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}
