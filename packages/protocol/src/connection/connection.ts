/**
 * One WebSocket connection as a state machine: bytes in through {@link Connection.receive}, events out
 * through `onEvent`, bytes for the wire through `onWrite`. No I/O, no timers.
 *
 * The Connection owns the closing handshake (its {@link State}, see state.ts), event delivery and frame
 * writing. Bytes go through the FrameDecoder into the {@link Receiver}, which assembles messages and hands
 * them back; with extensions, messages pass through the {@link ExtensionPipeline} in both directions; a
 * client masks its frames with keys from {@link MaskKeys}.
 * @module
 */

import { EMPTY_BYTES } from '../bytes/buffers.js';
import { CloseCode, closeCodeFor, notOpenError, ProtocolError } from '../errors.js';
import { disposeExtensions, type Extension } from '../extensions/extension.js';
import { ExtensionPipeline, isPromise } from '../extensions/pipeline.js';
import { type CloseStatus, decodeClosePayload, encodeClosePayload, truncateUtf8 } from '../frames/close.js';
import { FrameDecoder, Opcode, RSV1 } from '../frames/decoder.js';
import { encodeFrameHeader, encodeMaskedFrame, shortFrameHeader } from '../frames/encoder.js';
import { giveBack, pooled, takeBuffer } from '../bytes/copy-pool.js';
import { maskIntoReused, maskKey } from '../bytes/mask.js';
import type { PreparedMessage } from '../frames/prepared.js';
import { utf8Encoder } from '../text/encoding.js';
import { MaskKeys } from './mask-keys.js';
import { Receiver } from './receiver.js';
import { type ConnectionSettings, NO_EXTENSIONS, settingsOf } from './settings.js';
import { type ConnectionState, publicState, State } from './state.js';

export { DEFAULT_MAX_FRAGMENTS, DEFAULT_MAX_MESSAGE_SIZE } from './settings.js';

export type { ConnectionState } from './state.js';

/** What happened on the connection, in wire order. */
export type ConnectionEvent =
  /** A complete data message; text has been validated as UTF-8 (decode it lazily). */
  | { type: 'message'; binary: boolean; data: Uint8Array }
  | { type: 'ping'; data: Uint8Array }
  | { type: 'pong'; data: Uint8Array }
  /**
   * The peer's close frame (1005 when it had no code). If we had not sent a close, our reply is already
   * written (or queued behind data messages an extension is still encoding).
   */
  | { type: 'close'; code: number; reason: string }
  /** A protocol error: a close frame with `error.code` was written; the adapter should end TCP now. */
  | { type: 'fail'; error: ProtocolError }
  /** Both close frames exchanged: a server ends TCP now; a client waits for the server's FIN (with a timeout). */
  | { type: 'closed' };

/**
 * Options for {@link Connection}. A frozen options object (`Object.freeze`) is read once: every
 * connection made with it shares the resolved settings instead of holding its own copy of some twenty
 * fields, which is what an adapter with many connections wants. Pass the per-connection `thisArg` as
 * the constructor's second argument then.
 */
