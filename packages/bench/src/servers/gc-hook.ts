/**
 * Preloaded (`node --expose-gc --import <this>`) into every server under test, ours and ws's alike, so
 * the memory rows can force a collection without either server knowing about the benchmark: on SIGUSR2
 * it collects and prints one line the orchestrator waits for. SIGUSR1 is Node's inspector signal, hence 2.
 */
const gc = (globalThis as { gc?: () => void }).gc;

process.on('SIGUSR2', () => {
  // Twice, with a turn of the event loop between, so objects freed by finalizers of the first pass go too.
  gc?.();
  setImmediate(() => {
    gc?.();
    process.stdout.write(`bench-gc-done rss=${process.memoryUsage().rss} gc=${gc ? 'yes' : 'no'}\n`);
  });
});
