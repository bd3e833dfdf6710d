/**
 * The extension pipeline of one connection: outgoing messages through every extension's encode in
 * negotiated order, incoming ones through every decode in reverse order, either of which may be
 * asynchronous. While an asynchronous step runs, what comes after it waits in a queue, so events reach
 * the application and frames reach the wire in the order a sequential implementation would give.
 * A connection without extensions has no pipeline.
 * @module
 */

import { type Allocate, concatBytes } from '../bytes/buffers.js';
import type { Connection, ConnectionEvent } from '../connection/connection.js';
import { decodeFailure, encodeFailure, invalidPayload, messageTooBig, notOpenError } from '../errors.js';
import type { CloseStatus } from '../frames/close.js';
import { Opcode } from '../frames/decoder.js';
import type { PreparedMessage } from '../frames/prepared.js';
import { isValidUtf8 } from '../text/utf8.js';
import type { EncodedMessage, Extension } from './extension.js';

type Done = ((error?: Error) => void) | undefined;

type InboundTask =
  | { kind: 'event'; event: ConnectionEvent }
  | { kind: 'decode'; fragments: Uint8Array[]; rsv1: boolean; binary: boolean; size: number }
  | { kind: 'close'; status: CloseStatus };

type DataTask = { kind: 'data'; data: Uint8Array; binary: boolean; done: Done };
/** A message framed elsewhere (see prepared.ts): written as it is, in its turn, once it is ready. */
type PreparedTask = { kind: 'prepared'; message: PreparedMessage | Promise<PreparedMessage>; done: Done };
type SendTask = DataTask | PreparedTask;
type OutboundTask = SendTask | { kind: 'close'; payload: Uint8Array };

/** Whether an extension (or a preparer) answered with a promise: anything with a `then` method. */
export function isPromise<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown }).then === 'function';
}

/** Outgoing extension chain, in negotiated order; stays synchronous unless an extension goes async. */
export function runEncode(
  extensions: readonly Extension[],
  index: number,
  message: EncodedMessage,
  binary: boolean,
): EncodedMessage | Promise<EncodedMessage> {
  let data = message.data;
  let rsv1 = message.rsv1;
  for (let i = index; i < extensions.length; i++) {
    const result = extensions[i]!.encode(data, binary);
    if (isPromise(result)) {
      const carried = rsv1;
      return result.then((m) => runEncode(extensions, i + 1, { data: m.data, rsv1: carried || m.rsv1 }, binary));
    }
    data = result.data;
    rsv1 = rsv1 || result.rsv1;
  }
  return { data, rsv1 };
}

/** Incoming extension chain, in reverse negotiated order (the last applied on send is undone first). */
export function runDecode(
  extensions: readonly Extension[],
  index: number,
  fragments: readonly Uint8Array[],
  rsv1: boolean,
  maxSize: number,
  allocate: Allocate,
): Uint8Array | Promise<Uint8Array> {
  let current = fragments;
  for (let i = index; i >= 0; i--) {
    const result = extensions[i]!.decode(current, rsv1, maxSize);
    if (isPromise(result)) return result.then((data) => runDecode(extensions, i - 1, [data], rsv1, maxSize, allocate));
    current = [result];
  }
  return concatBytes(current, allocate);
}

/** Options for {@link ExtensionPipeline}: the connection's own. */
export interface PipelineOptions {
  extensions: readonly Extension[];
  maxMessageSize: number;
  allocate: Allocate;
  validateUtf8: ((bytes: Uint8Array) => boolean) | undefined;
}

/**
 * Both queues of one connection with extensions. The queues exist only while something waits in them.
 * It reports to its connection: events and decoded messages to deliver, frames to write, the peer's
 * close in its turn, and failures.
 */
export class ExtensionPipeline {
  /** Bytes of received messages waiting for a decode (an adapter pauses reading above a mark). */
  bufferedIncoming = 0;

  private readonly extensions: readonly Extension[];
  private readonly maxMessageSize: number;
  private readonly allocate: Allocate;
  private readonly validateUtf8: (bytes: Uint8Array) => boolean;