export interface ConnectionOptions {
  role: 'server' | 'client';
  /** Largest message accepted, checked from frame headers before buffering (1009). Default 64 MiB. */
  maxMessageSize?: number;
  /**
   * Answer pings with pongs automatically. Default true. One `receive` call answers its first
   * {@link PONGS_PER_RECEIVE} pings one by one; pings past those get a single pong, for the last of them,
   * when the call ends (RFC 6455 section 5.5.3 allows answering only the most recent ping). A peer that
   * floods pings without reading thus cannot make us queue a pong per ping.
   */
  autoPong?: boolean;
  /**
   * Most frames one data message may arrive in (its first frame and its continuations). More fail the
   * connection with 1008. Fragments cost no memory beyond their payload (small ones are packed
   * together, empty ones are not kept), but each costs decoding work, so a message of millions of empty
   * fragments is work without progress. Default 131,072: twice what a 4 MiB message in 64-byte
   * fragments needs (the largest fragment count in the Autobahn test suite).
   */
  maxFragments?: number;
  /** Extensions negotiated in the handshake, in negotiated order. */
  extensions?: readonly Extension[];
  /** Fills bytes with cryptographically secure random values; required for role 'client' (masks). */
  random?: (bytes: Uint8Array) => void;
  /** Split outgoing data messages into frames of at most this many payload bytes. Default: never split. */
  fragmentSize?: number;
  /**
   * Allocates buffers the codec overwrites completely before handing them out: a payload or message
   * assembled from several reads or frames, a client's masked copy of a payload over 4 KiB. Default
   * `new Uint8Array(size)` (zero-filled, then overwritten). Node adapters should pass the `allocUnsafe`
   * of Node's buffer module, which skips the zero-fill (its result is a Uint8Array; `ws` does the same).
   * Must return exactly `size` bytes that nothing else uses.
   */
  allocate?: (size: number) => Uint8Array;
  /**
   * Validates a whole text message at once: used for an unfragmented message whose payload arrived in
   * one read, and for a message an extension decoded. Must return true exactly for strict UTF-8 (no
   * overlongs, surrogates or code points above U+10FFFF). Fragments and payloads spread over reads are
   * still validated incrementally, failing at the first bad byte. Node adapters can pass `isUtf8` from
   * Node's buffer module (simdutf; what `ws` uses on Node >= 18.14). Default: the built-in validator.
   */
  validateUtf8?: (bytes: Uint8Array) => boolean;
  /**
   * Bytes for the wire, in order; an unmasked payload as its own chunk (never copied); a small client
   * frame (4 KiB in all) as one chunk. `done` follows the last frame of a send. The chunks are
   * read-only: a payload chunk is the sender's own buffer, and a server's small frame headers are
   * shared by every connection. The array of a prepared message (`sendPrepared`) is shared by every
   * connection it goes to: do not modify it either.
   */
  onWrite: (chunks: Uint8Array[], done?: (error?: Error) => void) => void;
  /**
   * Client role: set when `done` (called without an error) means the transport is finished with the
   * chunks, as the callback of Node's `socket.write` does. The masked copy of a large payload (over
   * 4 KiB, up to 4 MiB) is then written into a buffer that earlier such copies used, once their `done`
   * came, instead of fresh memory each time (see bytes/copy-pool.ts). Every frame still gets a fresh
   * masking key. Default false.
   */
  reuseAfterWrite?: boolean;
  /** Events, in order. Exceptions thrown here are rethrown to the caller after the connection's state is consistent. */
  onEvent: (event: ConnectionEvent) => void;
  /**
   * The `this` of `onWrite` and `onEvent` calls (as `thisArg` of `Array.prototype.forEach`). Default
   * undefined. An adapter that makes many connections can pass its connection object here, or as the
   * constructor's second argument, and methods of its prototype as the callbacks: no closure per
   * connection.
   */
  thisArg?: unknown;
}

/** Pings one `receive` call answers one by one before it coalesces the rest (see `autoPong`). */
export const PONGS_PER_RECEIVE = 32;

/** What `userError` holds while no exception from onEvent waits to be rethrown. */
const NO_ERROR: unique symbol = Symbol('no error');

function toBytes(data: Uint8Array | string | undefined): Uint8Array {
  if (data === undefined) return EMPTY_BYTES;
  return typeof data === 'string' ? utf8Encoder.encode(data) : data;
}

/**
 * One connection, server or client role. Feed it bytes with {@link receive}; it never throws on input
 * (protocol errors become a `fail` event). Sending validates arguments and throws RangeError/TypeError on
 * caller mistakes only.
 */
export class Connection {
  /**
   * The options, checked and resolved (see settings.ts): shared by every connection made with the same
   * frozen options object.
   */
  private readonly settings: ConnectionSettings;
  /** The `this` of onWrite and onEvent calls. */
  private readonly thisArg: unknown;
  /** Client role only: a server's frames are not masked. */
  private readonly maskKeys: MaskKeys | undefined;
  private readonly decoder: FrameDecoder;
  /** The decoder's sink: assembles messages from frames. */
  private readonly receiver: Receiver;
  /**
   * The queues that keep order around asynchronous encodes and decodes: made with the connection when it
   * has extensions, or without them by the first prepared message still being prepared (outbound only).
   */
  private pipeline: ExtensionPipeline | undefined;

  /** The current State (see state.ts); changed only in the "closing handshake" section below. */
  private current: State = State.Open;

  /** Pongs written by this receive() call (see `autoPong`). */
  private pongsWritten = 0;
  /** The payload of the last ping past PONGS_PER_RECEIVE in this receive() call, answered when it ends. */
  private pongDue: Uint8Array | undefined = undefined;

