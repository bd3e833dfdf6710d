/**
 * The ws-shaped `WebSocket`: an EventEmitter with ws's events, attributes and methods, over one
 * {@link WebSocketConnection} of @wsts/server. Frames, masking, UTF-8, closing, permessage-deflate and
 * flow control are the connection's; this class only speaks ws's dialect (ready states, error messages,
 * `binaryType`, send-after-close accounting, the event-target methods).
 * @module
 */
import { Buffer } from 'node:buffer';
import { EventEmitter } from 'node:events';
import type { ClientRequest, IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketConnection, type WebSocketConnectionOptions } from '@wsts/server';
import { openClient, type ClientOptions } from './client.js';
import { BINARY_TYPES, type BinaryType, CLOSED, CLOSING, CONNECTING, EMPTY_BUFFER, OPEN, READY_STATES } from './constants.js';
import {
  addEventListener,
  type EventListener,
  type EventSource,
  getAttribute,
  removeEventListener,
  setAttribute,
} from './event-target.js';
import { notOpenError, toWsError } from './ws-errors.js';

/** What `send` takes: ws's data types. */
export type Data = string | Buffer | ArrayBuffer | ArrayBufferView | Blob | readonly number[] | number;

/** ws's send options. `binary` and `fin` are honoured; `compress` and `mask` are accepted and ignored (see README). */
export interface SendOptions {
  binary?: boolean;
  compress?: boolean;
  fin?: boolean;
  mask?: boolean;
}

/** A send callback: called once the data is written, or with the reason it never will be. */
export type Callback = (error?: Error | null) => void;

/** @internal Attaches an upgraded socket (the server's and the client's last handshake step). */
export const kAttach: unique symbol = Symbol('wsts.ws.attach');
/** @internal Fails the opening handshake: readyState CLOSING, then 'error' and 'close'. */
export const kFailHandshake: unique symbol = Symbol('wsts.ws.failHandshake');
/** @internal The client's pending handshake request. */
export const kRequest: unique symbol = Symbol('wsts.ws.request');
/** @internal Sets what the handshake agreed (url, protocol, extensions) before attaching. */
export const kHandshake: unique symbol = Symbol('wsts.ws.handshake');

/** @internal What the server passes along to each WebSocket it creates. */
export interface ServerSideOptions {
  readonly connection: Omit<WebSocketConnectionOptions, 'role' | 'protocol' | 'extensions' | 'extensionsHeader'>;
}

/** Our close-reason Buffer for the reason string the connection reports. */
function reasonBuffer(reason: string): Buffer {
  return reason === '' ? EMPTY_BUFFER : Buffer.from(reason);
}

function isBlob(value: unknown): value is Blob {
  return typeof Blob === 'function' && value instanceof Blob;
}

/** Bytes of `data` as ws counts them for `bufferedAmount` after close. */
function byteLength(data: unknown): number {
  if (typeof data === 'string') return Buffer.byteLength(data);
  if (isBlob(data)) return data.size;
  if (ArrayBuffer.isView(data) || data instanceof ArrayBuffer) return data.byteLength;
  if (Array.isArray(data)) return data.length;
  return 0;
}

/** ws's `toBuffer`: views and ArrayBuffers without a copy, arrays of numbers copied. */
function toBytes(data: unknown): Uint8Array {
  if (data instanceof Uint8Array) return data;
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (Array.isArray(data)) return Buffer.from(data as number[]);
  throw new TypeError(
    'The "data" argument must be of type string or an instance of Buffer, TypedArray, DataView, ArrayBuffer or Blob',
  );
}

/** A close code ws lets an application send. */
function isSendableCode(code: number): boolean {
  return (code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006) || (code >= 3000 && code <= 4999);
}

interface QueuedSend {
  readonly data: unknown;
  readonly binary: boolean;
  readonly callback: Callback | undefined;
}

/**
 * A WebSocket with ws's API. `new WebSocket(url, protocols?, options?)` opens a client connection; a
 * `WebSocketServer` hands out server-side ones in its 'connection' event.
 */
