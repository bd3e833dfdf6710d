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
import type { AddressInfo as NetAddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketConnection, type WebSocketConnectionOptions } from '@wsts/server';
import { openClient, type ClientOptions } from './client.js';
import { BINARY_TYPES, type BinaryType, CLOSED, CLOSING, CONNECTING, EMPTY_BUFFER, OPEN, READY_STATES } from './constants.js';
import { addEventListener, type EventSource, getAttribute, removeEventListener, setAttribute } from './event-target.js';
import type { WsPerMessageDeflateOptions } from './deflate-options.js';
import type { createWebSocketStream } from './stream.js';
import type { ClientOptions as WsClientOptions } from './client.js';
import type {
  ServerOptions as WsServerOptions,
  VerifyClientForms,
  VerifyClientInfo as WsVerifyClientInfo,
  WebSocketServer as WsServer,
} from './websocket-server.js';
import { notOpenError, toWsError } from './ws-errors.js';

/**
 * What `send` takes: strings, Buffers and other views, ArrayBuffers, Blobs, numbers (sent as their
 * text) and arrays (copied byte by byte, as ws's `Buffer.from` does). The array form is
 * `readonly unknown[]` so a received `RawData` (which may be `Buffer[]`) can be sent back as in ws.
 */
export type SendData = string | number | Buffer | ArrayBuffer | ArrayBufferView | Blob | readonly unknown[];

/** A received message's payload: `binaryType` decides which (see {@link WebSocket.RawData}). */
export type RawData = Buffer | ArrayBuffer | Buffer[];

/** A message as the event-target API delivers it: a string for text, else {@link RawData}. */
export type Data = string | RawData;

/** ws's send options. `binary` and `fin` are honoured; `compress` and `mask` are accepted and ignored (see README). */
export interface SendOptions {
  binary?: boolean | undefined;
  compress?: boolean | undefined;
  fin?: boolean | undefined;
  mask?: boolean | undefined;
}

/** A send/ping/pong callback: called once the data is written (no argument), or with the reason it never will be. */
export type Callback = (error?: Error) => void;

/** The value of `readyState`: CONNECTING, OPEN, CLOSING or CLOSED. */
export type ReadyState = typeof CONNECTING | typeof OPEN | typeof CLOSING | typeof CLOSED;

/** The events of a {@link WebSocket} and their listeners' arguments (ws's, as `@types/ws` types them). */
export interface WebSocketEvents {
  /** The connection closed: the close code (1005 none, 1006 abnormal) and the reason's bytes. */
  close: [code: number, reason: Buffer];
  /** A frame error, a limit, a failed handshake: the connection is closing. */
  error: [error: Error];
  /** A message: its payload (a Buffer for text too, as in ws) and whether it was binary. */
  message: [data: RawData, isBinary: boolean];
  /** The opening handshake completed. */
  open: [];
  /** A ping arrived (already answered unless `autoPong: false`). */
  ping: [data: Buffer];
  /** A pong arrived. */
  pong: [data: Buffer];
  /** Client: a redirect is being followed (`followRedirects`). */
  redirect: [url: string, request: ClientRequest];
  /** Client: the server answered something other than 101 (no 'error' when this is listened to). */
  'unexpected-response': [request: ClientRequest, response: IncomingMessage];
  /** Client: the 101 response, before 'open'. */
  upgrade: [response: IncomingMessage];
}

/**
 * A listener for any event name, typed as `@types/ws` types it (`...args: any[]`): ws users attach
 * listeners for their own event names with parameters of their choosing, and code written against
 * `@types/ws` only compiles unchanged if those parameters stay assignable from `any`. `unknown[]` would
 * reject `(payload: MyType) => ...` and make `(x) => x.field` an error.
 */
// biome-ignore lint/suspicious/noExplicitAny: compatibility with @types/ws's catch-all listener (see above).
export type AnyListener<This> = (this: This, ...args: any[]) => void;

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
 * The typed listener methods of {@link WebSocket} (merged into the class: they are EventEmitter's own
 * methods at run time, only their types are narrowed here). A listener for a known event gets its
 * arguments inferred and `this` as the socket; any other name falls through to the catch-all, as in
 * `@types/ws`.
 */