  /** Inside receive(); input arriving meanwhile waits in pendingInput. */
  private receiving = false;
  private pendingInput: Uint8Array[] | undefined = undefined;

  // A throw from onEvent is held until the connection is consistent, then rethrown.
  // NO_ERROR rather than a flag beside it: anything may be thrown, undefined too.
  private userError: unknown = NO_ERROR;

  /**
   * Throws TypeError/RangeError for invalid options. `thisArg` is the `this` of `onWrite` and
   * `onEvent` (default: `options.thisArg`): passing it here lets one frozen options object serve many
   * connections, which then share its resolved settings instead of holding a copy each.
   */
  constructor(options: ConnectionOptions, thisArg: unknown = options.thisArg) {
    const settings = settingsOf(options);
    this.settings = settings;
    this.thisArg = thisArg;
    this.maskKeys = settings.role === 'client' ? new MaskKeys(options.random!) : undefined;
    this.decoder = new FrameDecoder(settings.decoder);
    const extensions = settings.extensions;
    const limits = settings.receiver;
    const pipeline =
      extensions.length === 0
        ? undefined
        : new ExtensionPipeline(this, {
            extensions,
            maxMessageSize: limits.maxMessageSize,
            allocate: limits.allocate,
            validateUtf8: limits.validateUtf8,
          });
    this.pipeline = pipeline;
    this.receiver = new Receiver(this, limits, pipeline);
  }

  /** Which side of the connection this is. */
  get role(): 'server' | 'client' {
    return this.settings.role;
  }

  /** `'open'`, `'closing'` (a close frame sent or received), or `'closed'`. */
  get state(): ConnectionState {
    return publicState(this.current);
  }

  /**
   * Feeds bytes from the wire. The connection takes ownership of `bytes`: payloads are unmasked in place
   * and handed out as subarrays. Never throws on bad input; ignored after a close frame or a failure.
   */
  receive(bytes: Uint8Array): void {
    // The decoder stops at the peer's close frame, at a failure and at destroy().
    if (this.decoder.stopped) return;
    if (this.receiving) {
      // Called again from inside an event or write callback (e.g. two connections wired back to back):
      // finish the current input first so bytes are decoded in the order they arrived.
      (this.pendingInput ??= []).push(bytes);
      return;
    }
    this.receiving = true;
    this.pongsWritten = 0;
    try {
      let next: Uint8Array | undefined = bytes;
      while (next !== undefined && !this.decoder.stopped) {
        this.decoder.push(next, this.receiver);
        next = this.pendingInput?.shift();
      }
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error;
      this.fail(error);
    } finally {
      this.receiving = false;
      this.pendingInput = undefined;
    }
    this.answerPing();
    this.rethrowUserError();
  }

  /** Bytes of received messages held while an async extension decode runs (pause reading above a mark). */
  get bufferedIncoming(): number {
    return this.pipeline === undefined ? 0 : this.pipeline.bufferedIncoming;
  }

  /**
   * Bytes of incoming data the connection holds: a partly received frame, the earlier fragments of the
   * message in progress, and messages waiting for an extension to decode them. An adapter adds this to
   * what it has queued for the wire to account for a connection's memory.
   */
  get bufferedBytes(): number {
    return this.decoder.bufferedBytes + this.receiver.bufferedBytes + this.bufferedIncoming;
  }

  /**
   * True while a frame or a fragmented message is partly received. An adapter bounds how long this may
   * last (a peer trickling a message byte by byte would otherwise hold its connection forever).
   */
  get receivingMessage(): boolean {
    return this.receiver.receivingMessage || this.decoder.midFrame;
  }

  /** Sends a data message (a string is UTF-8 encoded). After close(), `done` gets an error and nothing is sent. */
  send(data: Uint8Array | string, binary: boolean, done?: (error?: Error) => void): void {
    if (this.current !== State.Open) {
      if (done) void Promise.resolve().then(() => done(notOpenError()));
      return;
    }
    const bytes = typeof data === 'string' ? utf8Encoder.encode(data) : data;
    const pipeline = this.pipeline;
    if (pipeline === undefined) {
      this.writeMessage(binary ? Opcode.BINARY : Opcode.TEXT, bytes, false, done);
      return;
    }
    pipeline.send(bytes, binary, done);
    this.rethrowUserError();
  }