  private inbound: InboundTask[] | undefined = undefined;
  private inboundHead = 0;
  /** The message whose async decode is running. */
  private decoding: InboundTask | undefined = undefined;
  private outbound: OutboundTask[] | undefined = undefined;
  private outboundHead = 0;
  /** The message whose async encode (or preparation elsewhere) is running. */
  private encoding: SendTask | undefined = undefined;

  constructor(
    private readonly connection: Connection,
    options: PipelineOptions,
  ) {
    this.extensions = options.extensions;
    this.maxMessageSize = options.maxMessageSize;
    this.allocate = options.allocate;
    this.validateUtf8 = options.validateUtf8 ?? isValidUtf8;
  }

  // ---- inbound ---------------------------------------------------------------------------------

  /** Whether events must wait behind an async decode or inbound tasks still queued. */
  get holdingInbound(): boolean {
    return this.decoding !== undefined || (this.inbound !== undefined && this.inboundHead < this.inbound.length);
  }

  /** An event that has to wait for the messages before it (see {@link holdingInbound}). */
  holdEvent(event: ConnectionEvent): void {
    (this.inbound ??= []).push({ kind: 'event', event });
  }

  /**
   * The peer's close while messages before it are still being decoded: taken in its turn, so the
   * application can still answer them before our close reply goes out (as a sequential reader would).
   */
  holdPeerClose(status: CloseStatus): void {
    (this.inbound ??= []).push({ kind: 'close', status });
  }

  /** A received data message, as its frames' payloads, for the extensions to decode. */
  decode(fragments: Uint8Array[], rsv1: boolean, binary: boolean, size: number): void {
    this.bufferedIncoming += size;
    (this.inbound ??= []).push({ kind: 'decode', fragments, rsv1, binary, size });
    this.drainInbound();
  }

  /** Delivers held inbound events in order, running extension decodes one message at a time. */
  private drainInbound(): void {
    while (this.decoding === undefined && this.inbound !== undefined && this.inboundHead < this.inbound.length) {
      const task = this.inbound[this.inboundHead++]!;
      if (task.kind === 'event') {
        this.connection.deliver(task.event);
        continue;
      }
      if (task.kind === 'close') {
        this.connection.peerClosed(task.status);
        continue;
      }
      let result: Uint8Array | Promise<Uint8Array>;
      try {
        result = runDecode(
          this.extensions,
          this.extensions.length - 1,
          task.fragments,
          task.rsv1,
          this.maxMessageSize,
          this.allocate,
        );
      } catch (error) {
        this.connection.fail(decodeFailure(error));
        return;
      }
      if (isPromise(result)) {
        this.decoding = task;
        result.then(
          (data) => {
            // Dropped meanwhile by a failure or destroy().
            if (this.decoding !== task) return;
            this.decoding = undefined;
            this.bufferedIncoming -= task.size;
            this.decoded(task.binary, data);
            this.drainInbound();
            this.connection.rethrowUserError();
          },
          (error: unknown) => {
            if (this.decoding !== task) return;
            this.decoding = undefined;
            this.connection.fail(decodeFailure(error));
            this.connection.rethrowUserError();
          },
        );
        return;
      }
      this.bufferedIncoming -= task.size;
      this.decoded(task.binary, result);
    }
    if (this.inbound !== undefined && this.inboundHead === this.inbound.length) {
      this.inbound = undefined;
      this.inboundHead = 0;
    }
  }

  /** What an extension produced must meet the same limits as a message that needed no decoding. */
  private decoded(binary: boolean, data: Uint8Array): void {
    if (data.length > this.maxMessageSize) {
      this.connection.fail(messageTooBig(`Message exceeds the ${this.maxMessageSize}-byte limit`));
    } else if (!binary && !this.validateUtf8(data)) {
      this.connection.fail(invalidPayload('Invalid UTF-8 in a text message'));
    } else {
      this.connection.deliver({ type: 'message', binary, data });
    }
  }

  // ---- outbound --------------------------------------------------------------------------------

  /** Whether a frame must wait behind an async encode or outbound messages still queued. */
  get holdingOutbound(): boolean {
    return this.encoding !== undefined || (this.outbound !== undefined && this.outboundHead < this.outbound.length);
  }

  /** An outgoing data message: encoded and written in its turn. */
  send(data: Uint8Array, binary: boolean, done: Done): void {
    (this.outbound ??= []).push({ kind: 'data', data, binary, done });
    this.pumpOutbound();
  }

