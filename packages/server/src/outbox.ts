/**
 * What a connection has queued for its peer: the frames of the current tick not yet handed to the
 * socket (the batch), what the socket still holds, and what that costs in memory, with the flush marker
 * that tells us the peer read it. Decides nothing about the connection: the connection asks whether a
 * send fits under `maxBufferedAmount` and whether the queue is past `sendHighWaterMark`.
 *
 * The batch. Every frame written in one tick (a burst of sends, the answers to a read of many messages,
 * a pong beside them, the messages published to a subscriber) waits here until the tick ends, when one
 * `process.nextTick` hands every connection's batch to its socket. Small frames are copied into one
 * buffer, so a tick costs one `socket.write` per connection however many frames it held, and the
 * stream machinery (a queued-write record per chunk, a `writev` array, a callback per chunk) is paid
 * once, not per frame. Large payloads are never copied: they go beside the copied runs in one corked
 * `writev`. Subscribers of one topic are flushed one after the other with the same frames in the same
 * order, so the buffer copied for the first is written as is to the next ones: a publish costs each
 * subscriber what the Node floor pays, one write.
 * @module
 */
import { Buffer } from 'node:buffer';
import type { Duplex } from 'node:stream';
import type { ConnectionLimits } from './connection-settings.js';
import { ConnectionError } from './errors.js';
import { toBuffer } from './message-data.js';
import type { WebSocketConnectionState } from './connection-types.js';

/**
 * What one queued socket write costs in memory beyond its bytes: the write request, the Buffer object,
 * its slot in the stream's queue. With {@link SEND_COST}, fitted to what
 * `pnpm --filter @wsts/chaos run send-cost` measures for sends queued behind a peer that never reads.
 */
export const WRITE_COST = 256;
/** What one unfinished `send` costs beyond its writes: its promise and callbacks (see {@link WRITE_COST}). */
export const SEND_COST = 480;

/** Chunks up to this size are copied into the tick's buffer; larger ones are written as they are. */
const COPY_LIMIT = 16 * 1024;
/** Largest buffer one tick's small chunks are copied into; more makes several. */
const MAX_COPY = 64 * 1024;
/** Batch arrays kept for reuse between ticks (each holds the chunk references of one connection's tick). */
const SPARE_LISTS = 256;

const EMPTY = new Uint8Array(0);

type Done = (error?: Error) => void;

/** The connection, as its outbox sees it. */
export interface OutboxOwner {
  readonly state: WebSocketConnectionState;
  /** A flush marker was written: the peer read everything queued before it. */
  outputDrained(): void;
  /** The tick's batch went to the socket: what the kernel did not take now waits on the peer. */
  outputFlushed(): void;
}

export class Outbox {
  /** Payload bytes passed to `send` whose write has not completed yet (WHATWG `bufferedAmount`). */
  pending = 0;
  /** Sends whose write has not completed yet. */
  private sendsInFlight = 0;
  /**
   * Bytes of published messages held by the codec behind an asynchronous encode or compression (not in
   * the batch or the socket's buffer yet), and how many such messages.
   */
  private publishedHeld = 0;
  private publishesHeld = 0;
  /**
   * Socket writes that may still be queued: counted since the socket's buffer was last seen empty,
   * less those a flush marker proved written (an upper bound, kept without a callback per write).
   */
  private queuedWrites = 0;
  /** queuedWrites when the flush marker in flight was written; -1 when no marker is in flight. */
  private markerAt = -1;
  /** The kernel refused bytes at the last flush: what is queued waits on the peer reading. */
  stalled = false;
  /** The marker's write callback, made the first time a marker is needed (an idle connection never does). */
  private markerCallback: ((error?: Error | null) => void) | undefined = undefined;
  /** This tick's frames, in order; undefined when nothing waits. */
  private batch: Uint8Array[] | undefined = undefined;
  /** Bytes in `batch`. */
  private batchBytes = 0;
  /** Write callbacks of this tick's frames, in order; undefined when none asked for one. */
  private batchDone: Done[] | undefined = undefined;
  constructor(
    private readonly socket: Duplex,
    private readonly owner: OutboxOwner,
    /** `maxBufferedAmount`, `sendHighWaterMark`, and whether the socket is done with what it took (`consumesWrites`). */
    readonly limits: ConnectionLimits,
  ) {}

