/**
 * Preloaded into every server under test, ours, ws's and Bun's alike (`node --expose-gc --import <this>`,
 * `bun --preload <this>`), so the memory rows can force a collection without any server knowing about the
 * benchmark: on SIGUSR2 it collects and prints one line the orchestrator waits for. SIGUSR1 is Node's
 * inspector signal, hence 2. Under Bun, `Bun.gc(true)` is the full synchronous collection.
 */
const bun = (globalThis as { Bun?: { gc(force: boolean): void } }).Bun;
const gc = bun ? () => bun.gc(true) : (globalThis as { gc?: () => void }).gc;

process.on('SIGUSR2', () => {
  // Twice, with a turn of the event loop between, so objects freed by finalizers of the first pass go too.
  gc?.();
  setImmediate(() => {
    gc?.();
    process.stdout.write(`bench-gc-done rss=${process.memoryUsage().rss} gc=${gc ? 'yes' : 'no'}\n`);
  });
});
