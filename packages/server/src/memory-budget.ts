/**
 * A server-wide cap on what all connections together hold in memory: bytes queued for the wire (with
 * the per-write overhead), partly received messages, messages waiting for an async decode. Each
 * connection holds its own limits; the budget is what stops many connections, each within its limits,
 * from adding up to more than the process can hold.
 * @module
 */
import { getHeapStatistics } from 'node:v8';
import { debug, debugEnabled } from './debug.js';

/** A connection as the budget sees it. */
export interface BudgetMember {
  /** Bytes this connection holds now, outgoing and incoming (computed, never cached). */
  memoryUsage(): { outgoing: number; incoming: number };
  /** Stop (true) or restart (false) reading from the peer: the budget's first resort. */
  budgetPause(paused: boolean): void;
  /** Close the connection with 1013 and release what it holds: the budget's last resort. */
  budgetClose(): void;
}

/** What {@link MemoryBudget.snapshot} reports (the server's `memory` getter). */
export interface MemoryReport {
  /** The budget in bytes. */
  budget: number;
  /** Bytes held by all connections together, as last counted (`outgoing + incoming`). */
  used: number;
  /** Of `used`: queued for the wire, including the estimated cost of each queued write. */
  outgoing: number;
  /** Of `used`: partly received messages and messages waiting for an async decode. */
  incoming: number;
  /** Connections holding memory right now. */
  connections: number;
  /** Connections whose reading is paused because the budget is under pressure. */
  paused: number;
  /** Connections closed with 1013 because the budget was exhausted, since the server started. */
  closed: number;
}

/** A quarter of V8's heap limit: the objects behind queued writes live on the heap. */
export function defaultMemoryBudget(): number {
  return Math.floor(getHeapStatistics().heap_size_limit / 4);
}

/** Above this share of the budget, the most expensive connections stop reading. */
const PAUSE_AT = 0.75;
/**
 * Milliseconds a connection stays paused while the budget remains above the resume mark before it is
 * closed with 1013. Pausing stops growth, but what a paused connection holds stays held: pressure that
 * a second without reading did not relieve will not relieve itself.
 */
export const PAUSE_GRACE = 1000;
/** Below this share, paused connections read again. */
const RESUME_AT = 0.5;
/**
 * Only a connection holding at least this share of the budget is paused: one holding less (a client
 * whose message is arriving, a reply being flushed) reads on, so a well-behaved client is not made to
 * wait, or closed, because attackers hold the memory.
 */
const PAUSE_SHARE = 1 / 64;
/** How often a budget under pressure recounts by itself (a paused connection reports nothing). */
const RECOUNT_INTERVAL = 100;
/** Between two recounts triggered by reports, at least this many milliseconds (a recount is O(members)). */
const RECOUNT_SPACING = 10;

interface Charge {
  outgoing: number;
  incoming: number;
}

function held(charge: Charge): number {
  return charge.outgoing + charge.incoming;
}

/**
 * Keeps a running total from what connections report at their checkpoints (after each read, after a
 * send from outside a read, when queued output drains), and recounts exactly before it acts: a report
 * can be stale (output drains without a report), so no connection is paused or closed on a stale figure.
 */
export class MemoryBudget {
  private readonly charges = new Map<BudgetMember, Charge>();
  /** Connections paused by the budget, with when (performance.now()). */
  private readonly paused = new Map<BudgetMember, number>();
  private outgoing = 0;
  private incoming = 0;
  private closed = 0;
  private lastRecount = 0;
  private timer: NodeJS.Timeout | undefined;

  /** @param limit bytes; `Infinity` turns the budget off. */
  constructor(readonly limit: number) {
    if (!(limit > 0)) throw new RangeError(`memoryBudget must be a positive number of bytes, got ${String(limit)}`);
  }

  /** A connection's checkpoint: records what it holds now and acts when the total calls for it. */
  report(member: BudgetMember, outgoing: number, incoming: number): void {
    let charge = this.charges.get(member);
    if (charge === undefined) {
      if (outgoing === 0 && incoming === 0) return;
      charge = { outgoing: 0, incoming: 0 };
      this.charges.set(member, charge);
    }
    const grew = outgoing + incoming > held(charge);
    this.outgoing += outgoing - charge.outgoing;
    this.incoming += incoming - charge.incoming;
    charge.outgoing = outgoing;
    charge.incoming = incoming;
    if (outgoing === 0 && incoming === 0) this.charges.delete(member);
    const used = this.outgoing + this.incoming;
    if (used >= this.limit * PAUSE_AT) {
      // Under pressure, a connection that grows stops reading at once: reading is how it grows.
      if (grew && outgoing + incoming >= this.limit * PAUSE_SHARE) this.pause(member, performance.now());
      if (used < this.limit && performance.now() - this.lastRecount < RECOUNT_SPACING) return;
      this.enforce();
    } else if (this.paused.size > 0 && used < this.limit * RESUME_AT) {
      this.enforce();
    }
  }