  // ---- the batch --------------------------------------------------------------------------------

  /**
   * Queues one frame's chunks for the end of the tick; `done` runs once they were handed to the kernel,
   * or with an error once they never will be. Returns false when the socket is closed already (then
   * `done` has its error).
   */
  enqueue(chunks: readonly Uint8Array[], done: Done | undefined): boolean {
    const socket = this.socket;
    // `writable` is false once the socket is destroyed, ended or errored; `destroyed` would read the
    // readable side's state as well, one more object per subscriber in a fan-out.
    if (!socket.writable) {
      if (done !== undefined) done(new ConnectionError('ERR_SOCKET_CLOSED', 'the socket is closed'));
      return false;
    }
    let batch = this.batch;
    if (batch === undefined) {
      batch = this.batch = spareLists.pop() ?? [];
      due.push(this);
      if (!flushScheduled) {
        flushScheduled = true;
        process.nextTick(flushDue);
      }
    }
    for (let i = 0; i < chunks.length; i++) {
      const chunk = chunks[i]!;
      if (chunk.length === 0) continue;
      batch.push(chunk);
      this.batchBytes += chunk.length;
    }
    if (done !== undefined) (this.batchDone ??= []).push(done);
    return true;
  }

  /** Hands the batch to the socket now (before ending it, or before a flush marker). */
  flush(): void {
    if (this.batch !== undefined) this.write(undefined);
    // Still listed in `due`: flushDue finds the batch empty and passes over it.
  }

  /** The socket is gone: what waits in the batch never will be written. */
  discard(): void {
    const doneList = this.batchDone;
    this.releaseBatch();
    if (doneList !== undefined) settle(doneList, new ConnectionError('ERR_SOCKET_CLOSED', 'the socket is closed'));
  }

  /**
   * Writes the batch: copied into one buffer where it can be, or a buffer of `recent` when this batch
   * holds the very same chunks as one written just before (another subscriber of the same publishes).
   */
  private write(recent: RecentWrites | undefined): void {
    const batch = this.batch!;
    const doneList = this.batchDone;
    const socket = this.socket;
    if (!socket.writable) {
      this.discard();
      return;
    }
    const callback = doneList === undefined ? undefined : (error?: Error | null) => settle(doneList, error ?? undefined);
    if (socket.writableLength === 0) {
      // Nothing queued: every write counted so far has reached the kernel.
      this.queuedWrites = 0;
      this.stalled = false;
    }
    const carvedBefore = slabUsed;
    const slabBefore = slab;
    let buffer: Buffer | undefined;
    const shared = recent === undefined ? undefined : recent.find(batch);
    if (shared !== undefined) buffer = shared;
    else if (batch.length === 1) buffer = toBuffer(batch[0]!);
    else if (this.batchBytes <= MAX_COPY && fitsCopy(batch)) buffer = copyAll(batch, 0, batch.length, this.batchBytes);
    if (buffer !== undefined) {
      if (callback === undefined) socket.write(buffer);
      else socket.write(buffer, callback);
      this.queuedWrites++;
    } else {
      this.queuedWrites += writeRuns(socket, batch, callback);
    }
    // The socket may still hold what was copied from the slab: keep those regions (see `reuseSlab`).
    const fromSlab = shared !== undefined || slabUsed !== carvedBefore || slab !== slabBefore;
    if (fromSlab && (!this.limits.consumesWrites || socket.writableLength > 0)) keepSlab();
    if (recent !== undefined && shared === undefined && buffer !== undefined) {
      // A batch written as one buffer may be met again (the next subscribers); the cache recycles it.
      recent.remember(batch, buffer);
      this.batch = undefined;
    }
    this.releaseBatch();
    this.stalled = socket.writableLength > 0;
    this.owner.outputFlushed();
  }