  /**
   * Sends a message framed by `prepareMessage`, the same chunks for every connection it goes to (a
   * server's publish): nothing is encoded or copied per connection. Server role only (a client masks
   * each frame with a fresh key): a client throws TypeError. Like {@link send}, it is refused after
   * close() (`done` gets an error), and it is written in order with sends: behind messages an extension
   * is still encoding, ahead of later ones. It does not go through the extensions: a message with RSV1
   * (compressed) needs an extension claiming RSV1 (else TypeError), and must be one the peer's
   * decompressor can read, which the caller decides.
   *
   * `message` may be a promise (a compression running elsewhere): the connection's later messages wait
   * for it, so they keep their order. A rejected promise fails the connection with 1011, like a failed
   * encode. The connection's `fragmentSize` does not apply: the message was framed once, by its preparer.
   */
  sendPrepared(message: PreparedMessage | Promise<PreparedMessage>, done?: (error?: Error) => void): void {
    if (this.maskKeys !== undefined) {
      throw new TypeError('A client masks every frame with a fresh key: prepared messages are for the server role');
    }
    if (this.current !== State.Open) {
      if (done) void Promise.resolve().then(() => done(notOpenError()));
      return;
    }
    let pipeline = this.pipeline;
    if (pipeline === undefined) {
      if (!isPromise(message)) {
        this.writePrepared(message, done);
        return;
      }
      // Later messages must wait for this one: a queue without extensions (inbound never uses it, as the
      // receiver keeps the pipeline it was made with, none).
      pipeline = this.pipeline = new ExtensionPipeline(this, {
        extensions: NO_EXTENSIONS,
        maxMessageSize: 0,
        allocate: this.settings.allocate,
        validateUtf8: undefined,
      });
    } else if (!isPromise(message)) {
      this.checkPrepared(message); // thrown to the caller, before anything is queued
    }
    pipeline.sendPrepared(message, done);
    this.rethrowUserError();
  }

  /**
   * True while data messages wait behind an asynchronous encode or a prepared message still being
   * prepared: a message sent now is queued rather than written at once.
   */
  get outboundHeld(): boolean {
    return this.pipeline?.holdingOutbound ?? false;
  }

  /** Sends a ping (at most 125 bytes). Returns false when nothing may be sent any more. */
  ping(data?: Uint8Array | string): boolean {
    return this.sendControl(Opcode.PING, toBytes(data));
  }

  /** Sends an unsolicited pong (at most 125 bytes). Returns false when nothing may be sent any more. */
  pong(data?: Uint8Array | string): boolean {
    return this.sendControl(Opcode.PONG, toBytes(data));
  }

  /**
   * Starts the closing handshake: no data is sent after this. Without a code the close frame is empty.
   * Throws RangeError for a code that may not be sent or a reason over 123 bytes, TypeError for a reason
   * without a code. Does nothing when a close frame was already sent.
   */
  close(code?: number, reason?: string): void {
    if (this.current !== State.Open) return;
    const payload = encodeClosePayload(code, reason);
    this.startClose(payload);
    this.rethrowUserError();
  }

  /**
   * Ends the connection without a closing handshake (the transport went away): releases extensions and
   * fails pending sends. No events are emitted. Safe to call in any state, also after 'closed' or 'fail';
   * adapters should call it when the socket closes rather than disposing extensions themselves.
   */
  destroy(): void {
    this.terminate();
  }

  // ---- receiving -------------------------------------------------------------------------------

  /** @internal A whole data message from the receiver (text validated). */
  receivedMessage(binary: boolean, data: Uint8Array): void {
    this.emit({ type: 'message', binary, data });
  }

  /** @internal A control frame from the receiver: answered, reported, or the start of the end. */
  receivedControl(opcode: number, payload: Uint8Array): void {
    if (opcode === Opcode.PING) {
      if (this.settings.autoPong && this.current === State.Open) {
        if (this.pongsWritten < PONGS_PER_RECEIVE) {
          this.pongsWritten++;
          this.writeFrame(Opcode.PONG, true, 0, payload, undefined);
        } else {
          // Answered when this receive() call ends, or before a close frame, whichever comes first.
          this.pongDue = payload;
        }
      }
      this.emit({ type: 'ping', data: payload });
    } else if (opcode === Opcode.PONG) {
      this.emit({ type: 'pong', data: payload });
    } else {
      const status = decodeClosePayload(payload); // throws 1002/1007 for a malformed close
      this.decoder.stop(); // nothing after a close frame is read
      const pipeline = this.pipeline;
      if (pipeline?.holdingInbound) pipeline.holdPeerClose(status);
      else this.peerClosed(status);
    }
  }