export class WebSocket extends EventEmitter implements EventSource {
  static readonly CONNECTING = CONNECTING;
  static readonly OPEN = OPEN;
  static readonly CLOSING = CLOSING;
  static readonly CLOSED = CLOSED;
  declare readonly CONNECTING: 0;
  declare readonly OPEN: 1;
  declare readonly CLOSING: 2;
  declare readonly CLOSED: 3;

  #readyState: number = CONNECTING;
  #binaryType: BinaryType = 'nodebuffer';
  #url: string | undefined;
  #protocol = '';
  #extensions = '';
  #connection: WebSocketConnection | undefined;
  /** Bytes passed to send/ping/pong once no longer open (ws counts them in `bufferedAmount`). */
  #afterClose = 0;
  #errorEmitted = false;
  #cleanClose = false;
  #terminated = false;
  /** `close()` was called while sends waited behind a Blob: the close frame follows them. */
  #closeQueued: { code: number | undefined; reason: string | undefined } | undefined;
  /** Pieces of a message sent with `fin: false`, joined and sent whole when `fin` comes. */
  #fragments: { parts: Uint8Array[]; binary: boolean } | undefined;
  /** Sends waiting behind a Blob being read, so messages keep their order. */
  #queue: QueuedSend[] | undefined;
  /** Bytes in `#queue` (ws counts them in `bufferedAmount`). */
  #queuedBytes = 0;
  /** @internal The pending opening handshake's request (client), for `close()`/`terminate()` while connecting. */
  [kRequest]: ClientRequest | undefined;

  constructor(address: string | URL | null, protocols?: string | readonly string[] | ClientOptions, options?: ClientOptions) {
    super();
    if (address === null) return; // server side: the server attaches the socket
    let list: readonly string[];
    if (protocols === undefined) list = [];
    else if (Array.isArray(protocols)) list = protocols as readonly string[];
    else if (typeof protocols === 'object' && protocols !== null) {
      options = protocols as ClientOptions;
      list = [];
    } else list = [protocols as string];
    openClient(this, address, list, options ?? {});
  }

  // ---- attributes -----------------------------------------------------------------------------

  /** How binary messages are delivered: 'nodebuffer' (default), 'arraybuffer', 'fragments' or 'blob'. */
  get binaryType(): BinaryType {
    return this.#binaryType;
  }
  set binaryType(type: BinaryType) {
    if ((BINARY_TYPES as readonly string[]).includes(type)) this.#binaryType = type;
  }

  /** Bytes accepted by `send` and not yet handed to the kernel, plus those sent after close. */
  get bufferedAmount(): number {
    const pending = this.#connection === undefined ? 0 : this.#connection.bufferedAmount;
    return pending + this.#queuedBytes + this.#afterClose;
  }

  /** The `Sec-WebSocket-Extensions` the handshake agreed, e.g. 'permessage-deflate'. */
  get extensions(): string {
    return this.#extensions;
  }

  /** Whether `pause()` stopped reading. */
  get isPaused(): boolean {
    return this.#connection?.isPaused ?? false;
  }

  /** The subprotocol the server selected, or ''. */
  get protocol(): string {
    return this.#protocol;
  }