  /**
   * A message framed elsewhere, possibly still being prepared (compressed once for many connections):
   * written in its turn, behind the messages sent before it and ahead of those sent after.
   */
  sendPrepared(message: PreparedMessage | Promise<PreparedMessage>, done: Done): void {
    (this.outbound ??= []).push({ kind: 'prepared', message, done });
    this.pumpOutbound();
  }

  /** Our close frame, written once the messages sent before it are (see {@link holdingOutbound}). */
  holdClose(payload: Uint8Array): void {
    (this.outbound ??= []).push({ kind: 'close', payload });
  }

  /** Runs queued outgoing messages through the extensions, one at a time, keeping their order. */
  private pumpOutbound(): void {
    while (this.encoding === undefined && this.outbound !== undefined && this.outboundHead < this.outbound.length) {
      const task = this.outbound[this.outboundHead++]!;
      if (task.kind === 'close') {
        this.connection.writeClose(task.payload);
        continue;
      }
      if (task.kind === 'prepared') {
        if (!this.writePrepared(task)) return;
        continue;
      }
      let result: EncodedMessage | Promise<EncodedMessage>;
      try {
        result = runEncode(this.extensions, 0, { data: task.data, rsv1: false }, task.binary);
      } catch (error) {
        this.failSend(task, error);
        return;
      }
      if (isPromise(result)) {
        this.encoding = task;
        result.then(
          (message) => {
            // Dropped meanwhile by a failure or destroy(), which already reported it to `done`.
            if (this.encoding !== task) return;
            this.encoding = undefined;
            this.connection.writeMessage(task.binary ? Opcode.BINARY : Opcode.TEXT, message.data, message.rsv1, task.done);
            this.pumpOutbound();
            this.connection.rethrowUserError();
          },
          (error: unknown) => {
            if (this.encoding !== task) return;
            this.encoding = undefined;
            this.failSend(task, error);
            this.connection.rethrowUserError();
          },
        );
        return;
      }
      this.connection.writeMessage(task.binary ? Opcode.BINARY : Opcode.TEXT, result.data, result.rsv1, task.done);
    }
    if (this.outbound !== undefined && this.outboundHead === this.outbound.length) {
      this.outbound = undefined;
      this.outboundHead = 0;
    }
  }

  /**
   * Writes a prepared message now, or waits for it: returns false when the queue must wait (the message
   * is still being prepared) or stop (it failed the connection).
   */
  private writePrepared(task: PreparedTask): boolean {
    const message = task.message;
    if (isPromise(message)) {
      this.encoding = task;
      message.then(
        (ready) => {
          if (this.encoding !== task) return;
          this.encoding = undefined;
          task.message = ready;
          if (this.writePrepared(task)) this.pumpOutbound();
          this.connection.rethrowUserError();
        },
        (error: unknown) => {
          if (this.encoding !== task) return;
          this.encoding = undefined;
          this.failSend(task, error);
          this.connection.rethrowUserError();
        },
      );
      return false;
    }
    try {
      this.connection.writePrepared(message, task.done);
    } catch (error) {
      // A prepared message this connection may not send (RSV1 without an extension claiming it).
      this.failSend(task, error);
      return false;
    }
    return true;
  }

  private failSend(task: SendTask, error: unknown): void {
    const protocolError = encodeFailure(error);
    task.done?.(protocolError);
    this.connection.fail(protocolError);
  }

  // ---- the end ---------------------------------------------------------------------------------

  /** Drops everything held (the connection failed or was destroyed); pending sends get an error. */
  drop(): void {
    const pending = this.outbound?.slice(this.outboundHead) ?? [];
    if (this.encoding !== undefined) pending.unshift(this.encoding);
    this.encoding = undefined;
    this.outbound = undefined;
    this.outboundHead = 0;
    this.decoding = undefined;
    this.inbound = undefined;
    this.inboundHead = 0;
    this.bufferedIncoming = 0;
    for (const task of pending) {
      if (task.kind !== 'close' && task.done) {
        const done = task.done;
        void Promise.resolve().then(() => done(notOpenError()));
      }
    }
  }
}
