import type { BrowserSession } from './engines/engine.js';

/** Default budget for one scenario, including 16 MiB echoes on a busy 2-core machine. */
export const SCENARIO_TIMEOUT_MS = 90_000;

/**
 * Runs a named scenario from the page bundle and returns its value, or throws the page's error with the
 * engine name in front.
 */
export async function runScenario<T>(
  session: BrowserSession,
  name: string,
  arg: unknown,
  timeoutMs = SCENARIO_TIMEOUT_MS,
): Promise<T> {
  const expression = `globalThis.wstsE2E.call(${JSON.stringify(name)}, ${JSON.stringify(JSON.stringify(arg))})`;
  const text = await session.evaluate(expression, timeoutMs);
  const result = JSON.parse(text) as { ok: true; value: T } | { ok: false; error: string };
  if (!result.ok) throw new Error(`${session.engine}: scenario ${name} failed in the page: ${result.error}`);
  return result.value;
}