  /** CONNECTING (0), OPEN (1), CLOSING (2) or CLOSED (3). */
  get readyState(): number {
    if (this.#readyState === OPEN && (this.#terminated || this.#closeQueued || this.#connection?.state !== 'open'))
      return CLOSING;
    return this.#readyState;
  }

  /** The URL connected to (client side only). */
  get url(): string {
    return this.#url as string;
  }

  /** The opening handshake's request while connecting, or null (ws's name; for `maxHeadersCount` and the like). */
  get _req(): ClientRequest | null {
    return this[kRequest] ?? null;
  }

  /** @internal Both close frames were exchanged (the CloseEvent's `wasClean`). */
  get cleanClose(): boolean {
    return this.#cleanClose;
  }

  /** @internal The socket underneath, once open (for createWebSocketStream). */
  get socket(): Duplex | undefined {
    return this.#connection?.socket;
  }

  /**
   * The socket underneath, or null before the handshake completed. ws keeps it under this name and
   * applications commonly read it (`ws._socket.remoteAddress`); writing to it corrupts the stream.
   */
  get _socket(): Duplex | null {
    return this.#connection?.socket ?? null;
  }

  declare onopen: EventListener | null;
  declare onmessage: EventListener | null;
  declare onclose: EventListener | null;
  declare onerror: EventListener | null;
  declare addEventListener: typeof addEventListener;
  declare removeEventListener: typeof removeEventListener;

  // ---- methods --------------------------------------------------------------------------------

  /**
   * Starts the closing handshake. While connecting it abandons the attempt ('error', then 'close').
   * Throws TypeError for a code that may not be sent and RangeError for a reason over 123 bytes.
   */
  close(code?: number, reason?: string | Buffer): void {
    const state = this.readyState;
    if (state === CLOSED) return;
    if (state === CONNECTING) {
      this[kFailHandshake](new Error('WebSocket was closed before the connection was established'));
      return;
    }
    if (state === CLOSING) return; // the connection finishes the handshake it started
    if (code !== undefined && (typeof code !== 'number' || !isSendableCode(code))) {
      throw new TypeError('First argument must be a valid error code number');
    }
    let text: string | undefined;
    if (reason !== undefined) {
      const bytes = typeof reason === 'string' ? Buffer.from(reason) : toBytes(reason);
      if (bytes.length > 123) throw new RangeError('The message must not be greater than 123 bytes');
      text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString();
    }
    // ws sends an empty close frame for a reason without a code; so do we.
    const reasonText = code === undefined ? undefined : text;
    if (this.#queue !== undefined) {
      // Messages sent before close() still go out first, as in ws: the close waits for the queue.
      this.#closeQueued = { code, reason: reasonText };
      return;
    }
    this.#connection!.close(code, reasonText);
  }

  /** Destroys the connection at once. While connecting it abandons the attempt ('error', then 'close'). */
  terminate(): void {
    const state = this.readyState;
    if (state === CLOSED) return;
    if (state === CONNECTING) {
      this[kFailHandshake](new Error('WebSocket was closed before the connection was established'));
      return;
    }
    if (this.#connection === undefined) return; // a failed handshake is already closing
    this.#terminated = true;
    this.#connection.terminate();
  }

  /** Stops reading from the socket until `resume()`. Does nothing while connecting or once closed. */
  pause(): void {
    if (this.#connection === undefined || this.readyState === CLOSED) return;
    this.#connection.pause();
  }

  /** Undoes `pause()`. */
  resume(): void {
    if (this.#connection === undefined || this.readyState === CLOSED) return;
    this.#connection.resume();
  }

  /** Sends a ping (at most 125 bytes). */
  ping(data?: unknown, mask?: boolean | Callback, callback?: Callback): void {
    this.#control('ping', data, mask, callback);
  }

  /** Sends a pong (at most 125 bytes). */
  pong(data?: unknown, mask?: boolean | Callback, callback?: Callback): void {
    this.#control('pong', data, mask, callback);
  }

  /** Sends a message. `callback(error?)` is called once it is written, or with the reason it is not. */
  send(data: unknown, options?: SendOptions | Callback, callback?: Callback): void {
    if (this.readyState === CONNECTING) throw notOpenError(CONNECTING);
    if (typeof options === 'function') {
      callback = options;
      options = undefined;
    }
    if (typeof data === 'number') data = data.toString();
    if (this.readyState !== OPEN) {
      this.#sendAfterClose(data, callback);
      return;
    }
    const binary = options?.binary ?? typeof data !== 'string';
    if (data === undefined || data === null || data === '') data = data === '' ? '' : EMPTY_BUFFER;
    if (options?.fin === false || this.#fragments !== undefined) {
      this.#fragment(data, binary, options?.fin !== false, callback);
      return;
    }
    if (this.#queue !== undefined || isBlob(data)) {
      this.#enqueue({ data, binary, callback });
      return;
    }
    this.#write(data, binary, callback);
  }

  // ---- internals ------------------------------------------------------------------------------

  #control(kind: 'ping' | 'pong', data: unknown, mask: boolean | Callback | undefined, callback: Callback | undefined): void {
    if (this.readyState === CONNECTING) throw notOpenError(CONNECTING);
    if (typeof data === 'function') {
      callback = data as Callback;
      data = undefined;
    } else if (typeof mask === 'function') callback = mask;
    if (typeof data === 'number') data = data.toString();
    if (this.readyState !== OPEN) {
      this.#sendAfterClose(data, callback);
      return;
    }
    const payload =
      data === undefined || data === null || data === ''
        ? EMPTY_BUFFER
        : typeof data === 'string'
          ? Buffer.from(data)
          : toBytes(data);
    if (payload.length > 125) throw new RangeError('The data size must not be greater than 125 bytes');
    const connection = this.#connection!;
    connection[kind](payload);
    // The control frame is in the socket's queue now; an empty write behind it reports when it is out.
    if (callback !== undefined) connection.socket.write(EMPTY_BUFFER, (error) => callback(error ?? undefined));
  }

  #sendAfterClose(data: unknown, callback: Callback | undefined): void {
    if (data !== undefined && data !== null && data !== '') this.#afterClose += byteLength(data);
    if (callback !== undefined) process.nextTick(callback, notOpenError(this.readyState));
  }

  #fragment(data: unknown, binary: boolean, fin: boolean, callback: Callback | undefined): void {
    if (isBlob(data)) throw new TypeError('a Blob cannot be sent as a fragment (fin: false)');
    const bytes = typeof data === 'string' ? Buffer.from(data) : toBytes(data);
    const fragments = (this.#fragments ??= { parts: [], binary });
    fragments.parts.push(Buffer.from(bytes)); // the caller may reuse its buffer before the message ends
    if (!fin) {
      if (callback !== undefined) process.nextTick(callback);
      return;
    }
    this.#fragments = undefined;
    const whole = Buffer.concat(fragments.parts);
    if (this.#queue !== undefined) this.#enqueue({ data: whole, binary: fragments.binary, callback });
    else this.#write(whole, fragments.binary, callback);
  }

  #write(data: unknown, binary: boolean, callback: Callback | undefined): void {
    const payload = typeof data === 'string' ? data : toBytes(data);
    const connection = this.#connection!;
    void connection.send(payload, { binary }, callback === undefined ? undefined : (error) => callback(this.#sendError(error)));
  }

  /** ws's words for a send that never went out because the socket closed. */
  #sendError(error: Error | undefined): Error | undefined {
    if (error === undefined) return undefined;
    if (this.#extensions !== '' && (this.#terminated || this.#connection?.state !== 'open')) {
      return new Error('The socket was closed while data was being compressed', { cause: error });
    }
    return error;
  }

  #enqueue(item: QueuedSend): void {
    this.#queuedBytes += byteLength(item.data);
    const queue = this.#queue;
    if (queue !== undefined) {
      queue.push(item);
      return;
    }
    this.#queue = [item];
    void this.#drainQueue();
  }

  /** Sends the queue in order, reading each Blob first. A Blob that cannot be read fails the connection. */
  async #drainQueue(): Promise<void> {
    const queue = this.#queue!;
    while (queue.length > 0) {
      const item = queue[0]!;
      let data = item.data;
      if (isBlob(data)) {
        try {
          data = Buffer.from(await data.arrayBuffer());
        } catch (error) {
          this.#queue = undefined;
          this.#queuedBytes = 0;
          this.#blobFailed(error as Error, queue);
          return;
        }
      }
      if (this.#terminated || this.#connection?.state !== 'open') {
        // The socket went away while a Blob was read: everything still queued fails, as in ws.
        this.#queue = undefined;
        this.#queuedBytes = 0;
        const error = new Error('The socket was closed while the blob was being read');
        for (const waiting of queue) if (waiting.callback !== undefined) process.nextTick(waiting.callback, error);
        return;
      }
      queue.shift();
      this.#queuedBytes -= byteLength(item.data);
      this.#write(data, item.binary, item.callback);
    }
    this.#queue = undefined;
    const close = this.#closeQueued;
    if (close !== undefined) {
      this.#closeQueued = undefined;
      this.#connection?.close(close.code, close.reason);
    }
  }

  #blobFailed(error: Error, queue: QueuedSend[]): void {
    const reason = new DOMException('The blob could not be read', 'NotReadableError');
    (reason as DOMException & { cause?: unknown }).cause = error;
    for (const item of queue) if (item.callback !== undefined) process.nextTick(item.callback, reason);
    const connection = this.#connection;
    if (connection === undefined || connection.state === 'closed') return;
    this.#terminated = true;
    connection.socket.end();
    this.#emitError(reason);
  }

