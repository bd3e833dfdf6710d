import type { Socket } from 'node:net';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { FrameReader, type FrameSink } from './frame-reader.js';
import { frame, Opcode } from './frames.js';
import type { Upgraded } from './handshake.js';

/** How a peer's connection ended, from the attacker's side. */
export interface PeerEnd {
  /** The server's close code, when it sent a close frame. */
  closeCode: number | undefined;
  /** The server ended the TCP connection (FIN, RST or a write error) before we let go. */
  serverEnded: boolean;
  /** The socket error that ended it, if any (ECONNRESET, EPIPE). */
  errorCode: string | undefined;
}

export interface PeerOptions {
  /** Read (and parse) what the server sends from the start. A non-reader can start later with `read()`. */
  read: boolean;
  /** Answer the server's pings (heartbeat) with pongs. */
  answerPings?: boolean;
  /** Further callbacks for parsed frames (messages, pongs). */
  sink?: FrameSink;
}

/**
 * An attacker's WebSocket connection over a raw socket: writes whatever bytes a case builds and records
 * what the server did about it (its close code, whether it cut the TCP connection, whether our writes
 * stalled because the server stopped reading).
 */
export class Peer {
  readonly socket: Socket;
  /** The server agreed to permessage-deflate in the handshake. */
  readonly deflated: boolean;
  closeCode: number | undefined;
  closeReason = '';
  serverEnded = false;
  errorCode: string | undefined;
  closed = false;
  /** Milliseconds our writes spent waiting for the server to take more (TCP backpressure). */
  stalledMs = 0;
  /** Bytes handed to `send`/`flood` (some may still sit in Node's buffer). */
  written = 0;
  private reading = false;
  private destroyedByUs = false;
  private readonly reader: FrameReader;
  private leftover: Buffer | undefined;
  private readonly closeWaiters: (() => void)[] = [];

  constructor(upgraded: Upgraded, options: PeerOptions) {
    this.socket = upgraded.socket;
    this.deflated = upgraded.deflate;
    this.leftover = upgraded.leftover.length > 0 ? upgraded.leftover : undefined;
    const extra = options.sink ?? {};
    const answerPings = options.answerPings ?? false;
    this.reader = new FrameReader({
      ...extra,
      close: (code, reason) => {
        if (this.closeCode === undefined) {
          this.closeCode = code;
          this.closeReason = reason;
        }
        extra.close?.(code, reason);
      },
      ping: (payload) => {
        if (answerPings && !this.socket.destroyed) this.socket.write(frame(Opcode.pong, payload));
        extra.ping?.(payload);
      },
    });
    this.socket.on('error', (error: NodeJS.ErrnoException) => {
      if (!this.destroyedByUs) {
        this.serverEnded = true;
        this.errorCode ??= error.code ?? error.message;
      }
    });
    this.socket.on('end', () => {
      if (!this.destroyedByUs) this.serverEnded = true;
    });
    this.socket.on('close', () => {
      if (!this.destroyedByUs) this.serverEnded = true;
      this.closed = true;
      for (const wake of this.closeWaiters.splice(0)) wake();
    });
    if (options.read) this.read();
  }

  /** Starts reading and parsing what the server sends (a non-reader gives up its act). */
  read(): void {
    if (this.reading) return;
    this.reading = true;
    if (this.leftover !== undefined) this.reader.push(this.leftover);
    this.leftover = undefined;
    this.socket.on('data', (chunk: Buffer) => this.reader.push(chunk));
    this.socket.resume();
  }

  /**
   * Reads like a slow client: every `tickMs`, at most `bytesPerTick` bytes from what Node has buffered
   * (Node refills that buffer from the kernel only as it empties, so the TCP window closes behind it).
   * Stops at `until`. Parses what it reads, so a close frame at the end can still be seen.
   */
  async readSlowly(bytesPerTick: number, tickMs: number, until: number): Promise<void> {
    while (Date.now() < until && !this.closed) {
      if (this.leftover !== undefined) {
        this.reader.push(this.leftover);
        this.leftover = undefined;
      }
      const available = this.socket.readableLength;
      const chunk: Buffer | null = available > 0 ? this.socket.read(Math.min(bytesPerTick, available)) : this.socket.read(0);
      if (chunk !== null && chunk.length > 0) this.reader.push(chunk);
      await new Promise((r) => setTimeout(r, Math.min(tickMs, Math.max(0, until - Date.now()))));
    }
  }

  /** Writes bytes; false when the socket is gone. Does not wait for the kernel to take them. */
  send(bytes: Uint8Array): boolean {
    if (this.socket.destroyed || !this.socket.writable) return false;
    this.written += bytes.length;
    this.socket.write(bytes);
    return true;
  }

  /**
   * Writes `block` over and over until `maxBytes` were written, `until` (epoch ms) passes or the socket
   * dies. Waits for 'drain' whenever Node's buffer is full, so what piles up is in the kernel, not here,
   * and yields to the event loop between blocks so the canary and the RSS sampler keep running.
   */
  async flood(block: Uint8Array, maxBytes: number, until: number): Promise<void> {
    while (this.written < maxBytes && Date.now() < until && !this.socket.destroyed && this.socket.writable) {
      this.written += block.length;
      if (!this.socket.write(block)) await this.drained(until);
      else await yieldToLoop();
    }
  }

  /** Resolves on 'drain', on close or at `until`; the wait is counted as stalled time. */
  drained(until: number): Promise<void> {
    const start = Date.now();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.socket.removeListener('drain', done);
        this.socket.removeListener('close', done);
        this.stalledMs += Date.now() - start;
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, until - Date.now()));
      this.socket.once('drain', done);
      this.socket.once('close', done);
    });
  }

  /** Bytes that left Node's buffer for the kernel (what the server could have received). */
  get bytesOnWire(): number {
    return Math.max(0, this.socket.bytesWritten - this.socket.writableLength);
  }

  /** Resolves true once the socket closed, false after `ms`. */
  waitClosed(ms: number): Promise<boolean> {
    if (this.closed) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), ms);
      this.closeWaiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  /** Resolves true once a close frame arrived or the socket closed, false after `ms`. */
  async waitEnd(ms: number): Promise<boolean> {
    const until = Date.now() + ms;
    while (Date.now() < until) {
      if (this.closeCode !== undefined || this.closed) return true;
      await new Promise((r) => setTimeout(r, Math.min(20, until - Date.now())));
    }
    return this.closeCode !== undefined || this.closed;
  }

  /** "1008" (the server's close code), "terminated" (cut without a close frame), or "open". */
  outcome(): string {
    if (this.closeCode !== undefined) return String(this.closeCode);
    if (this.serverEnded) return 'terminated';
    return 'open';
  }

  end(): PeerEnd {
    return { closeCode: this.closeCode, serverEnded: this.serverEnded, errorCode: this.errorCode };
  }

  /** Lets go of the connection (FIN, or RST when `reset`). Whatever happens after is our doing. */
  destroy(reset = false): void {
    if (this.socket.destroyed) return;
    this.destroyedByUs = true;
    if (reset) this.socket.resetAndDestroy();
    else this.socket.destroy();
  }
}
