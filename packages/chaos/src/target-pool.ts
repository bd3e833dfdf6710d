import { startTarget, type Target, type TargetId } from './target-process.js';
import type { TargetKnobs } from './targets/knobs.js';

/**
 * Keeps the next target process starting while the current case winds down. WHY: a Node process takes
 * a good part of a second to start on a busy machine, and the quick form runs a fresh target for every
 * case; started once the attack is over, the spare costs the measured target nothing (its RSS and CPU are
 * its own) and the next case starts at once.
 */
export class TargetPool {
  private readonly spares = new Map<TargetId, Promise<Target>>();

  constructor(private readonly knobs: TargetKnobs) {}

  /** Starts a spare of `id` in the background, unless one is already there. */
  prepare(id: TargetId): void {
    if (this.spares.has(id)) return;
    const starting = startTarget(id, this.knobs);
    // A spare that fails to start reports its error to whoever takes it, not as an unhandled rejection.
    starting.catch(() => {});
    this.spares.set(id, starting);
  }

  /** Puts an already running target aside as the spare of its kind. */
  keep(target: Target): void {
    if (this.spares.has(target.id)) void target.stop();
    else this.spares.set(target.id, Promise.resolve(target));
  }

  /** The spare of `id` if there is one (started or starting), else a target started now. */
  take(id: TargetId): Promise<Target> {
    const spare = this.spares.get(id);
    this.spares.delete(id);
    return spare ?? startTarget(id, this.knobs);
  }

  /** Stops every spare. */
  async close(): Promise<void> {
    const spares = [...this.spares.values()];
    this.spares.clear();
    await Promise.all(
      spares.map((s) =>
        s.then(
          (t) => t.stop(),
          () => {},
        ),
      ),
    );
  }
}