export interface WebSocket {
  on<E extends keyof WebSocketEvents>(event: E, listener: (this: WebSocket, ...args: WebSocketEvents[E]) => void): this;
  on(event: string | symbol, listener: AnyListener<WebSocket>): this;
  once<E extends keyof WebSocketEvents>(event: E, listener: (this: WebSocket, ...args: WebSocketEvents[E]) => void): this;
  once(event: string | symbol, listener: AnyListener<WebSocket>): this;
  off<E extends keyof WebSocketEvents>(event: E, listener: (this: WebSocket, ...args: WebSocketEvents[E]) => void): this;
  off(event: string | symbol, listener: AnyListener<WebSocket>): this;
  addListener<E extends keyof WebSocketEvents>(event: E, listener: (this: WebSocket, ...args: WebSocketEvents[E]) => void): this;
  addListener(event: string | symbol, listener: AnyListener<WebSocket>): this;
  removeListener<E extends keyof WebSocketEvents>(
    event: E,
    listener: (this: WebSocket, ...args: WebSocketEvents[E]) => void,
  ): this;
  removeListener(event: string | symbol, listener: AnyListener<WebSocket>): this;
  prependListener<E extends keyof WebSocketEvents>(
    event: E,
    listener: (this: WebSocket, ...args: WebSocketEvents[E]) => void,
  ): this;
  prependListener(event: string | symbol, listener: AnyListener<WebSocket>): this;
  prependOnceListener<E extends keyof WebSocketEvents>(
    event: E,
    listener: (this: WebSocket, ...args: WebSocketEvents[E]) => void,
  ): this;
  prependOnceListener(event: string | symbol, listener: AnyListener<WebSocket>): this;

  /**
   * Adds a WHATWG-style listener for 'open', 'message', 'close' or 'error' (a function or an object with
   * `handleEvent`); the same listener added twice is kept once. `{ once: true }` removes it after one call.
   */
  addEventListener<K extends keyof WebSocket.WebSocketEventMap>(
    type: K,
    listener: ((event: WebSocket.WebSocketEventMap[K]) => void) | { handleEvent(event: WebSocket.WebSocketEventMap[K]): void },
    options?: WebSocket.EventListenerOptions,
  ): void;
  /** Removes a listener added with `addEventListener`. */
  removeEventListener<K extends keyof WebSocket.WebSocketEventMap>(
    type: K,
    listener: ((event: WebSocket.WebSocketEventMap[K]) => void) | { handleEvent(event: WebSocket.WebSocketEventMap[K]): void },
  ): void;
}

/**
 * A WebSocket with ws's API. `new WebSocket(url, protocols?, options?)` opens a client connection; a
 * `WebSocketServer` hands out server-side ones in its 'connection' event.
 */
// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: the merged interface only types the EventEmitter methods the class inherits.
export class WebSocket extends EventEmitter implements EventSource {
  static readonly CONNECTING = CONNECTING;
  static readonly OPEN = OPEN;
  static readonly CLOSING = CLOSING;
  static readonly CLOSED = CLOSED;
  declare readonly CONNECTING: 0;
  declare readonly OPEN: 1;
  declare readonly CLOSING: 2;
  declare readonly CLOSED: 3;

  // Set on the class by index.ts (they would be circular imports here), as `require('ws')` carries them.
  /** The class itself, as `require('ws').WebSocket`. */
  declare static readonly WebSocket: typeof WebSocket;
  /** ws's server class. */
  declare static readonly WebSocketServer: typeof WsServer;
  /** ws's older name of {@link WebSocketServer}. */
  declare static readonly Server: typeof WsServer;
  /** A Duplex stream over a WebSocket. */
  declare static readonly createWebSocketStream: typeof createWebSocketStream;