  private releaseBatch(): void {
    if (this.batch !== undefined) recycle(this.batch);
    this.batch = undefined;
    this.batchBytes = 0;
    this.batchDone = undefined;
  }

  /** @internal The end of the tick: `flushDue`'s call for each listed outbox. */
  flushDue(recent: RecentWrites): void {
    if (this.batch !== undefined) this.write(recent);
  }

  // ---- accounting -------------------------------------------------------------------------------

  /**
   * Whether a message of `size` payload bytes may be queued now. One always may when nothing is
   * queued. While the peer keeps up, only payload bytes count: what this tick queued is the
   * application's own doing and reaches the kernel at the end of the tick. Once the kernel refused
   * bytes, everything queued waits on the peer, and counts for what it costs.
   */
  admits(size: number): boolean {
    const queued = this.stalled ? this.outgoingBytes() : this.pending;
    return !(queued > 0 && queued + size + (this.stalled ? SEND_COST + WRITE_COST : 0) > this.limits.maxBufferedAmount);
  }

  /** A send of `size` payload bytes was handed to the codec. */
  sendStarted(size: number): void {
    this.pending += size;
    this.sendsInFlight++;
  }

  /** A send's write completed, or failed. */
  sendSettled(size: number): void {
    this.pending -= size;
    this.sendsInFlight--;
  }

  /** A published message of `size` bytes waits in the codec (see `publishedHeld`). */
  publishHeld(size: number): void {
    this.publishedHeld += size;
    this.publishesHeld++;
  }

  /** A held published message was written, or dropped. */
  publishReleased(size: number): void {
    this.publishedHeld -= size;
    this.publishesHeld--;
  }

  /** The error for a send (or a frame of the codec's own, `size` 0) that would pass `maxBufferedAmount`. */
  overflowError(size: number): ConnectionError {
    return new ConnectionError(
      'ERR_BUFFER_OVERFLOW',
      `the peer is not reading: ${this.pending + this.socket.writableLength + this.batchBytes + size} bytes would be buffered, cap is ${this.limits.maxBufferedAmount}`,
    );
  }

  /** Whether what waits on a peer that does not read has passed `maxBufferedAmount`. */
  overCap(): boolean {
    return this.stalled && this.outgoingBytes() > this.limits.maxBufferedAmount;
  }

  /** Whether what waits on a peer that does not read has passed `sendHighWaterMark` (stop reading it). */
  overHighWaterMark(): boolean {
    return this.stalled && this.outgoingBytes() > this.limits.sendHighWaterMark;
  }

  /**
   * What is queued for the peer, in bytes of memory: the larger of what the batch and the socket's
   * buffer hold and the payloads of unfinished sends and held publishes (those may still wait for an
   * async extension), plus the cost of each queued write (the batch is one), unfinished send and held
   * publish.
   */
  outgoingBytes(): number {
    const buffered = this.socket.writableLength + this.batchBytes;
    const inFlight = this.sendsInFlight + this.publishesHeld;
    if (buffered === 0 && inFlight === 0) {
      this.queuedWrites = 0;
      return 0;
    }
    const writes = this.queuedWrites + (this.batch === undefined ? 0 : 1);
    return Math.max(buffered, this.pending + this.publishedHeld) + writes * WRITE_COST + inFlight * SEND_COST;
  }

  // ---- the flush marker -------------------------------------------------------------------------

