import { readRss } from './proc.js';

/**
 * Samples a process's RSS from /proc every `intervalMs` and keeps the peak. WHY from /proc and not over
 * IPC: a server deep in a flood answers IPC late, which is exactly when the peak happens.
 * Past `guard` bytes it calls `onGuard` once (the runner kills the target there).
 */
export class RssSampler {
  peak = 0;
  samples = 0;
  private timer: NodeJS.Timeout | undefined;
  private tripped = false;

  constructor(
    private readonly pid: number,
    private readonly guard: number,
    private readonly onGuard: (rss: number) => void,
    private readonly intervalMs = 50,
  ) {}

  start(): void {
    this.sample();
    this.timer = setInterval(() => this.sample(), this.intervalMs);
  }

  /** Stops sampling (after one last sample) and returns the peak. */
  stop(): number {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    this.sample();
    return this.peak;
  }

  private sample(): void {
    const rss = readRss(this.pid);
    if (rss === undefined) return;
    this.samples++;
    if (rss > this.peak) this.peak = rss;
    if (rss > this.guard && !this.tripped) {
      this.tripped = true;
      this.onGuard(rss);
    }
  }
}