  #readyState: ReadyState = CONNECTING;
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
  get readyState(): ReadyState {
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

  /** The `open` handler (one at a time; setting replaces it, null removes it). */
  declare onopen: ((event: WebSocket.Event) => void) | null;
  /** The `message` handler: `event.data` is a string for text, else what `binaryType` says. */
  declare onmessage: ((event: WebSocket.MessageEvent) => void) | null;
  /** The `close` handler. */
  declare onclose: ((event: WebSocket.CloseEvent) => void) | null;
  /** The `error` handler. */
  declare onerror: ((event: WebSocket.ErrorEvent) => void) | null;

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
  send(data: SendData, options?: SendOptions | Callback, callback?: Callback): void {
    if (this.readyState === CONNECTING) throw notOpenError(CONNECTING);
    if (typeof options === 'function') {
      callback = options;
      options = undefined;
    }
    let payload: unknown = typeof data === 'number' ? data.toString() : data;
    if (this.readyState !== OPEN) {
      this.#sendAfterClose(payload, callback);
      return;
    }
    const binary = options?.binary ?? typeof payload !== 'string';
    // JavaScript callers may pass nothing at all; ws sends an empty message then.
    if (payload === undefined || payload === null || payload === '') payload = payload === '' ? '' : EMPTY_BUFFER;
    if (options?.fin === false || this.#fragments !== undefined) {
      this.#fragment(payload, binary, options?.fin !== false, callback);
      return;
    }
    if (this.#queue !== undefined || isBlob(payload)) {
      this.#enqueue({ data: payload, binary, callback });
      return;
    }
    this.#write(payload, binary, callback);
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
    if (callback !== undefined) {
      // The control frame goes to the socket's queue now; an empty write behind it reports when it is out.
      connection.flushOutput();
      connection.socket.write(EMPTY_BUFFER, (error) => callback(error ?? undefined));
    }
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
    // What this tick queued goes out before the end, as it would have after the tick.
    connection.flushOutput();
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
    const connection = new WebSocketConnection<WebSocket>(socket, head, options);
    // The connection is ours alone (ws users see this class): its `data` leads its listeners back here.
    connection.data = this;
    this.#connection = connection;
    this[kRequest] = undefined;
    connection.on('message', WebSocket.#onMessage);
    connection.on('ping', WebSocket.#onPing);
    connection.on('pong', WebSocket.#onPong);
    connection.on('error', WebSocket.#onError);
    connection.on('close', WebSocket.#onClose);
    this.#readyState = OPEN;
    this.emit('open');
  }

  // The connection's listeners: shared by every WebSocket, called with the connection as `this` (an
  // EventEmitter's listeners are), which leads to the WebSocket through its `data`. WHY not arrow
  // functions per WebSocket: five closures and their context cost every idle connection some 400 bytes.

  static #onMessage(this: WebSocketConnection<WebSocket>, data: Buffer, isBinary: boolean): void {
    this.data.#deliver(data, isBinary);
  }

  static #onPing(this: WebSocketConnection<WebSocket>, data: Buffer): void {
    this.data.emit('ping', data.length === 0 ? EMPTY_BUFFER : data);
  }

  static #onPong(this: WebSocketConnection<WebSocket>, data: Buffer): void {
    this.data.emit('pong', data.length === 0 ? EMPTY_BUFFER : data);
  }

  static #onError(this: WebSocketConnection<WebSocket>, error: Error): void {
    // ws reports what the peer did wrong and its own limits, never socket errors (the socket is
    // destroyed and 'close' says 1006), nor a closing handshake that timed out.
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'number' || code === 'ERR_BUFFER_OVERFLOW' || code === 'ERR_MESSAGE_TIMEOUT') {
      this.data.#emitError(toWsError(error));
    }
  }

  static #onClose(this: WebSocketConnection<WebSocket>, code: number, reason: string, wasClean: boolean): void {
    const ws = this.data;
    ws.#cleanClose = wasClean;
    ws.#readyState = CLOSED;
    ws.emit('close', code, reasonBuffer(reason));
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

// The typed signatures are in the interface below; the functions take any event name and ignore unknown ones.
Object.assign(WebSocket.prototype, { addEventListener, removeEventListener });

/** The class and its instances, by names the namespace below can see past its own `WebSocket` member. */
type WebSocketClass = typeof WebSocket;
type WebSocketInstance = WebSocket;

/**
 * The type names ws users write as `WebSocket.RawData`, `WebSocket.ClientOptions`, `WebSocket.Server`, ...
 * (the names `@types/ws` declares on its default export), merged with the class so one import brings the
 * value and the types, from `import WebSocket from '@wsts/ws'` and from `require('@wsts/ws')` alike.
 */
export declare namespace WebSocket {
  /** A received message's payload: a Buffer (text too), an ArrayBuffer or Buffer[] by `binaryType`. */
  type RawData = Buffer | ArrayBuffer | Buffer[];
  /** A message as `onmessage`/`addEventListener` deliver it: a string for text, else {@link RawData}. */
  type Data = string | RawData;
  /** Certificate and key material, as the TLS options take it. */
  type CertMeta = string | string[] | Buffer | Buffer[];
  /** What `verifyClient` is given. */
  type VerifyClientInfo = WsVerifyClientInfo;
  /** A synchronous `verifyClient`: true accepts, false refuses with 401. */
  type VerifyClientCallbackSync<Request extends IncomingMessage = IncomingMessage> = VerifyClientForms<Request>['sync'];
  /** An asynchronous `verifyClient`: answer through `callback(accept, status?, body?, headers?)`. */
  type VerifyClientCallbackAsync<Request extends IncomingMessage = IncomingMessage> = VerifyClientForms<Request>['async'];
  /** Called with the handshake request instead of `request.end()` (`finishRequest`). */
  type FinishRequestCallback = (request: ClientRequest, websocket: WebSocket) => void;
  /** The client options. */
  type ClientOptions = WsClientOptions;
  /** The permessage-deflate options. */
  type PerMessageDeflateOptions = WsPerMessageDeflateOptions;
  /** The server options. */
  type ServerOptions<
    T extends WebSocketClass = WebSocketClass,
    U extends typeof IncomingMessage = typeof IncomingMessage,
  > = WsServerOptions<T, U>;
  /** Where a server listens: `address()`'s object form. */
  type AddressInfo = NetAddressInfo;
  /** The event `onopen` and an 'open' event listener receive. */
  interface Event {
    /** The event's type. */
    type: string;
    /** The WebSocket that dispatched it. */
    target: WebSocket;
  }
  /** The event of an 'error': the Error the socket emitted and its message. */
  interface ErrorEvent extends Event {
    /** What the 'error' event carried (always an Error here; `@types/ws` says `any`). */
    error: Error;
    message: string;
  }
  /** The event of a 'close'. */
  interface CloseEvent extends Event {
    wasClean: boolean;
    code: number;
    reason: string;
  }
  /** The event of a 'message'. */
  interface MessageEvent extends Event {
    data: Data;
  }
  /** The WHATWG-style events and their event objects. */
  interface WebSocketEventMap {
    open: Event;
    error: ErrorEvent;
    close: CloseEvent;
    message: MessageEvent;
  }
  /** Options of `addEventListener`. */
  interface EventListenerOptions {
    once?: boolean | undefined;
  }
  /** ws's server class, by its old name. */
  type Server<
    T extends WebSocketClass = WebSocketClass,
    U extends typeof IncomingMessage = typeof IncomingMessage,
  > = WebSocketServer<T, U>;
  /** ws's server class. */
  type WebSocketServer<
    T extends WebSocketClass = WebSocketClass,
    U extends typeof IncomingMessage = typeof IncomingMessage,
  > = WsServer<T, U>;
  /** The class itself (`WebSocket.WebSocket`). */
  type WebSocket = WebSocketInstance;
}

/** @internal The upgrade response and socket the client's request got (for the 'upgrade' event). */
export type UpgradeResponse = IncomingMessage;