  // ---- event delivery --------------------------------------------------------------------------

  /** An event in wire order: at once, or behind messages an extension is still decoding. */
  private emit(event: ConnectionEvent): void {
    const pipeline = this.pipeline;
    if (pipeline?.holdingInbound) pipeline.holdEvent(event);
    else this.deliver(event);
  }

  /** @internal Hands an event to the application (also called by the pipeline for events it held). */
  deliver(event: ConnectionEvent): void {
    try {
      this.settings.onEvent.call(this.thisArg, event);
    } catch (error) {
      if (this.userError === NO_ERROR) {
        this.userError = error;
      }
    }
  }

  /** @internal Rethrows the first exception onEvent threw, once the connection is consistent again. */
  rethrowUserError(): void {
    const error = this.userError;
    if (error === NO_ERROR) return;
    this.userError = NO_ERROR;
    throw error;
  }

  // ---- sending ---------------------------------------------------------------------------------

  private sendControl(opcode: number, payload: Uint8Array): boolean {
    if (payload.length > 125) throw new RangeError('Control frame payload must be at most 125 bytes');
    if (this.current !== State.Open) return false;
    this.writeFrame(opcode, true, 0, payload, undefined);
    return true;
  }

  /** Writes the pong owed for the last ping received, if any (see `autoPong`). */
  private answerPing(): void {
    const payload = this.pongDue;
    if (payload === undefined) return;
    this.pongDue = undefined;
    if (this.current === State.Open) this.writeFrame(Opcode.PONG, true, 0, payload, undefined);
  }

  /** @internal A data message for the wire, split into frames of at most `fragmentSize`. */
  writeMessage(opcode: number, payload: Uint8Array, rsv1: boolean, done: ((error?: Error) => void) | undefined): void {
    const rsv = rsv1 ? RSV1 : 0;
    const size = this.settings.fragmentSize;
    if (payload.length <= size) {
      this.writeFrame(opcode, true, rsv, payload, done);
      return;
    }
    let offset = 0;
    let first = true;
    while (offset < payload.length) {
      const end = Math.min(offset + size, payload.length);
      const fin = end === payload.length;
      this.writeFrame(
        first ? opcode : Opcode.CONTINUATION,
        fin,
        first ? rsv : 0,
        payload.subarray(offset, end),
        fin ? done : undefined,
      );
      first = false;
      offset = end;
    }
  }

  /** @internal A prepared message for the wire, as it is. Throws TypeError for one this connection may not send. */
  writePrepared(message: PreparedMessage, done: ((error?: Error) => void) | undefined): void {
    this.checkPrepared(message);
    // The codec never modifies a chunks array it hands out; adapters are told not to either.
    this.settings.onWrite.call(this.thisArg, message.chunks as Uint8Array[], done);
  }

  private checkPrepared(message: PreparedMessage): void {
    if (message.rsv1 && !this.settings.rsv1Allowed) {
      throw new TypeError('A prepared message with RSV1 (compressed) needs an extension that claims RSV1');
    }
  }

  private writeFrame(
    opcode: number,
    fin: boolean,
    rsv: number,
    payload: Uint8Array,
    done: ((error?: Error) => void) | undefined,
  ): void {
    const maskKeys = this.maskKeys;
    if (maskKeys !== undefined) {
      // Small frames (the slab's) fail the first test: their path stays as short as it was.
      if (pooled(payload.length) && this.settings.reuseAfterWrite && done !== undefined) {
        this.writeMaskedPooled(opcode, fin, rsv, payload, maskKeys.next(), done);
        return;
      }
      this.settings.onWrite.call(
        this.thisArg,
        encodeMaskedFrame(opcode, fin, rsv, payload, maskKeys.next(), this.settings.allocate),
        done,
      );
      return;
    }
    const length = payload.length;
    const header = length < 126 ? shortFrameHeader(opcode, fin, rsv, length) : encodeFrameHeader(opcode, fin, rsv, length);
    this.settings.onWrite.call(this.thisArg, length === 0 ? [header] : [header, payload], done);
  }

