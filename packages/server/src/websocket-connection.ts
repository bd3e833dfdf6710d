import { Buffer, isUtf8 } from 'node:buffer';
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import {
  type CloseStatus,
  Connection,
  type ConnectionEvent,
  type ConnectionOptions,
  type Extension,
  type PreparedMessage,
  type ProtocolError,
} from '@wsts/protocol';
import { ConnectionTimers, type TimerOwner } from './connection-timers.js';
import { type ConnectionLimits, connectionSettings } from './connection-settings.js';
import { checkLimits, DEFAULTS } from './defaults.js';
import { ConnectionError } from './errors.js';
import { FlowControl } from './flow-control.js';
import { useFastListenerTable } from './listener-table.js';
import type { HeartbeatMember } from './heartbeat.js';
import { debug, debugEnabled, peerOf } from './debug.js';
import { Membership } from './membership.js';
import { checkConnectionOptionNames } from './option-names.js';
import type { BudgetMember } from './memory-budget.js';
import { otherData, publishedData, toBuffer, unknownSendOption } from './message-data.js';
import { PerMessageDeflate } from './permessage-deflate/index.js';
import { checkTopic, PLAIN_FRAME, type PublishPath, type PublishReport, type Subscriber, Taken, type Topics } from './topics.js';
import { MessageIterators, MessageQueue } from './message-iterator.js';
import { secureRandom } from './random.js';
import { Outbox, type OutboxOwner } from './outbox.js';
import { bindSocket, type SocketOwner } from './socket-binding.js';
import { WebSocketMessage } from './websocket-message.js';
import type {
  SendCallback,
  SendOptions,
  WebSocketConnectionEvents,
  WebSocketConnectionOptions,
  WebSocketConnectionState,
  WebSocketData,
} from './connection-types.js';

function noop(): void {}

/** The bits of `WebSocketConnection.flags`. */
const Flag = { Charged: 1, Released: 2, ManySmall: 4, Alive: 8, Finished: 16 } as const;

/**
 * Bytes of a read fed to the codec at a time when the read may hold many messages (see `onData`): small
 * enough that one slice of tiny frames, each answered, queues a fraction of `sendHighWaterMark`.
 */
const RECEIVE_SLICE = 4096;
/**
 * Messages delivered from one read before the rest of it waits for the next turn of the event loop.
 * Everything an application sends in answer stays alive until the tick ends (the write batch, the send
 * promises); a 64 KiB read of empty frames is 11,000 messages, whose answers then outlive a young-
 * generation collection and become old-generation garbage by the hundred MiB. 256 answers stay young.
 */
const MESSAGES_PER_TURN = 256;
/** Messages in one read from which the peer's next large read is sliced too (it may start mid-frame). */
const MANY_MESSAGES = 64;

/**
 * The settle functions of the promise made last by `new Promise(captureSettlers)`. WHY: an executor
 * written inline would be one more closure per `send`; this one is shared, and its result is read
 * right after the constructor returns (the executor runs synchronously).
 */
const settlers: { resolve: () => void; reject: (error: Error) => void } = { resolve: noop, reject: noop };

function captureSettlers(resolve: () => void, reject: (error: Error) => void): void {
  settlers.resolve = resolve;
  settlers.reject = reject;
}

/**
 * One WebSocket connection over an already-upgraded socket (`net.Socket`, `tls.TLSSocket` or any
 * Duplex), for either role. The server creates one per accepted client; the client side (`connect()`,
 * the WHATWG `WebSocket`) builds on the same class, so both roles share one adapter.
 *
 * Create it right after the HTTP upgrade, passing the `head` bytes Node handed over with the socket;
 * they are fed to the codec before anything read later.
 *
 * This class is the byte path and the public API; its parts live beside it: the socket's listeners
 * what is queued for the peer, with the tick's write batch (outbox.ts),
 * whether we read (flow-control.ts), the close and message timers (connection-timers.ts), the server's
 * clients set, heartbeat and memory budget (membership.ts). The methods marked `@internal` are the
 * hooks those parts call back; they are not for applications.
 */