  #emitError(error: Error): void {
    if (this.#errorEmitted) return;
    this.#errorEmitted = true;
    this.emit('error', error);
  }

  #deliver(data: Buffer, isBinary: boolean): void {
    if (data.length === 0) data = EMPTY_BUFFER; // ws hands out its one empty buffer
    if (!isBinary) {
      this.emit('message', data, false);
      return;
    }
    switch (this.#binaryType) {
      case 'nodebuffer':
        this.emit('message', data, true);
        break;
      case 'arraybuffer':
        this.emit('message', data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength), true);
        break;
      case 'fragments':
        this.emit('message', [data], true);
        break;
      case 'blob':
        this.emit('message', new Blob([data]), true);
        break;
    }
  }

  /** @internal Records what the handshake agreed. */
  [kHandshake](url: string | undefined, protocol: string, extensions: string): void {
    if (url !== undefined) this.#url = url;
    this.#protocol = protocol;
    this.#extensions = extensions;
  }

  /** @internal The handshake is done: wrap the socket in a connection, then 'open'. */
  [kAttach](socket: Duplex, head: Uint8Array, options: WebSocketConnectionOptions): void {
    const connection = new WebSocketConnection(socket, head, options);
    this.#connection = connection;
    this[kRequest] = undefined;
    connection.on('message', (data, isBinary) => this.#deliver(data, isBinary));
    connection.on('ping', (data) => this.emit('ping', data.length === 0 ? EMPTY_BUFFER : data));
    connection.on('pong', (data) => this.emit('pong', data.length === 0 ? EMPTY_BUFFER : data));
    connection.on('error', (error) => {
      // ws reports what the peer did wrong and its own limits, never socket errors (the socket is
      // destroyed and 'close' says 1006), nor a closing handshake that timed out.
      const code = (error as { code?: unknown }).code;
      if (typeof code === 'number' || code === 'ERR_BUFFER_OVERFLOW' || code === 'ERR_MESSAGE_TIMEOUT') {
        this.#emitError(toWsError(error));
      }
    });
    connection.on('close', (code, reason, wasClean) => {
      this.#cleanClose = wasClean;
      this.#readyState = CLOSED;
      this.emit('close', code, reasonBuffer(reason));
    });
    this.#readyState = OPEN;
    this.emit('open');
  }

  /** @internal The opening handshake failed or was abandoned: CLOSING, then 'error' and 'close' (1006). */
  [kFailHandshake](error: Error, synchronous = false): void {
    if (this.#readyState !== CONNECTING) return;
    this.#readyState = CLOSING;
    const request = this[kRequest];
    this[kRequest] = undefined;
    if (request !== undefined) {
      request.destroy();
      // After a complete response the socket may no longer be the request's to destroy.
      if (request.socket !== null && !request.socket.destroyed) request.socket.destroy();
    }
    const finish = (): void => {
      this.#errorEmitted = true;
      this.emit('error', error);
      this.#readyState = CLOSED;
      this.emit('close', 1006, EMPTY_BUFFER);
    };
    if (synchronous) finish();
    else process.nextTick(finish);
  }
}

for (const [name, value] of READY_STATES.entries()) {
  Object.defineProperty(WebSocket, value, { enumerable: true, value: name, writable: false, configurable: false });
  Object.defineProperty(WebSocket.prototype, value, { enumerable: true, value: name, writable: false, configurable: false });
}

for (const property of ['binaryType', 'bufferedAmount', 'extensions', 'isPaused', 'protocol', 'readyState', 'url']) {
  Object.defineProperty(WebSocket.prototype, property, { enumerable: true });
}

for (const type of ['open', 'error', 'close', 'message']) {
  Object.defineProperty(WebSocket.prototype, `on${type}`, {
    enumerable: true,
    configurable: true,
    get(this: WebSocket) {
      return getAttribute(this, type);
    },
    set(this: WebSocket, handler: unknown) {
      setAttribute(this, type, handler);
    },
  });
}

WebSocket.prototype.addEventListener = addEventListener;
WebSocket.prototype.removeEventListener = removeEventListener;

/** @internal The upgrade response and socket the client's request got (for the 'upgrade' event). */
export type UpgradeResponse = IncomingMessage;