  /**
   * An empty write whose callback runs once everything queued before it has reached the kernel: how we
   * learn that the peer read, without a callback on every write. At most one is in flight. The batch
   * goes first, so the marker follows it.
   */
  placeMarker(): void {
    if (this.markerAt !== -1 || this.owner.state === 'closed') return;
    this.flush();
    this.markerAt = this.queuedWrites;
    const callback = (this.markerCallback ??= (error) => this.markerWritten(error));
    // Nothing in the socket's buffer: everything before the marker has left already. WHY not an empty
    // write then: some Duplexes (an HTTP/2 stream) complete it within the same turn of the event loop,
    // so a marker placed again from its own callback, while sends wait on an async encode, would spin
    // and starve the I/O (the thread pool's zlib) they wait for. An immediate lets the loop turn.
    if (this.socket.writableLength === 0) setImmediate(callback, null);
    else this.socket.write(EMPTY, callback);
  }

  private markerWritten(error: Error | null | undefined): void {
    const before = this.markerAt;
    this.markerAt = -1;
    if (error || this.owner.state === 'closed') return;
    this.queuedWrites = Math.max(0, this.queuedWrites - before);
    this.stalled = this.socket.writableLength > 0;
    this.owner.outputDrained();
  }
}

// ---- the tick's flush, shared by every connection ---------------------------------------------------

/** Batches written as one buffer earlier in this flush: at most this many are compared with the next. */
const RECENT = 4;

/**
 * The last few batches a flush wrote as one buffer each, with those buffers: see `Outbox.write`. More
 * than one, so a subscriber whose batch differs (it also sent a message of its own) does not stop the
 * subscribers after it from sharing the buffer of those before it.
 */
class RecentWrites {
  private readonly chunks: (Uint8Array[] | undefined)[] = new Array<Uint8Array[] | undefined>(RECENT).fill(undefined);
  private readonly buffers: (Buffer | undefined)[] = new Array<Buffer | undefined>(RECENT).fill(undefined);
  private next = 0;

  /** The buffer written for the very same chunks, if any. */
  find(batch: readonly Uint8Array[]): Buffer | undefined {
    for (let i = 0; i < RECENT; i++) {
      const chunks = this.chunks[i];
      if (chunks !== undefined && sameChunks(chunks, batch)) return this.buffers[i];
    }
    return undefined;
  }

  /** Keeps `batch` (recycled once it is pushed out) and the buffer it was written as. */
  remember(batch: Uint8Array[], buffer: Buffer): void {
    const old = this.chunks[this.next];
    if (old !== undefined) recycle(old);
    this.chunks[this.next] = batch;
    this.buffers[this.next] = buffer;
    this.next = (this.next + 1) % RECENT;
  }

  /** The flush is over: every kept batch list goes back to the pool. */
  clear(): void {
    for (let i = 0; i < RECENT; i++) {
      const chunks = this.chunks[i];
      if (chunks !== undefined) recycle(chunks);
      this.chunks[i] = undefined;
      this.buffers[i] = undefined;
    }
  }
}

/** Outboxes with a batch this tick, in the order their first frame came. */
let due: Outbox[] = [];
let flushScheduled = false;
const spareLists: Uint8Array[][] = [];
/** Shared by every flush (a flush never runs inside another): cleared at the end of each. */
const recentWrites = new RecentWrites();

/** The end of the tick: every batch to its socket, in order. */
function flushDue(): void {
  flushScheduled = false;
  const list = due;
  due = [];
  // A flush may queue more (an owner's hook writing a frame): those land in the new `due` list.
  for (let i = 0; i < list.length; i++) list[i]!.flushDue(recentWrites);
  recentWrites.clear();
  reuseSlab();
}

function recycle(list: Uint8Array[]): void {
  list.length = 0;
  if (spareLists.length < SPARE_LISTS) spareLists.push(list);
}

