/**
 * The pure arithmetic of a fan-out job: how its subscribers are spread over load-generator processes
 * and server processes, whether the open-file limit allows it, and the publish-to-last-subscriber
 * latency of each message from the timestamps the generators record.
 */

/**
 * Subscribers one load-generator process takes at most. WHY spread at all: every delivery costs the
 * generator about what it costs the server (a read, a frame header walk), so one generator process for
 * 10,000 subscribers would set the pace on a machine with cores to spare. Four processes at most: more
 * only adds processes competing for the same cores.
 */
export const SUBSCRIBERS_PER_GENERATOR = 2500;
export const MAX_GENERATORS = 4;

/** Load-generator processes for a job with this many subscribers (at least one). */
export function generatorCount(subscribers: number): number {
  return Math.max(1, Math.min(MAX_GENERATORS, Math.ceil(subscribers / SUBSCRIBERS_PER_GENERATOR), subscribers));
}

/** One generator's share of the subscribers: global indices `first` to `first + count - 1`. */
export interface Shard {
  first: number;
  count: number;
}

/** Splits `total` subscribers into `parts` contiguous shards whose sizes differ by one at most. */
export function shardSubscribers(total: number, parts: number): Shard[] {
  if (!Number.isInteger(total) || !Number.isInteger(parts) || total < 1 || parts < 1 || parts > total) {
    throw new RangeError(`cannot split ${total} subscribers into ${parts} shards`);
  }
  const base = Math.floor(total / parts);
  const extra = total % parts;
  const shards: Shard[] = [];
  let first = 0;
  for (let i = 0; i < parts; i++) {
    const count = base + (i < extra ? 1 : 0);
    shards.push({ first, count });
    first += count;
  }
  return shards;
}

/** Which server (index into the job's ports) subscriber `index` connects to: round robin. */
export function serverFor(index: number, servers: number): number {
  return index % servers;
}

/** File descriptors a process needs beyond its sockets (stdio, IPC, libuv, the runtime's own). */
const FD_MARGIN = 100;

/**
 * Open files the busiest process of a job holds: a generator holds its shard (plus the publisher), a
 * server its share of the subscribers (plus the publisher); each with {@link FD_MARGIN} to spare.
 */
export function filesNeeded(subscribers: number, generators: number, servers: number): number {
  const perGenerator = Math.ceil(subscribers / generators) + 1;
  const perServer = Math.ceil(subscribers / servers) + 1;
  return Math.max(perGenerator, perServer) + FD_MARGIN;
}

/** The soft "Max open files" limit from the text of /proc/<pid>/limits; undefined if absent or unlimited. */
export function parseOpenFileLimit(limits: string): number | undefined {
  const m = /^Max open files\s+(\S+)/m.exec(limits);
  if (!m || m[1] === 'unlimited') return undefined;
  const n = Number(m[1]);
  return Number.isInteger(n) ? n : undefined;
}

/**
 * Publish-to-last-subscriber latency of each message, in the unit of the timestamps. `sentAt[i]` is when
 * the publisher wrote message i; `shardDoneAt[g][i]` when generator g's last subscriber had it (NaN if it
 * never did). All come from one clock shared by every process on the machine (see fanout-worker.ts). A
 * message some shard never completed has no latency and is left out; the caller compares the count.
 */
export function lastArrivalLatencies(sentAt: readonly number[], shardDoneAt: readonly (readonly number[])[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < sentAt.length; i++) {
    let last = Number.NEGATIVE_INFINITY;
    for (const shard of shardDoneAt) {
      const t = shard[i];
      // IPC carries NaN as null: both mean "never".
      if (typeof t !== 'number' || Number.isNaN(t)) {
        last = Number.NaN;
        break;
      }
      if (t > last) last = t;
    }
    const sent = sentAt[i]!;
    if (!Number.isNaN(last) && Number.isFinite(sent)) out.push(last - sent);
  }
  return out;
}
