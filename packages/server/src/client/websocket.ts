import { Buffer } from 'node:buffer';
import { disposeExtensions, ProtocolError } from '@wsts/protocol';
import { ConnectionError } from '../errors.js';
import type { WebSocketConnectionState } from '../connection-types.js';
import type { WebSocketConnection } from '../websocket-connection.js';
import { clientConnection } from './connect.js';
import { CloseEvent, ErrorEvent, ReceivedMessageEvent, type WebSocketMessageEvent } from './events.js';
import { clientExtensionNegotiators } from './extensions-option.js';
import { type EventListenerLike, ListenerTable, type ListenerOptions } from './listeners.js';
import type { OpenedUpgrade } from './open-upgrade.js';
import { openWebSocket } from './open-http2.js';
import { resolveClientOptions, type ClientOptions } from './options.js';
import { type InvalidInputError, parseProtocols, parseWebSocketUrl } from './url.js';

/**
 * How binary messages are delivered: `'blob'` (the default, as the standard says), `'arraybuffer'`, or
 * `'nodebuffer'` (a Node `Buffer`, our extension: no copy).
 */
export type BinaryType = 'arraybuffer' | 'blob' | 'nodebuffer';

/** What a message event's `data` holds: a string for text; for binary, per `binaryType`. */
export type WebSocketMessageData = string | ArrayBuffer | Blob | Buffer;

/** Anything {@link WebSocket.send} accepts. */
export type WebSocketSendData = string | ArrayBufferLike | ArrayBufferView | Blob;

/** Event handler attribute type (`onopen` and friends). */
export type WebSocketEventHandler<E extends Event = Event> = ((this: WebSocket, event: E) => unknown) | null;

const CONNECTING = 0;
const OPEN = 1;
const CLOSING = 2;
const CLOSED = 3;
type ReadyState = typeof CONNECTING | typeof OPEN | typeof CLOSING | typeof CLOSED;
/** The connection's state as a `readyState`. */
const READY_STATE = { open: OPEN, closing: CLOSING, closed: CLOSED } as const satisfies Record<
  WebSocketConnectionState,
  ReadyState
>;

const BINARY_TYPES: ReadonlySet<string> = new Set(['arraybuffer', 'blob', 'nodebuffer']);

/**
 * Whether an error reported by the connection means the standard's "fail the WebSocket connection" (an
 * 'error' event precedes 'close'): a protocol violation by the server, or our own decision to give up on
 * it (its buffer is full: "flagged as full"; it stopped answering pings). A transport that just ends
 * (reset, FIN without a close frame) or a closing handshake that times out is a close, not a failure.
 */
function isFailure(error: Error): boolean {
  if (error instanceof ProtocolError) return true;
  return error instanceof ConnectionError && (error.code === 'ERR_BUFFER_OVERFLOW' || error.code === 'ERR_HEARTBEAT_TIMEOUT');
}