function sameChunks(a: readonly Uint8Array[], b: readonly Uint8Array[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function fitsCopy(batch: readonly Uint8Array[]): boolean {
  for (let i = 0; i < batch.length; i++) if (batch[i]!.length > COPY_LIMIT) return false;
  return true;
}

// Small copies are carved from a shared slab, as Node's own Buffer pool does: a view is several times
// cheaper than a buffer of its own. Unlike that pool, the slab is reused. A flush whose writes the
// kernel took whole leaves nothing that still needs its copies, so the next flush carves the same
// memory again (`reuseSlab`), which stays in the cache. WHY it matters for memory as well: a slab
// that is replaced only when full lives through V8's young-generation collections under a flood of
// small messages, is promoted, and then waits for a full collection, which a small heap rarely runs;
// dead slabs piled up at megabytes per second of RSS that way. A region a socket still holds (the
// kernel refused bytes, or the socket is not a kernel socket) is kept: `keepSlab` moves the point
// the next rewind goes back to past it.
const SLAB_SIZE = 128 * 1024;
let slab = Buffer.allocUnsafeSlow(SLAB_SIZE);
let slabUsed = 0;
/** Where the next rewind of the slab goes back to: everything carved before it may still be in use. */
let slabKept = 0;

function copyBuffer(size: number): Buffer {
  if (size > SLAB_SIZE / 2) return Buffer.allocUnsafeSlow(size);
  if (slabUsed + size > SLAB_SIZE) {
    slab = Buffer.allocUnsafeSlow(SLAB_SIZE);
    slabUsed = 0;
    slabKept = 0;
  }
  const region = slab.subarray(slabUsed, slabUsed + size);
  slabUsed = (slabUsed + size + 7) & ~7;
  return region;
}

/** A socket may still read what was carved so far: those regions are not reused. */
function keepSlab(): void {
  slabKept = slabUsed;
}

/**
 * The end of a flush: what was carved since the last kept region went to sockets that are done with
 * it, and to the flush's shared-buffer cache, which is cleared by now. The same memory serves the next
 * flush.
 */
function reuseSlab(): void {
  slabUsed = slabKept;
}

/** Below this many bytes a chunk is copied byte by byte: `set` costs more to call than such a loop takes. */
const LOOP_COPY = 64;

/** `batch[from, to)`, `size` bytes in all, copied into one buffer. */
function copyAll(batch: readonly Uint8Array[], from: number, to: number, size: number): Buffer {
  const buffer = copyBuffer(size);
  let at = 0;
  for (let i = from; i < to; i++) {
    const chunk = batch[i]!;
    const length = chunk.length;
    if (length < LOOP_COPY) {
      for (let j = 0; j < length; j++) buffer[at + j] = chunk[j]!;
    } else {
      buffer.set(chunk, at);
    }
    at += length;
  }
  return buffer;
}

/**
 * A batch with large chunks: runs of small chunks copied together (at most `MAX_COPY` each), large
 * chunks as they are, all in one corked `writev`. Returns the socket writes queued.
 */
function writeRuns(socket: Duplex, batch: readonly Uint8Array[], callback: ((error?: Error | null) => void) | undefined): number {
  const pieces: Buffer[] = [];
  let runStart = 0;
  let runBytes = 0;
  const endRun = (end: number): void => {
    if (end - runStart === 1) pieces.push(toBuffer(batch[runStart]!));
    else if (end > runStart) pieces.push(copyAll(batch, runStart, end, runBytes));
    runBytes = 0;
  };
  for (let i = 0; i < batch.length; i++) {
    const size = batch[i]!.length;
    if (size > COPY_LIMIT || runBytes + size > MAX_COPY) {
      endRun(i);
      runStart = i;
      if (size > COPY_LIMIT) {
        pieces.push(toBuffer(batch[i]!));
        runStart = i + 1;
        continue;
      }
    }
    runBytes += size;
  }
  endRun(batch.length);
  socket.cork();
  const lastPiece = pieces.length - 1;
  for (let i = 0; i < lastPiece; i++) socket.write(pieces[i]!);
  if (callback === undefined) socket.write(pieces[lastPiece]!);
  else socket.write(pieces[lastPiece]!, callback);
  socket.uncork();
  return pieces.length;
}

function settle(doneList: readonly Done[], error: Error | undefined): void {
  for (let i = 0; i < doneList.length; i++) doneList[i]!(error);
}
