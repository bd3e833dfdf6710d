import type { TargetKnobs } from './targets/knobs.js';
import { GiB, KiB, MiB } from './units.js';

export type Form = 'quick' | 'full';

/** Everything a run is configured with, printed at its top so a table can be read against it. */
export interface Settings {
  form: Form;
  knobs: TargetKnobs;
  /**
   * What RSS may grow by above the memory budget before a case counts as unbounded growth:
   * `fixed` plus `perConnection` for every attacker connection open at the same time.
   */
  slack: { fixed: number; perConnection: number };
  /** A target whose RSS passes this is killed on the spot (and the case fails), so no case can take the machine down. */
  rssGuard: number;
  /** Longest time the canary may wait for an echo while attackers are active. */
  canaryStallMs: number;
  /** Extra time allowed on top of each timeout before a socket counts as never released. */
  releaseMarginMs: number;
  /** Seed of every pseudo-random choice (random frames), so a run can be replayed. */
  seed: number;
}

/**
 * The quick form's timeouts are shorter so that the whole set fits well under a minute; the full form uses
 * the values the issue suggests. The budget is the same in both: it is what the growth check is against.
 */
export function settingsFor(form: Form, seed = 0x5eed): Settings {
  const quick = form === 'quick';
  return {
    form,
    knobs: {
      memoryBudget: 64 * MiB,
      maxBufferedAmount: 16 * MiB,
      maxMessageSize: quick ? 16 * MiB : 64 * MiB,
      maxFragments: 16384,
      handshakeTimeout: quick ? 500 : 1000,
      closeTimeout: quick ? 1000 : 2000,
      heartbeatInterval: quick ? 1000 : 2000,
      messageTimeout: quick ? 1000 : 2000,
    },
    // WHY this much: the budget counts bytes the server holds on purpose, not V8's young generation
    // (by default tens of MiB that fill with garbage between scavenges), allocator slop, or the socket,
    // parser and connection objects every open connection costs (the bench's idle-connection row
    // measures that cost; 16 KiB is above it).
    slack: { fixed: 64 * MiB, perConnection: 16 * KiB },
    rssGuard: 1.5 * GiB,
    canaryStallMs: quick ? 2000 : 3000,
    releaseMarginMs: 1000,
    seed,
  };
}

/** Longest a socket may survive its attacker going away: two heartbeats, then a closing handshake. */
export function releaseBoundMs(settings: Settings): number {
  return 2 * settings.knobs.heartbeatInterval + settings.knobs.closeTimeout + settings.releaseMarginMs;
}