/** WebIDL `[Clamp] unsigned short`: clamp to the range, round half to even. */
function clampUnsignedShort(value: unknown): number {
  const n = Number(value);
  if (Number.isNaN(n)) return 0;
  const clamped = Math.min(Math.max(n, 0), 65535);
  const floor = Math.floor(clamped);
  const fraction = clamped - floor;
  if (fraction > 0.5) return floor + 1;
  if (fraction < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

/**
 * A received binary message as the `ArrayBuffer` the standard hands out. A message that fills its whole
 * buffer is that buffer, without a copy: the codec and the permessage-deflate decoder give every such
 * message memory of its own (an assembled payload, an inflated message), never written again and seen
 * by no one else, since the class's connection is private. Anything else (a message inside a larger
 * read) is copied into a buffer of its own. WHY the typed-array constructor rather than
 * `ArrayBuffer.prototype.slice`: it allocates and copies without slice's generic species lookups, which
 * made up most of the cost of a small message. `new ArrayBuffer(n)` or `Buffer.allocUnsafeSlow(n)`
 * followed by a `set` measured no cheaper: the cost left is the `ArrayBuffer` itself (a backing store
 * from the C allocator, freed later by V8's sweeper thread; see docs/performance.md, "The clients").
 */
function toArrayBuffer(data: Buffer): ArrayBuffer {
  const buffer = data.buffer;
  if (data.byteOffset === 0 && data.byteLength === buffer.byteLength && buffer instanceof ArrayBuffer) return buffer;
  return new Uint8Array(data).buffer;
}

/** The bytes of `data`, without a copy. */
function viewOf(data: ArrayBufferLike | ArrayBufferView): Uint8Array {
  if (data instanceof Uint8Array) return data;
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return new Uint8Array(data);
}

/** Bytes of `data` as a private copy: the caller may reuse its buffer once `send` returns. */
function copyBytes(data: ArrayBufferLike | ArrayBufferView): Uint8Array {
  return new Uint8Array(viewOf(data));
}

function isSharedArrayBuffer(data: unknown): boolean {
  return typeof SharedArrayBuffer !== 'undefined' && data instanceof SharedArrayBuffer;
}

/**
 * The WHATWG `WebSocket` (https://websockets.spec.whatwg.org/) for Node, so the same program runs in a
 * browser and in Node. Built on {@link WebSocketConnection}, the connection class the server uses.
 *
 * `binaryType` defaults to `'blob'` as in browsers and undici, so code written for them (`await
 * event.data.text()`) runs unchanged; set `'arraybuffer'` for synchronous access, or `'nodebuffer'` (our
 * extension) for a `Buffer` without a copy. Deliberate deviation: a third constructor argument takes
 * Node-only {@link ClientOptions} (headers, TLS, timeouts), since Node has no page to take them from.
 *
 * @example
 * const ws = new WebSocket('ws://127.0.0.1:8080', ['chat']);
 * ws.onopen = () => ws.send('hello');
 * ws.onmessage = (event) => console.log(event.data);
 */
export class WebSocket extends EventTarget {
  static readonly CONNECTING = CONNECTING;
  static readonly OPEN = OPEN;
  static readonly CLOSING = CLOSING;
  static readonly CLOSED = CLOSED;
  declare readonly CONNECTING: typeof CONNECTING;
  declare readonly OPEN: typeof OPEN;
  declare readonly CLOSING: typeof CLOSING;
  declare readonly CLOSED: typeof CLOSED;

  #url: URL;
  /** `#url`'s origin, every message event's `origin` (the URL getter builds the string on each call). */
  #origin: string;
  #readyState: ReadyState = CONNECTING;
  #protocol = '';
  #extensions = '';
  #binaryType: BinaryType = 'blob';
  #connection: WebSocketConnection | undefined;
  readonly #abort = new AbortController();
  /** Bytes passed to `send` and not yet handed to the kernel, plus everything sent after closing. */
  #bufferedAmount = 0;
  /**
   * Whether `send` must copy the caller's bytes before handing them on. Without extensions the codec
   * frames a message within the connection's `send`, and a client's frames are masked copies: the
   * caller's bytes are read once, synchronously, and never kept. An extension (permessage-deflate) may
   * hold them while it works asynchronously, and the caller may have changed them by then.
   */
  #copyOnSend = true;
  /** Sends waiting behind a Blob being read, so that messages keep their order. */
  #sendQueue: Promise<void> | undefined;
  #sendQueueLength = 0;
  /** Set when the connection failed (error event before close), with the reason. */
  #failed = false;
  #lastError: Error | undefined;
  readonly #handlers = new Map<string, { handler: WebSocketEventHandler<Event>; listener: (event: Event) => void }>();
  /**
   * The listeners, in a table of our own: a received message is dispatched through it without Node's
   * `MessageEvent` constructor and `dispatchEvent` (see listeners.ts and `ReceivedMessageEvent`). Every
   * listener is registered with the EventTarget underneath too, for events the program dispatches.
   */
  readonly #listeners = new ListenerTable(this, {
    add: (type, listener, options) => super.addEventListener(type, listener, options),
    remove: (type, listener, options) => super.removeEventListener(type, listener, options),
  });

  /**
   * Starts connecting to `url`. Throws a `SyntaxError` DOMException for a URL whose scheme is not ws:,
   * wss:, http: or https:, for a URL with a fragment, and for subprotocols that are not unique tokens.
   */
  constructor(url: string | URL, protocols?: string | readonly string[], options: ClientOptions = {}) {
    super();
    let list: string[];
    try {
      this.#url = parseWebSocketUrl(url);
      this.#origin = this.#url.origin;
      list = parseProtocols(protocols);
    } catch (error) {
      throw new DOMException((error as InvalidInputError).message, 'SyntaxError');
    }
    const signal = options.signal === undefined ? this.#abort.signal : AbortSignal.any([options.signal, this.#abort.signal]);
    const resolved = resolveClientOptions({ ...options, signal }, list);
    const negotiators = clientExtensionNegotiators(options.perMessageDeflate, options.extensions);
    openWebSocket(this.#url, resolved, negotiators).then(
      (upgrade) => this.#onUpgrade(upgrade, options),
      (error: unknown) => this.#onConnectFailure(error),
    );
  }

  /** The URL as parsed (http: and https: shown as ws: and wss:). */
  get url(): string {
    return this.#url.href;
  }

  /** CONNECTING (0), OPEN (1), CLOSING (2) or CLOSED (3). */
  get readyState(): ReadyState {
    // Once open, the connection's `state` is the one source: the closing handshake also starts when the
    // server's close frame arrives or the connection fails, and only the connection knows when the
    // socket is gone. `#readyState` holds what happens outside it: CONNECTING, close() called, CLOSED.
    if (this.#readyState === OPEN) return READY_STATE[this.#connection!.state];
    return this.#readyState;
  }

  /** The subprotocol the server selected, '' when none (or before open). */
  get protocol(): string {
    return this.#protocol;
  }

  /** The server's `Sec-WebSocket-Extensions` value, '' when none (or before open). */
  get extensions(): string {
    return this.#extensions;
  }

  /** Bytes queued by `send` and not yet handed to the network. */
  get bufferedAmount(): number {
    return this.#bufferedAmount;
  }

  /** How binary messages are delivered; invalid values are ignored, as WebIDL enumerations are. */
  get binaryType(): BinaryType {
    return this.#binaryType;
  }

  set binaryType(value: BinaryType) {
    if (BINARY_TYPES.has(String(value))) this.#binaryType = String(value) as BinaryType;
  }

  /** Handler for 'open'; keeps its place among listeners from its first assignment, `null` removes it. */
  get onopen(): WebSocketEventHandler<Event> {
    return this.#getHandler('open');
  }
  set onopen(handler: WebSocketEventHandler<Event>) {
    this.#setHandler('open', handler);
  }
  /** Handler for 'message' (a `MessageEvent` with `data` and `origin`); see {@link WebSocket.onopen}. */
  get onmessage(): WebSocketEventHandler<WebSocketMessageEvent<WebSocketMessageData>> {
    return this.#getHandler('message') as WebSocketEventHandler<WebSocketMessageEvent<WebSocketMessageData>>;
  }
  set onmessage(handler: WebSocketEventHandler<WebSocketMessageEvent<WebSocketMessageData>>) {
    this.#setHandler('message', handler as WebSocketEventHandler<Event>);
  }
  /** Handler for 'error' (an {@link ErrorEvent}; in Node it carries the cause as `error`); see {@link WebSocket.onopen}. */
  get onerror(): WebSocketEventHandler<ErrorEvent> {
    return this.#getHandler('error') as WebSocketEventHandler<ErrorEvent>;
  }
  set onerror(handler: WebSocketEventHandler<ErrorEvent>) {
    this.#setHandler('error', handler as WebSocketEventHandler<Event>);
  }
  /** Handler for 'close' (a {@link CloseEvent} with `code`, `reason`, `wasClean`); see {@link WebSocket.onopen}. */
  get onclose(): WebSocketEventHandler<CloseEvent> {
    return this.#getHandler('close') as WebSocketEventHandler<CloseEvent>;
  }
  set onclose(handler: WebSocketEventHandler<CloseEvent>) {
    this.#setHandler('close', handler as WebSocketEventHandler<Event>);
  }

  /**
   * Queues `data` as one message: strings as text, everything else as binary. Throws an
   * `InvalidStateError` DOMException while CONNECTING. After closing started the data is discarded
   * but still counted in `bufferedAmount`, as the standard says.
   */
  send(data: WebSocketSendData): void {
    if (this.#readyState === CONNECTING) {
      throw new DOMException('cannot send before the connection is open', 'InvalidStateError');
    }
    if (
      !(
        typeof data === 'string' ||
        data instanceof Blob ||
        data instanceof ArrayBuffer ||
        ArrayBuffer.isView(data) ||
        isSharedArrayBuffer(data)
      )
    ) {
      // WebIDL's union conversion: anything else becomes a string.
      data = String(data);
    }
    if (typeof data === 'string') {
      // Encoded once, here: the byte length counts in `bufferedAmount`, and the bytes are our own.
      const bytes = Buffer.from(data, 'utf8');
      this.#bufferedAmount += bytes.length;
      if (this.readyState !== OPEN) return;
      if (this.#sendQueue !== undefined) this.#enqueue(bytes, false);
      else this.#transmit(bytes, false);
      return;
    }
    if (data instanceof Blob) {
      this.#bufferedAmount += data.size;
      if (this.readyState === OPEN) this.#enqueue(data, true);
      return;
    }
    this.#bufferedAmount += data.byteLength;
    if (this.readyState !== OPEN) return;
    // The standard sends the bytes as they are now: a send that waits (behind a Blob, or for an
    // extension) gets a copy; one framed at once reads them before `send` returns.
    if (this.#sendQueue !== undefined) this.#enqueue(copyBytes(data), true);
    else this.#transmit(this.#copyOnSend ? copyBytes(data) : viewOf(data), true);
  }

  /**
   * Starts the closing handshake. `code` must be 1000 or 3000-4999 (else `InvalidAccessError`) and
   * `reason` at most 123 UTF-8 bytes (else `SyntaxError`). While CONNECTING the attempt is abandoned
   * ('error' then 'close' with 1006 follow). Does nothing once closing.
   */
  close(code?: number, reason?: string): void {
    let closeCode: number | undefined;
    if (code !== undefined) {
      closeCode = clampUnsignedShort(code);
      if (closeCode !== 1000 && !(closeCode >= 3000 && closeCode <= 4999)) {
        throw new DOMException(`close code must be 1000 or in 3000-4999, got ${closeCode}`, 'InvalidAccessError');
      }
    }
    // USVString conversion: lone surrogates become U+FFFD, which Buffer's UTF-8 encoder also does.
    const closeReason = reason === undefined ? '' : Buffer.from(String(reason), 'utf8').toString('utf8');
    if (Buffer.byteLength(closeReason, 'utf8') > 123) {
      throw new DOMException('close reason must be at most 123 UTF-8 bytes', 'SyntaxError');
    }
    if (this.#readyState === CLOSING || this.#readyState === CLOSED) return;
    if (this.#readyState === CONNECTING) {
      this.#readyState = CLOSING;
      this.#abort.abort(new DOMException('WebSocket closed before the connection was established', 'AbortError'));
      return;
    }
    this.#readyState = CLOSING;
    // A reason needs a code in front of it on the wire; the standard picks 1000 when none was given.
    if (closeCode === undefined && closeReason !== '') closeCode = 1000;
    this.#connection?.close(closeCode, closeCode === undefined ? undefined : closeReason);
  }

  /**
   * Registers `listener` for `type`, as `EventTarget.addEventListener` does: in order, once per listener
   * and capture flag, with `once`, `passive` and `signal`.
   */
  override addEventListener(
    ...args: [type: string, listener: EventListenerLike | null, options?: ListenerOptions | boolean]
  ): void {
    // The count tells a missing listener (an error, as in Node) from an undefined one (ignored).
    this.#listeners.add(args.length, args[0], args[1], args[2]);
  }

  /** Removes the listener registered with the same `listener` and capture flag, if any. */
  override removeEventListener(
    ...args: [type: string, listener: EventListenerLike | null, options?: Pick<ListenerOptions, 'capture'> | boolean]
  ): void {
    this.#listeners.remove(args.length, args[0], args[1], args[2]);
  }

  // ---- connection lifecycle ----------------------------------------------------------------------

  #onUpgrade(upgrade: OpenedUpgrade, options: ClientOptions): void {
    if (this.#readyState !== CONNECTING) {
      // close() ran after the 101 arrived but before this callback: fail the connection as the standard
      // says for close() while CONNECTING.
      upgrade.socket.destroy();
      disposeExtensions(upgrade.extensions);
      this.#finish(1006, '', false, true, undefined);
      return;
    }
    let connection: WebSocketConnection;
    try {
      connection = clientConnection(upgrade, options);
    } catch (error) {
      this.#finish(1006, '', false, true, error);
      return;
    }
    this.#connection = connection;
    this.#copyOnSend = upgrade.extensions.length > 0;
    this.#protocol = upgrade.protocol;
    this.#extensions = upgrade.extensionsHeader;
    connection.on('message', (data, isBinary) => this.#onMessage(data, isBinary));
    connection.on('error', (error) => {
      if (isFailure(error)) {
        this.#failed = true;
        this.#lastError ??= error;
      }
    });
    connection.on('close', (code, reason, wasClean) => {
      this.#finish(code, reason, wasClean, this.#failed, this.#lastError);
    });
    this.#readyState = OPEN;
    this.dispatchEvent(new Event('open'));
  }

  #onConnectFailure(error: unknown): void {
    this.#finish(1006, '', false, true, error);
  }

  /**
   * The standard's "the WebSocket connection is closed": CLOSED, then 'error' only when the connection
   * was failed (not when the transport simply went away: Chromium, Firefox and WebKit agree), then
   * 'close'.
   */
  #finish(code: number, reason: string, wasClean: boolean, failed: boolean, error: unknown): void {
    if (this.#readyState === CLOSED) return;
    this.#readyState = CLOSED;
    if (failed) {
      const message = error instanceof Error ? error.message : 'WebSocket connection failed';
      this.dispatchEvent(new ErrorEvent('error', { error, message }));
    }
    this.dispatchEvent(new CloseEvent('close', { code, reason, wasClean }));
  }

  #onMessage(data: Buffer, isBinary: boolean): void {
    // Messages that arrive once close() was called are dropped, as the standard says. (Not the getter:
    // a message whose inflate finished after the server's close frame was parsed still precedes it.)
    if (this.#readyState !== OPEN) return;
    // Without a listener nothing can observe the message: no payload, no event.
    const listeners = this.#listeners.listenersOf('message');
    if (listeners === undefined) return;
    let payload: WebSocketMessageData;
    if (!isBinary) payload = data.toString('utf8');
    else if (this.#binaryType === 'nodebuffer') payload = data;
    else if (this.#binaryType === 'blob') payload = new Blob([data]);
    else payload = toArrayBuffer(data);
    this.#listeners.fire(listeners, new ReceivedMessageEvent('message', payload, this.#origin, this));
  }

  // ---- sending -----------------------------------------------------------------------------------

  /**
   * Hands `payload` to the connection. No promise per message: the connection calls back once the bytes
   * were written (see `WebSocketConnection.sendBytes`). A refusal (the connection is closing, or over
   * `maxBufferedAmount`, which fails it) is reported by the connection's 'close' event; its bytes stay
   * counted, as the standard says of data that was not sent.
   */
  #transmit(payload: Uint8Array, binary: boolean): void {
    const connection = this.#connection;
    // The connection refuses a send once it is closing; only close() called on this side is checked here.
    if (connection === undefined || this.#readyState !== OPEN) return;
    connection.sendBytes(payload, binary, this.#sent);
  }

  /** A message's bytes were written (or never will be: the connection is ending; they stay counted). */
  readonly #sent = (error: Error | undefined, size: number): void => {
    if (error === undefined) this.#bufferedAmount -= size;
  };

  /**
   * Sends `data` after every earlier queued send (a Blob must be read first, asynchronously). Bytes
   * come here already copied, so what waits is what `send` was given at the time.
   */
  #enqueue(data: Uint8Array | Blob, binary: boolean): void {
    this.#sendQueueLength += 1;
    const previous = this.#sendQueue ?? Promise.resolve();
    this.#sendQueue = previous
      .then(async () => {
        const payload = data instanceof Blob ? new Uint8Array(await data.arrayBuffer()) : data;
        this.#transmit(payload, binary);
      })
      .catch(() => {
        // A Blob that cannot be read: nothing sensible to send; the bytes stay counted.
      })
      .finally(() => {
        this.#sendQueueLength -= 1;
        if (this.#sendQueueLength === 0) this.#sendQueue = undefined;
      });
  }

  // ---- event handler attributes ------------------------------------------------------------------

  #getHandler(type: string): WebSocketEventHandler<Event> {
    return this.#handlers.get(type)?.handler ?? null;
  }

  /**
   * Event handler attributes keep the position of the first assignment among the listeners (setting
   * another function later does not move it); setting null removes it.
   */
  #setHandler(type: string, handler: WebSocketEventHandler<Event>): void {
    const entry = this.#handlers.get(type);
    if (typeof handler !== 'function') {
      if (entry !== undefined) {
        this.removeEventListener(type, entry.listener);
        this.#handlers.delete(type);
      }
      return;
    }
    if (entry !== undefined) {
      entry.handler = handler;
      return;
    }
    const record = {
      handler,
      listener: (event: Event): void => {
        const current = record.handler;
        if (typeof current === 'function') current.call(this, event);
      },
    };
    this.#handlers.set(type, record);
    this.addEventListener(type, record.listener);
  }
}

// The constants also live on the prototype, as WebIDL constants do.
for (const [name, value] of [
  ['CONNECTING', CONNECTING],
  ['OPEN', OPEN],
  ['CLOSING', CLOSING],
  ['CLOSED', CLOSED],
] as const) {
  Object.defineProperty(WebSocket.prototype, name, { value, enumerable: true });
}