  /** The connection is gone: nothing it held counts any more. */
  release(member: BudgetMember): void {
    this.forget(member);
    if (this.paused.size > 0 && this.outgoing + this.incoming < this.limit * RESUME_AT) this.enforce();
  }

  snapshot(): MemoryReport {
    return {
      budget: this.limit,
      used: this.outgoing + this.incoming,
      outgoing: this.outgoing,
      incoming: this.incoming,
      connections: this.charges.size,
      paused: this.paused.size,
      closed: this.closed,
    };
  }

  /** Stops the pressure timer (server closing). */
  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  /**
   * Recounts every charged connection, then, by the total:
   * - under the resume mark: resumes every paused connection;
   * - at or over the budget: closes the largest with 1013 until the total is under the budget;
   * - over the resume mark: closes, largest first, the connections paused for {@link PAUSE_GRACE}
   *   already, until the total is under the resume mark;
   * - over the pause mark: pauses the largest (those holding at least {@link PAUSE_SHARE} of the budget)
   *   until what they hold covers the excess over the resume mark. Connections that grow while the
   *   pressure lasts are paused as they report, in `report`.
   */
  private enforce(): void {
    const now = performance.now();
    this.lastRecount = now;
    this.recount();
    let largest: [BudgetMember, Charge][] = [];
    if (this.outgoing + this.incoming >= this.limit * RESUME_AT) {
      largest = [...this.charges].sort((a, b) => held(b[1]) - held(a[1]));
      let i = 0;
      while (i < largest.length && this.outgoing + this.incoming >= this.limit) this.close(largest[i++]![0]);
      // Pressure that pausing did not relieve within the grace: close the largest of the connections
      // paused that long, until the total is back under the resume mark.
      for (; i < largest.length && this.outgoing + this.incoming >= this.limit * RESUME_AT; i++) {
        const member = largest[i]![0];
        const since = this.paused.get(member);
        if (since !== undefined && now - since >= PAUSE_GRACE) this.close(member);
      }
    }
    const used = this.outgoing + this.incoming;
    if (used < this.limit * RESUME_AT) {
      for (const member of this.paused.keys()) member.budgetPause(false);
      this.paused.clear();
      this.stop();
    } else if (used >= this.limit * PAUSE_AT) {
      let covered = 0;
      for (const [member, charge] of largest) {
        const holds = held(charge);
        if (covered >= used - this.limit * RESUME_AT || holds < this.limit * PAUSE_SHARE) break;
        if (!this.charges.has(member)) continue; // closed above
        covered += holds;
        this.pause(member, now);
      }
    }
  }

  /** Drops a connection's charge and pause; returns what it was charged. */
  private forget(member: BudgetMember): Charge | undefined {
    this.paused.delete(member);
    const charge = this.charges.get(member);
    if (charge === undefined) return undefined;
    this.charges.delete(member);
    this.outgoing -= charge.outgoing;
    this.incoming -= charge.incoming;
    return charge;
  }

  /** Stops reading one connection, and makes sure a recount will come to restart it. */
  private pause(member: BudgetMember, now: number): void {
    if (this.paused.has(member)) return;
    this.paused.set(member, now);
    member.budgetPause(true);
    if (this.timer === undefined) {
      this.timer = setInterval(() => this.enforce(), RECOUNT_INTERVAL);
      this.timer.unref();
    }
  }

  /** Closes one connection for the budget; what it held stops counting at once. */
  private close(member: BudgetMember): void {
    const charge = this.forget(member);
    this.closed++;
    if (debugEnabled) {
      const bytes = charge === undefined ? 0 : held(charge);
      debug(
        `memory budget: closing a connection holding ${bytes} bytes with 1013 (${this.outgoing + this.incoming} of ${this.limit} used)`,
      );
    }
    member.budgetClose();
  }

  private recount(): void {
    let outgoing = 0;
    let incoming = 0;
    for (const [member, charge] of this.charges) {
      const usage = member.memoryUsage();
      charge.outgoing = usage.outgoing;
      charge.incoming = usage.incoming;
      outgoing += usage.outgoing;
      incoming += usage.incoming;
    }
    this.outgoing = outgoing;
    this.incoming = incoming;
  }
}