  /**
   * A client frame whose masked copy goes into a pooled buffer, given back when `done` says the
   * transport is finished with it (on an error it is left to the garbage collector: a failed write
   * may not have let go of it).
   */
  private writeMaskedPooled(
    opcode: number,
    fin: boolean,
    rsv: number,
    payload: Uint8Array,
    mask: Uint8Array,
    done: (error?: Error) => void,
  ): void {
    const length = payload.length;
    const buffer = takeBuffer(length, this.settings.allocate);
    const copy = buffer.length === length ? buffer : buffer.subarray(0, length);
    // Usually a buffer written before, still in memory: the SIMD kernel's case (see maskIntoReused).
    maskIntoReused(payload, copy, 0, maskKey(mask), 0);
    const header = encodeFrameHeader(opcode, fin, rsv, length, mask);
    this.settings.onWrite.call(this.thisArg, [header, copy], (error) => {
      if (error === undefined) giveBack(buffer);
      done(error);
    });
  }

  // ---- closing handshake: every change of `current` is made in this section ----------------------

  /** We close: close(), or the reply to the peer's close. Nothing but that frame is sent from now on. */
  private startClose(payload: Uint8Array): void {
    this.answerPing(); // the pong owed, if any, goes out before our close
    this.current = State.CloseQueued;
    const pipeline = this.pipeline;
    if (pipeline?.holdingOutbound) pipeline.holdClose(payload);
    else this.writeClose(payload);
  }

  /** @internal Our close frame goes on the wire: at once, or once the messages sent before it are encoded. */
  writeClose(payload: Uint8Array): void {
    this.writeFrame(Opcode.CLOSE, true, 0, payload, undefined);
    switch (this.current) {
      case State.CloseQueued:
        this.current = State.CloseSent;
        break;
      case State.CloseReceived:
        this.finish();
        break;
      default:
      // Terminated by destroy() from inside onWrite: nothing more happens.
    }
  }

  /** @internal The peer's close frame, in event order: our reply unless we closed first, the event, maybe the end. */
  peerClosed(status: CloseStatus): void {
    if (this.current === State.Open) {
      // Echo the peer's code (RFC 6455 section 5.5.1); an empty close is answered with an empty one.
      this.startClose(status.code === CloseCode.NO_STATUS ? EMPTY_BYTES : encodeClosePayload(status.code));
    }
    this.deliver({ type: 'close', code: status.code, reason: status.reason });
    // Taken only after the 'close' event, so that 'closed' cannot come first.
    switch (this.current) {
      case State.CloseQueued:
        this.current = State.CloseReceived;
        break;
      case State.CloseSent:
        this.finish();
        break;
      default:
      // Terminated by destroy() during the 'close' event.
    }
  }

  /**
   * Both close frames exchanged. The state turns Closed with the 'closed' event, not before, so state and
   * events agree. No event can be waiting inbound: the decoder stops at the peer's close frame, which is
   * therefore the last inbound event, and both closes count as exchanged only once it was taken.
   */
  private finish(): void {
    this.current = State.Closed;
    this.deliver({ type: 'closed' });
    disposeExtensions(this.settings.extensions);
  }

  /** @internal Fails the connection: a close frame with the error's code unless ours is on the wire, then `fail`. */
  fail(error: ProtocolError): void {
    let writeClose: boolean;
    switch (this.current) {
      case State.Closed:
      case State.Terminated:
        return;
      case State.CloseSent:
        writeClose = false;
        break;
      default:
        // Open, CloseQueued, CloseReceived: our close frame is not written; the failure's code goes in it.
        writeClose = true;
    }
    this.current = State.Terminated;
    this.pongDue = undefined;
    this.decoder.stop();
    this.dropQueues();
    if (writeClose) {
      this.writeFrame(Opcode.CLOSE, true, 0, encodeClosePayload(closeCodeFor(error), truncateUtf8(error.message)), undefined);
    }
    disposeExtensions(this.settings.extensions);
    this.deliver({ type: 'fail', error });
  }

  /** destroy(): the transport went away. No events; pending sends get an error. */
  private terminate(): void {
    const previous = this.current;
    if (previous === State.Terminated) return;
    this.current = State.Terminated;
    this.decoder.stop();
    this.dropQueues();
    // Closed released the extensions with its 'closed' event.
    if (previous !== State.Closed) disposeExtensions(this.settings.extensions);
  }

  /** Drops what the connection holds for messages that will now never complete. */
  private dropQueues(): void {
    this.pipeline?.drop();
    this.receiver.dropFragments();
  }
}