export class WebSocketConnection<Data = unknown>
  extends EventEmitter<WebSocketConnectionEvents>
  implements SocketOwner, OutboxOwner, TimerOwner, HeartbeatMember, BudgetMember, Subscriber, AsyncIterable<WebSocketMessage>
{
  /** The subprotocol agreed in the handshake, or '' when none. */
  readonly protocol: string;
  /** The negotiated `Sec-WebSocket-Extensions` value, or '' when none. */
  readonly extensions: string;
  /**
   * What the server's `authorize` accepted this connection with (`{ data }`), typed by the server's
   * `Data`; undefined when it accepted without data, and for a client. Yours to replace as the
   * connection's state changes.
   */
  data: Data = undefined as Data;

  private readonly codec: Connection;
  /** What is queued for the peer and what it costs (the tick's batch, bytes, writes, sends, the flush marker). */
  private readonly output: Outbox;
  /** The extensions that hold incoming data of their own (inflate output), or undefined. */
  private readonly holders: readonly ByteHolder[] | undefined;
  /** The server's clients set, heartbeat and memory budget, or a heartbeat of its own; often none. */
  private readonly membership: Membership | undefined;

  /**
   * The connection's yes-or-no state, one bit each (see `Flag`) behind the accessors of the same names:
   * one field instead of five for every idle connection.
   */
  private flags: number = Flag.Alive;
  /** The peer's unread bytes at the last heartbeat: less now means it reads (see `heartbeat`). */
  private unreadAtHeartbeat = 0;
  /** Heartbeat pings sent since the last pong: two means the peer does not read (see `heartbeat`). */
  private unansweredPings = 0;
  /** The rest of a read not yet fed to the codec: reading stopped part-way (see `onData`). */
  private held: Uint8Array | undefined;
  /** Messages delivered so far (wraps harmlessly): a read counts its own from it. */
  private delivered = 0;
  /** Why reading is stopped, if it ever was (see `FlowControl`). */
  private flow: FlowControl | undefined;
  /** The close and message timers, made when the first is armed. */
  private timers: ConnectionTimers | undefined;
  /** The peer's close frame (the codec's 'close' event), once it came: one field for its code and reason. */
  private peerClose: CloseStatus | undefined;
  private failure: Error | undefined;
  /** Running async iterators; undefined while there are none, to save memory. */
  private iterators: MessageIterators | undefined;
  /** @internal The topics this connection subscribes to (see topics.ts); undefined until the first. */
  subscriptions: Set<string> | undefined = undefined;
  /** @internal How a published message reaches this connection (a server's connections only). */
  readonly publishPath: PublishPath;
  private skipped = 0;

  constructor(
    /** The upgraded socket. Exposed for remote address, TLS details and the like. */
    readonly socket: Duplex,
    head: Uint8Array | undefined,
    options: WebSocketConnectionOptions,
    /** @internal Given by `WebSocketServer` to the connections it opens; not an option. */
    membership?: Membership,
  ) {
    super();
    useFastListenerTable(this);
    // The server opens its connections with options it built itself: only yours are checked here.
    if (membership === undefined) checkConnectionOptionNames(options);
    checkLimits(options);
    this.protocol = options.protocol ?? '';
    this.extensions = options.extensionsHeader ?? '';
    const settings = connectionSettings(socket, options, WebSocketConnection.codecOptions);
    this.output = new Outbox(socket, this, settings.limits);
    const holders = (options.extensions ?? []).filter(holdsBytes);
    this.holders = holders.length > 0 ? holders : undefined;
    // An inflate on the thread pool grows without a read: the budget hears of it as it grows.
    if (membership?.budget !== undefined) for (const holder of holders) holder.watch?.(this);
    // This connection is the `this` of the codec's callbacks, methods of the prototype: no closure per connection.
    this.codec = new Connection(settings.codec, this);

    // A server's membership brings its heartbeat; a connection without one may have its own.
    this.membership = membership ?? Membership.ofBareConnection(options.heartbeatInterval ?? DEFAULTS.clientHeartbeatInterval);
    this.publishPath = this.membership?.topics === undefined ? undefined : publishPathOf(options.extensions);
    this.membership?.join(this);

    bindSocket(socket, this, head);
  }

  /**
   * The codec's options for a connection: its limits, the callbacks (methods of the prototype, called with
   * the connection as `this`) and the Node-specific helpers.
   */
  private static codecOptions(options: WebSocketConnectionOptions, limits: ConnectionLimits): ConnectionOptions {
    return {
      role: options.role,
      maxMessageSize: options.maxMessageSize ?? DEFAULTS.maxMessageSize,
      maxFragments: options.maxFragments ?? DEFAULTS.maxFragments,
      autoPong: options.autoPong ?? DEFAULTS.autoPong,
      fragmentSize: options.fragmentSize,
      extensions: options.extensions ?? [],
      random: options.role === 'client' ? (options.random ?? secureRandom) : undefined,
      allocate: Buffer.allocUnsafe, // buffers the codec overwrites completely: skip the zero-fill, as ws does
      validateUtf8: isUtf8, // whole unfragmented text messages: native simdutf, as ws does; fragments stay incremental
      onWrite: WebSocketConnection.prototype.write,
      // The outbox calls a send's `done` from the socket's write callback: a client's large masked copies
      // may then be reused, where the socket is one that is finished with a chunk by then (see
      // `ConnectionLimits.consumesWrites`).
      reuseAfterWrite: limits.consumesWrites,
      onEvent: WebSocketConnection.prototype.onEvent,
    };
  }

  /** The connection's limits, shared with its outbox (see connection-settings.ts). */
  private get limits(): ConnectionLimits {
    return this.output.limits;
  }

  /** Which side of the connection we are. */
  get role(): 'server' | 'client' {
    return this.codec.role;
  }

  /** Whether the memory budget holds a charge for this connection. */
  private get charged(): boolean {
    return (this.flags & Flag.Charged) !== 0;
  }
  private set charged(on: boolean) {
    this.flags = on ? this.flags | Flag.Charged : this.flags & ~Flag.Charged;
  }
  /** Closed by the memory budget: nothing it holds counts any more. */
  private get released(): boolean {
    return (this.flags & Flag.Released) !== 0;
  }
  private set released(on: boolean) {
    this.flags = on ? this.flags | Flag.Released : this.flags & ~Flag.Released;
  }
  /** The last read held many messages: the peer sends small frames, so its next large read goes in slices. */
  private get manySmall(): boolean {
    return (this.flags & Flag.ManySmall) !== 0;
  }
  private set manySmall(on: boolean) {
    this.flags = on ? this.flags | Flag.ManySmall : this.flags & ~Flag.ManySmall;
  }
  /** The peer showed it reads since the last heartbeat (see `heartbeat`). */
  private get alive(): boolean {
    return (this.flags & Flag.Alive) !== 0;
  }
  private set alive(on: boolean) {
    this.flags = on ? this.flags | Flag.Alive : this.flags & ~Flag.Alive;
  }
  /** The socket is gone and 'close' was emitted: nothing happens any more. */
  private get finished(): boolean {
    return (this.flags & Flag.Finished) !== 0;
  }
  private set finished(on: boolean) {
    this.flags = on ? this.flags | Flag.Finished : this.flags & ~Flag.Finished;
  }

  // ---- the public API ---------------------------------------------------------------------------

  /**
   * 'open' until a close frame was sent or received or the connection failed, then 'closing' until the
   * socket is gone, then 'closed'. The one place that answers "is it open?" for this class and for the
   * WHATWG `WebSocket` built on it: the codec knows the protocol side (its 'closed' also covers a
   * failure whose close frame the socket is still flushing), only the adapter knows the socket is gone.
   */
  get state(): WebSocketConnectionState {
    if (this.finished) return 'closed';
    return this.codec.state === 'open' ? 'open' : 'closing';
  }

  /** Payload bytes accepted by `send` and not yet handed to the kernel (WHATWG `bufferedAmount`). */
  get bufferedAmount(): number {
    return this.output.pending;
  }

  /**
   * Sends one message. Resolves when its bytes were handed to the kernel, rejects with a
   * `ConnectionError` when they never will be (connection closing/closed, buffer cap exceeded).
   * The promise never causes an unhandled rejection when ignored; `callback` is the alternative.
   */
  send(data: WebSocketData, callback?: SendCallback): Promise<void>;
  send(data: WebSocketData, options?: SendOptions, callback?: SendCallback): Promise<void>;
  send(data: WebSocketData, optionsOrCallback?: SendOptions | SendCallback, maybeCallback?: SendCallback): Promise<void> {
    let options: SendOptions | undefined;
    let callback: SendCallback | undefined;
    if (typeof optionsOrCallback === 'function') callback = optionsOrCallback;
    else {
      options = optionsOrCallback;
      callback = maybeCallback;
    }
    if (options !== undefined) {
      const wrong = unknownSendOption(options);
      if (wrong !== undefined) return this.refuse(wrong, callback);
    }
    let payload: Uint8Array;
    let binary: boolean;
    if (typeof data === 'string') {
      // Encode once here: we need the byte length for accounting anyway.
      payload = Buffer.from(data, 'utf8');
      binary = options?.binary ?? false;
    } else if (data instanceof Uint8Array) {
      payload = data;
      binary = options?.binary ?? true;
    } else {
      const converted = otherData(data);
      if (converted instanceof TypeError) return this.refuse(converted, callback);
      payload = converted.payload;
      binary = options?.binary ?? converted.binary;
    }
    const refusal = this.admit(payload);
    if (refusal !== undefined) return this.refuse(refusal, callback);
    const size = payload.byteLength;
    const output = this.output;
    const promise = new Promise<void>(captureSettlers);
    const { resolve, reject } = settlers;
    this.codec.send(payload, binary, (error) => {
      output.sendSettled(size);
      if (callback !== undefined) callback(error);
      if (error === undefined) resolve();
      else {
        // WHY: fire-and-forget sends are normal; an ignored rejection must not kill the process. The
        // handler is attached only now (the promise exists before the codec can call back, even
        // synchronously): one attached up front costs every send a promise and a microtask.
        promise.catch(noop);
        reject(error);
      }
    });
    return promise;
  }

  /**
   * @internal The WHATWG class's send: bytes only (it encodes strings itself), and no promise, since
   * the class reports nothing per send but `bufferedAmount`. `done` runs once, with the message's size,
   * when its bytes were handed to the kernel or with the reason they never will be. A refused send
   * returns the reason instead (not open; or over `maxBufferedAmount`, which also fails the
   * connection), and `done` never runs.
   */
  sendBytes(payload: Uint8Array, binary: boolean, done: (error: Error | undefined, size: number) => void): Error | undefined {
    const refusal = this.admit(payload);
    if (refusal !== undefined) return refusal;
    const size = payload.byteLength;
    this.codec.send(payload, binary, (error) => {
      this.output.sendSettled(size);
      done(error, size);
    });
    return undefined;
  }

  /**
   * Whether a send of `payload` may go to the codec now: counted as started and undefined if so, else
   * the reason (the connection is not open, or the send would pass `maxBufferedAmount`, which fails it).
   */
  private admit(payload: Uint8Array): Error | undefined {
    if (this.state !== 'open') return new ConnectionError('ERR_NOT_OPEN', `cannot send: the connection is ${this.state}`);
    const size = payload.byteLength;
    if (!this.output.admits(size)) return this.overflow(size);
    this.output.sendStarted(size);
    return undefined;
  }

  // ---- topics (topics.ts): a server's connections only ----------------------------------------------

  /**
   * Subscribes to `topic`: the server's `publish(topic, ...)` (and other connections' `publish`) now
   * reaches this connection. Returns whether it changed anything (false when already subscribed, or
   * when the connection is no longer open). A connection leaves all its topics when it closes.
   * Throws TypeError for a topic that is not a string or a connection not opened by a
   * `WebSocketServer`, RangeError for a topic longer than the server's `maxTopicLength`.
   */
  subscribe(topic: string): boolean {
    const topics = this.topicsOf('subscribe');
    checkTopic(topic, topics.maxTopicLength);
    if (this.state !== 'open') return false;
    const own = (this.subscriptions ??= new Set());
    if (own.has(topic)) return false;
    own.add(topic);
    topics.add(this, topic);
    return true;
  }

  /** Ends a subscription; returns whether there was one. Same errors as {@link subscribe}. */
  unsubscribe(topic: string): boolean {
    const topics = this.topicsOf('unsubscribe');
    checkTopic(topic, topics.maxTopicLength);
    if (this.subscriptions?.delete(topic) !== true) return false;
    topics.remove(this, topic);
    return true;
  }

  /** Whether this connection subscribes to `topic`. Same errors as {@link subscribe}. */
  isSubscribed(topic: string): boolean {
    checkTopic(topic, this.topicsOf('isSubscribed').maxTopicLength);
    return this.subscriptions?.has(topic) === true;
  }

  /** The topics this connection subscribes to, as a frozen snapshot (empty for a client's connection). */
  get topics(): readonly string[] {
    return Object.freeze(this.subscriptions === undefined ? [] : [...this.subscriptions]);
  }

  /**
   * Publishes to every subscriber of `topic` but this connection (which need not subscribe itself), and
   * through the server's broker to other processes: like the server's `publish`, whose report it returns.
   */
  publish(topic: string, data: WebSocketData, options?: SendOptions): PublishReport {
    const topics = this.topicsOf('publish');
    checkTopic(topic, topics.maxTopicLength);
    const { payload, binary } = publishedData(data, options);
    return topics.publish(topic, payload, binary, this);
  }

  /**
   * Published messages this connection did not get because more than the server's
   * `publishHighWaterMark` was queued for it (the peer reads too slowly).
   */
  get skippedMessages(): number {
    return this.skipped;
  }

  /** @internal One published message for this connection (see `Subscriber.takePublished`). */
  takePublished(
    message: PreparedMessage | Promise<PreparedMessage> | undefined,
    payload: Buffer,
    binary: boolean,
    limit: number,
    close: boolean,
  ): Taken {
    if (this.state !== 'open') return Taken.NotOpen;
    const output = this.output;
    // Everything queued counts, also what this tick queued: a burst published in one tick is bounded
    // per subscriber too. One message always goes when nothing is queued.
    const queued = output.outgoingBytes();
    if (queued > 0 && queued + payload.length > limit) {
      this.skipped++;
      if (!close) return Taken.Skipped;
      this.closeSlowSubscriber(queued, limit);
      return Taken.Closed;
    }
    if (message === undefined) {
      // An extension of another kind must see the message: the subscriber's own send.
      void this.send(payload, { binary });
    } else if (message instanceof Promise || this.codec.outboundHeld) {
      // It waits in the codec, out of the socket's sight: counted until written (a callback only here).
      const size = payload.length;
      output.publishHeld(size);
      this.codec.sendPrepared(message, () => output.publishReleased(size));
    } else {
      // The common case: the shared chunks go into this tick's write batch, which counts them.
      this.codec.sendPrepared(message);
    }
    return Taken.Delivered;
  }

  /** A subscriber over `publishHighWaterMark` with `publishOverflow: 'close'`: 1013, like the memory budget. */
  private closeSlowSubscriber(queued: number, limit: number): void {
    const error = new ConnectionError(
      'ERR_PUBLISH_OVERFLOW',
      `a subscriber too slow for what is published: ${queued} bytes queued, publishHighWaterMark is ${limit}`,
    );
    if (this.failure === undefined) this.failure = error;
    this.emitError(error);
    // The close frame waits behind what is queued; a peer that does not read it is cut off by closeTimeout.
    this.close(1013, 'subscriber too slow');
  }

  private topicsOf(method: string): Topics {
    const topics = this.membership?.topics;
    if (topics === undefined) {
      throw new TypeError(`${method}(): only connections opened by a WebSocketServer have topics`);
    }
    return topics;
  }

  /** Sends a ping (payload at most 125 bytes). A 'pong' event follows when the peer answers. */
  ping(data?: Uint8Array | string): void {
    if (this.state !== 'open') throw new ConnectionError('ERR_NOT_OPEN', `cannot ping: the connection is ${this.state}`);
    this.codec.ping(data);
  }

  /** Sends an unsolicited pong (or a manual answer when `autoPong` is off). */
  pong(data?: Uint8Array | string): void {
    if (this.state !== 'open') throw new ConnectionError('ERR_NOT_OPEN', `cannot pong: the connection is ${this.state}`);
    this.codec.pong(data);
  }

  /**
   * Starts the closing handshake (RFC 6455 section 7). Throws `RangeError`/`TypeError` for a code that
   * may not be sent or a reason longer than 123 UTF-8 bytes. Does nothing when already closing. The
   * socket is destroyed if the peer does not complete the handshake within `closeTimeout`.
   */
  close(code?: number, reason?: string): void {
    if (this.state !== 'open') return;
    this.codec.close(code, reason);
    this.armCloseTimer();
  }

  /**
   * @internal Hands what this tick queued to the socket now. For an adapter that writes to the socket
   * itself (a marker write whose callback says the frames before it went out) or ends it: frames wait
   * in the tick's batch, out of the socket's order, until the tick ends.
   */
  flushOutput(): void {
    this.output.flush();
  }

  /** Destroys the socket at once, without a closing handshake. 'close' follows with 1006. */
  terminate(): void {
    this.socket.destroy();
  }

  /**
   * Stops reading from the socket: no 'message' (or ping) events until `resume()`. TCP flow control then
   * slows the peer down. Control frames are not answered meanwhile, so keep pauses shorter than the
   * peer's heartbeat.
   */
  pause(): void {
    this.flowControl().user = true;
    this.updateFlow();
  }

  /** Undoes `pause()`. Reading restarts unless an iterator or an async decode still holds it back. */
  resume(): void {
    if (this.flow !== undefined) this.flow.user = false;
    this.updateFlow();
  }

  /** True while reading is stopped by `pause()`. */
  get isPaused(): boolean {
    return this.flow?.user === true;
  }

  /** Messages as an async iterator; ends when the connection closes. Reading is paused while you lag. */
  messages(): AsyncIterableIterator<WebSocketMessage> {
    const queue = new MessageQueue(
      DEFAULTS.iteratorHighWaterMark,
      (q) => {
        if (this.iterators !== undefined && !this.iterators.remove(q)) this.iterators = undefined;
        this.updateFlow();
      },
      () => this.updateFlow(),
    );
    if (this.finished) queue.end();
    else (this.iterators ??= new MessageIterators()).add(queue);
    return queue;
  }

  [Symbol.asyncIterator](): AsyncIterator<WebSocketMessage> {
    return this.messages();
  }

  // ---- in: socket -> codec -> events ------------------------------------------------------------

  /**
   * @internal The socket read `chunk`: into the codec, whose events come back through `onEvent`.
   *
   * A large read that may hold many small frames (it starts, at a frame boundary, with a frame of
   * under 126 bytes, or the read before it held many messages) goes in slices. The slicing stops after `MESSAGES_PER_TURN` messages, or where our
   * queued output passes `sendHighWaterMark` while the peer is behind on reading it (the kernel refused
   * bytes at the last flush); the rest waits in `held` until the next turn of the event loop or until
   * the output drains. So a read of tiny frames, each answered (an echo), queues a slice's answers, not
   * a whole read's. A frame across a slice boundary costs no copy: the codec hands it out as one view
   * of the read (slices of one buffer continue each other in memory). Other reads go to the codec
   * whole: a read of large frames holds few messages anyway.
   */
  onData(chunk: Uint8Array): void {
    this.alive = true;
    const codec = this.codec;
    const before = this.delivered;
    if (chunk.length > RECEIVE_SLICE && (this.manySmall || ((chunk[1]! & 0x7f) < 126 && !codec.receivingMessage))) {
      this.receiveSliced(chunk);
    } else {
      codec.receive(chunk);
    }
    this.manySmall = this.held !== undefined || this.delivered - before >= MANY_MESSAGES;
    if (codec.bufferedIncoming > DEFAULTS.maxBufferedIncoming) this.updateFlow();
    // Armed at the first read that leaves a message unfinished, cleared at the read that ends it.
    if (this.limits.messageTimeout > 0 && codec.receivingMessage !== (this.timers?.messageArmed === true))
      this.updateMessageTimer();
    if (this.membership?.budget !== undefined && (this.charged || codec.bufferedBytes > 0)) this.reportMemory();
  }

  private receiveSliced(chunk: Uint8Array): void {
    const output = this.output;
    const first = this.delivered;
    for (let at = 0; at < chunk.length; at += RECEIVE_SLICE) {
      if (at > 0 && output.overHighWaterMark()) {
        this.held = chunk.subarray(at);
        this.pauseForOutput();
        return;
      }
      if (at > 0 && this.delivered - first >= MESSAGES_PER_TURN) {
        this.held = chunk.subarray(at);
        this.flowControl().yielding = true;
        this.updateFlow();
        setImmediate(nextTurn, this);
        return;
      }
      this.codec.receive(chunk.subarray(at, at + RECEIVE_SLICE));
      if (this.finished || this.codec.state !== 'open') {
        // Closing: nothing more will be answered, so the rest of the read goes to the codec at once.
        if (at + RECEIVE_SLICE < chunk.length) this.codec.receive(chunk.subarray(at + RECEIVE_SLICE));
        return;
      }
    }
  }

  /** @internal A read that yielded after `MESSAGES_PER_TURN` messages goes on (with what it held). */
  resumeTurn(): void {
    const flow = this.flow;
    if (flow === undefined || !flow.yielding || this.finished) return;
    flow.yielding = false;
    this.updateFlow();
  }

  /** The codec's `onEvent` (called with this connection as `this`, see the codec's `thisArg`). */
  private onEvent(event: ConnectionEvent): void {
    if (this.finished) return;
    switch (event.type) {
      case 'message': {
        this.delivered = (this.delivered + 1) | 0;
        const data = toBuffer(event.data);
        if (this.iterators !== undefined) this.iterators.push(new WebSocketMessage(data, event.binary));
        this.emit('message', data, event.binary);
        break;
      }
      case 'ping':
        this.emit('ping', toBuffer(event.data));
        break;
      case 'pong':
        this.unansweredPings = 0;
        this.emit('pong', toBuffer(event.data));
        break;
      case 'close':
        this.peerClose = event;
        this.armCloseTimer();
        break;
      case 'fail':
        this.failure = event.error;
        this.emitError(event.error as ProtocolError);
        // The codec already wrote our close frame with the error's code; it goes out first.
        this.endSocket();
        this.armCloseTimer();
        break;
      case 'closed':
        // RFC 6455 section 7.1.1: the server closes TCP first; the client waits for it (timer armed).
        if (this.role === 'server') this.endSocket();
        this.armCloseTimer();
        break;
    }
    if (this.flow?.paused === true || this.iterators !== undefined) this.updateFlow();
    // A send from the application outside a read: the budget learns of it when the tick's batch is
    // flushed (outputFlushed).
  }

  // ---- out: codec -> socket (outbox.ts) ------------------------------------------------------

  /**
   * The codec's `onWrite` (called with this connection as `this`, see the codec's `thisArg`): frames go
   * into the tick's batch, written when the tick ends.
   */
  private write(chunks: Uint8Array[], done?: (error?: Error) => void): void {
    const output = this.output;
    if (!output.enqueue(chunks, done)) return;
    // Frames the codec writes on its own (pongs, close replies) bypass `send`'s check; a peer that
    // pings without reading must still hit the cap.
    if (done === undefined && output.overCap()) this.overflow(0);
  }

  /**
   * @internal The tick's batch went to the socket (see `Outbox`). What the kernel did not take waits on
   * the peer: past `sendHighWaterMark` we stop reading, and the memory budget learns of it, once per tick.
   */
  outputFlushed(): void {
    const output = this.output;
    if (this.flow?.output !== true && output.overHighWaterMark()) this.pauseForOutput();
    // The cheap checks first: with many subscribers flushed in a row, the membership object is one more
    // cache miss per subscriber, and most flushes leave nothing to report.
    if ((this.charged || output.stalled) && this.membership?.budget !== undefined) this.reportMemory();
  }

  /** Ends our side of the socket after what the batch holds (the close frame, often). */
  private endSocket(): void {
    this.flushOutput();
    this.socket.end();
  }

  /** Stops reading until what is queued for the peer has drained to half of `sendHighWaterMark`. */
  private pauseForOutput(): void {
    this.flowControl().output = true;
    this.updateFlow();
    this.output.placeMarker();
  }

  /** @internal A flush marker was written (see `Outbox.placeMarker`): the peer reads. */
  outputDrained(): void {
    this.alive = true; // the peer read everything we had queued before the marker
    const queued = this.output.outgoingBytes();
    if (this.membership?.budget !== undefined) this.reportMemory();
    const flow = this.flow;
    if (flow === undefined) return;
    if (flow.output && queued <= this.limits.sendHighWaterMark / 2) {
      flow.output = false;
      this.updateFlow();
    } else if (flow.output || (flow.budget && queued > 0)) {
      this.output.placeMarker();
    }
  }

  // ---- reading on or off (flow-control.ts) ------------------------------------------------------

  /** Reading on or off, decided by `FlowControl` from every reason; made with the first reason to stop. */
  private updateFlow(): void {
    const decodeBacklog = this.codec.bufferedIncoming > DEFAULTS.maxBufferedIncoming;
    const iteratorLag = this.iterators?.lagging === true;
    let flow = this.flow;
    if (flow === undefined) {
      if (!decodeBacklog && !iteratorLag) return; // never stopped, and no reason to
      flow = this.flow = new FlowControl(this.socket);
    }
    if (!flow.update(decodeBacklog, iteratorLag, this.released)) return;
    // Time spent not reading is ours, not the peer's: the message timer stops and restarts with reading.
    if (this.limits.messageTimeout > 0) this.updateMessageTimer();
    // Reading again: what a sliced read left over comes before anything the socket reads next (its
    // 'data' events resume on a later tick).
    const held = this.held;
    if (!flow.paused && held !== undefined) {
      this.held = undefined;
      this.onData(held);
    }
  }

  private flowControl(): FlowControl {
    return (this.flow ??= new FlowControl(this.socket));
  }

  // ---- timers (connection-timers.ts; the shared heartbeat: heartbeat.ts) ------------------------

  /** Arms the message timer while a message is partly received and we are reading; clears it otherwise. */
  private updateMessageTimer(): void {
    const timeout = this.limits.messageTimeout;
    const wanted = timeout > 0 && !this.finished && this.flow?.paused !== true && this.codec.receivingMessage;
    if (wanted) (this.timers ??= new ConnectionTimers(this)).setMessage(true, timeout);
    else this.timers?.setMessage(false, timeout);
  }

  /** @internal The message timer fired: close with 1008. */
  messageTimedOut(): void {
    if (this.state !== 'open') return;
    const error = new ConnectionError(
      'ERR_MESSAGE_TIMEOUT',
      `a message took longer than ${this.limits.messageTimeout} ms to arrive`,
    );
    if (this.failure === undefined) this.failure = error;
    this.emitError(error);
    this.codec.close(1008, 'message timeout');
    // Like a protocol failure: our close frame is flushed, then TCP ends; the peer's partial message is
    // dropped with the codec when the socket closes.
    this.endSocket();
    this.armCloseTimer();
  }

  /** Bounds the closing handshake by `closeTimeout` (armed once; see `ConnectionTimers`). */
  private armCloseTimer(): void {
    if (this.finished) return;
    (this.timers ??= new ConnectionTimers(this)).armClose(this.limits.closeTimeout);
  }

  /** @internal The close timer fired before the socket was gone: destroy it. */
  closeTimedOut(): void {
    if (this.failure === undefined) {
      this.failure = new ConnectionError(
        'ERR_CLOSE_TIMEOUT',
        `closing handshake not completed within ${this.limits.closeTimeout} ms`,
      );
      this.emitError(this.failure);
    }
    this.socket.destroy();
  }

  /**
   * @internal Called by the heartbeat timer. Two checks: some traffic (or progress on what we queued)
   * within each interval, and a pong to at least one of the last two pings. Traffic alone is not enough:
   * a peer that sends without ever reading looks busy, but never sees our pings. While we are not
   * reading the peer (backpressure), its pongs wait in the kernel too: a peer that cannot take half of
   * `sendHighWaterMark` within two intervals is cut off.
   */
  heartbeat(): void {
    if (this.finished) return;
    if (this.flow?.budget === true) {
      // The memory budget stopped reading this peer, so neither its traffic nor its pongs can reach us:
      // its fate is the budget's (resumed, or closed with 1013). It starts a fresh interval when resumed.
      this.alive = true;
      this.unansweredPings = 0;
      return;
    }
    if (this.unansweredPings >= 2) {
      this.fatal(new ConnectionError('ERR_HEARTBEAT_TIMEOUT', 'no pong to the last two pings: the peer does not read'));
      return;
    }
    // A peer that read some of what we queued since the last tick is alive, even when we stopped
    // reading it (backpressure) and so saw none of its traffic.
    const unread = this.socket.writableLength;
    if (unread < this.unreadAtHeartbeat) this.alive = true;
    this.unreadAtHeartbeat = unread;
    if (!this.alive) {
      this.fatal(new ConnectionError('ERR_HEARTBEAT_TIMEOUT', 'no traffic from the peer within a heartbeat interval'));
      return;
    }
    this.alive = false;
    if (this.state === 'open' && this.codec.ping()) this.unansweredPings++;
  }

  // ---- the server's memory budget (memory-budget.ts) --------------------------------------------

  /** @internal An extension's inflate on the thread pool holds more output: the budget learns of it. */
  inflateGrew(): void {
    if (this.membership?.budget !== undefined) this.reportMemory();
  }

  /** @internal What this connection holds now (see `MemoryBudget`). */
  memoryUsage(): { outgoing: number; incoming: number } {
    if (this.finished || this.released) return { outgoing: 0, incoming: 0 };
    return { outgoing: this.output.outgoingBytes(), incoming: this.incomingBytes() };
  }

  /** @internal The memory budget is under pressure (true) or relieved (false). */
  budgetPause(paused: boolean): void {
    if (this.finished) return;
    const flow = paused ? this.flowControl() : this.flow;
    if (flow !== undefined) flow.budget = paused;
    this.updateFlow();
    // Pausing reading does not stop an inflate already on the thread pool: hold its output too.
    if (this.holders !== undefined) for (const holder of this.holders) holder.hold?.(paused);
    // A paused connection reads nothing, so it would report nothing: the marker reports its drain.
    if (paused) this.output.placeMarker();
  }

  /** @internal The memory budget is exhausted and this connection holds the most: close it with 1013. */
  budgetClose(): void {
    if (this.finished || this.released) return;
    this.released = true;
    this.charged = false;
    const error = new ConnectionError('ERR_MEMORY_BUDGET', 'closed to keep the server within its memory budget');
    if (this.failure === undefined) this.failure = error;
    this.emitError(error);
    if (this.output.outgoingBytes() > this.limits.sendHighWaterMark) {
      // The peer is not reading what we queued: a close frame behind it would never arrive.
      this.socket.destroy();
      return;
    }
    if (this.state === 'open') this.codec.close(1013, 'server over memory budget');
    // Drops the partial message and anything waiting for an extension: the memory goes back now. What
    // still arrives is read and ignored (a paused socket would never see the peer's FIN).
    this.codec.destroy();
    this.updateFlow();
    this.endSocket();
    this.armCloseTimer();
  }

  private incomingBytes(): number {
    let held = this.codec.bufferedBytes + (this.held?.length ?? 0);
    if (this.holders !== undefined) for (const holder of this.holders) held += holder.bufferedBytes;
    return held;
  }

  private reportMemory(): void {
    if (this.released || this.finished) return;
    const outgoing = this.output.outgoingBytes();
    const incoming = this.incomingBytes();
    this.charged = outgoing > 0 || incoming > 0;
    this.membership!.budget!.report(this, outgoing, incoming);
  }

  // ---- the socket's end -------------------------------------------------------------------------

  /** @internal */
  onSocketEnd(): void {
    // A Duplex created with allowHalfOpen would otherwise leave our side open forever.
    if (!this.socket.writableEnded) this.endSocket();
  }

  /** @internal */
  onSocketError(error: Error): void {
    if (this.failure === undefined) this.failure = error;
    this.emitError(error);
  }

  /** @internal The socket is gone: the connection finishes and emits 'close'. */
  onSocketClose(): void {
    if (this.finished) return;
    this.finished = true;
    this.held = undefined;
    this.output.discard();
    this.timers?.clear();
    this.membership?.leave(this);
    this.iterators?.endAll();
    this.iterators = undefined;
    // Clean: both close frames exchanged (the codec finished its closing handshake) and nothing failed.
    const peer = this.peerClose;
    const clean = this.failure === undefined && peer !== undefined && this.codec.state === 'closed';
    // The transport is gone: the codec releases the extensions (exactly once, however it ended) and
    // fails sends still queued behind an async encode, so their promises settle.
    this.codec.destroy();
    if (debugEnabled) {
      const reason = peer === undefined ? '' : ` ${JSON.stringify(peer.reason)}`;
      debug(
        `${this.role} connection with ${peerOf(this.socket as Partial<Socket>)} closed: ${peer?.code ?? 1006}${reason}, clean ${clean}`,
      );
    }
    this.emit('close', peer?.code ?? 1006, peer?.reason ?? '', clean);
  }

  // ---- helpers ---------------------------------------------------------------------------------

  private overflow(size: number): ConnectionError {
    const error = this.output.overflowError(size);
    this.fatal(error);
    return error;
  }

  private fatal(error: Error): void {
    if (this.failure === undefined) this.failure = error;
    this.emitError(error);
    this.socket.destroy();
  }

  private refuse(error: Error, callback: SendCallback | undefined): Promise<void> {
    if (callback !== undefined) process.nextTick(callback, error);
    const promise = Promise.reject(error);
    promise.catch(noop);
    return promise;
  }

  private emitError(error: Error): void {
    if (debugEnabled) {
      const code = (error as { code?: unknown }).code;
      debug(
        `${this.role} connection with ${peerOf(this.socket as Partial<Socket>)}: ${error.name} ${String(code ?? '')} ${error.message}`,
      );
    }
    if (this.listenerCount('error') > 0) this.emit('error', error);
  }
}

/** The rest of a read that yielded after `MESSAGES_PER_TURN` messages may go on. */
function nextTurn(connection: WebSocketConnection): void {
  connection.resumeTurn();
}

/** An extension that holds incoming bytes of its own (permessage-deflate's inflate output), and may say when they grow. */
interface ByteHolder {
  readonly bufferedBytes: number;
  watch?(watcher: { inflateGrew(): void }): void;
  hold?(held: boolean): void;
}

/** How published messages reach a connection with these extensions (see `PublishPath`). */
function publishPathOf(extensions: readonly Extension[] | undefined): PublishPath {
  if (extensions === undefined || extensions.length === 0) return PLAIN_FRAME;
  const only = extensions[0];
  if (extensions.length === 1 && only instanceof PerMessageDeflate) return only.sharedCompression ?? PLAIN_FRAME;
  return undefined;
}

function holdsBytes(extension: Extension): extension is Extension & ByteHolder {
  return typeof (extension as Partial<{ bufferedBytes: unknown }>).bufferedBytes === 'number';
}
