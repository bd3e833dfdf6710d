/**
 * What a connection has queued for its peer and what that costs in memory: the payload bytes of
 * unfinished sends, the socket writes that may still wait, and the flush marker that tells us the peer
 * read them. Decides nothing by itself: the connection asks it whether a send fits under
 * `maxBufferedAmount` and whether the queue is past `sendHighWaterMark`.
 * @module
 */
import type { Duplex } from 'node:stream';
import { ConnectionError } from './errors.js';
import type { WebSocketConnectionState } from './connection-types.js';

/**
 * What one queued socket write costs in memory beyond its bytes: the write request, the Buffer object
 * of a frame header, its slot in the stream's queue. With {@link SEND_COST}, fitted to what
 * `pnpm --filter @wsts/chaos run send-cost` measures for sends queued behind a peer that never reads:
 * an empty message (one write) costs WRITE_COST + SEND_COST, a 16-byte one (two writes) somewhat less
 * than 2 x WRITE_COST + SEND_COST.
 */
export const WRITE_COST = 256;
/** What one unfinished `send` costs beyond its writes: its promise and callbacks (see {@link WRITE_COST}). */
export const SEND_COST = 480;

const EMPTY = new Uint8Array(0);

/** The connection, as its send accounting sees it. */
export interface AccountingOwner {
  readonly state: WebSocketConnectionState;
  /** A flush marker was written: the peer read everything queued before it. */
  outputDrained(): void;
}

export class SendAccounting {
  /** Payload bytes passed to `send` whose write has not completed yet (WHATWG `bufferedAmount`). */
  pending = 0;
  /** Sends whose write has not completed yet. */
  private sendsInFlight = 0;
  /**
   * Bytes of published messages held by the codec behind an asynchronous encode or compression (not in
   * the socket's buffer yet), and how many such messages. Published messages written at once need no
   * entry here: the socket's buffer counts them.
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

  constructor(
    private readonly socket: Duplex,
    private readonly owner: AccountingOwner,
    /** See `WebSocketConnectionOptions.maxBufferedAmount`. */
    readonly maxBufferedAmount: number,
    /** See `WebSocketConnectionOptions.sendHighWaterMark`. */
    readonly sendHighWaterMark: number,
  ) {}

  /**
   * Whether a message of `size` payload bytes may be queued now. One always may when nothing is
   * queued. While the peer keeps up, only payload bytes count: what this tick queued is the
   * application's own doing and reaches the kernel at the end of the tick. Once the kernel refused
   * bytes, everything queued waits on the peer, and counts for what it costs.
   */
  admits(size: number): boolean {
    const queued = this.stalled ? this.outgoingBytes() : this.pending;
    return !(queued > 0 && queued + size + (this.stalled ? SEND_COST + 2 * WRITE_COST : 0) > this.maxBufferedAmount);
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
      `the peer is not reading: ${this.pending + this.socket.writableLength + size} bytes would be buffered, cap is ${this.maxBufferedAmount}`,
    );
  }

  /** Before a write: with nothing queued, every write counted so far has reached the kernel. */
  writing(): void {
    if (this.socket.writableLength === 0) {
      this.queuedWrites = 0;
      this.stalled = false;
    }
  }

  /** `writes` socket writes were queued. */
  wrote(writes: number): void {
    this.queuedWrites += writes;
  }

  /** Whether what waits on a peer that does not read has passed `maxBufferedAmount`. */
  overCap(): boolean {
    return this.stalled && this.outgoingBytes() > this.maxBufferedAmount;
  }

  /** Whether what waits on a peer that does not read has passed `sendHighWaterMark` (stop reading it). */
  overHighWaterMark(): boolean {
    return this.stalled && this.outgoingBytes() > this.sendHighWaterMark;
  }

  /** The tick's batch was uncorked: whatever the kernel did not take now waits on the peer. */
  flushed(): void {
    this.stalled = this.socket.writableLength > 0;
  }

  /**
   * What is queued for the peer, in bytes of memory: the larger of the socket's buffer and the payloads
   * of unfinished sends and held publishes (those may still wait for an async extension), plus the cost
   * of each queued write, unfinished send and held publish.
   */
  outgoingBytes(): number {
    const buffered = this.socket.writableLength;
    const inFlight = this.sendsInFlight + this.publishesHeld;
    if (buffered === 0 && inFlight === 0) {
      this.queuedWrites = 0;
      return 0;
    }
    return Math.max(buffered, this.pending + this.publishedHeld) + this.queuedWrites * WRITE_COST + inFlight * SEND_COST;
  }

  /**
   * An empty write whose callback runs once everything queued before it has reached the kernel: how we
   * learn that the peer read, without a callback on every write. At most one is in flight.
   */
  placeMarker(): void {
    if (this.markerAt !== -1 || this.owner.state === 'closed') return;
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
