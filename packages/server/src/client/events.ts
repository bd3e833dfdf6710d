/**
 * Event classes for the WHATWG `WebSocket`. Node 20 has global `Event`, `EventTarget` and `MessageEvent`
 * but no `CloseEvent`, so it is defined here (with the WHATWG attributes and defaults).
 */
import { performance } from 'node:perf_hooks';

/** The DOM `EventInit` dictionary (not declared globally by @types/node). */
export interface WebSocketEventInit {
  bubbles?: boolean;
  cancelable?: boolean;
  composed?: boolean;
}

/** Init dictionary of {@link CloseEvent}. */
export interface CloseEventInit extends WebSocketEventInit {
  code?: number;
  reason?: string;
  wasClean?: boolean;
}

/** The WHATWG `CloseEvent`: fired once as 'close' when the connection is closed. */
export class CloseEvent extends Event {
  /** The close code the peer sent, 1005 if its close frame had none, 1006 if no close frame arrived. */
  readonly code: number;
  /** The close reason the peer sent ('' if none). */
  readonly reason: string;
  /** True when both close frames were exchanged before the TCP connection ended. */
  readonly wasClean: boolean;

  constructor(type: string, init: CloseEventInit = {}) {
    super(type, init);
    this.code = init.code ?? 0;
    this.reason = init.reason ?? '';
    this.wasClean = init.wasClean ?? false;
  }
}

/** Init dictionary of {@link ErrorEvent}. */
export interface ErrorEventInit extends WebSocketEventInit {
  message?: string;
  error?: unknown;
}

/**
 * The 'error' event. Browsers fire a plain `Event` (scripts cannot learn why a connection failed); in
 * Node the reason is useful and harmless, so this subclass carries it in `error` and `message`.
 */
export class ErrorEvent extends Event {
  readonly message: string;
  readonly error: unknown;

  constructor(type: string, init: ErrorEventInit = {}) {
    super(type, init);
    this.message = init.message ?? '';
    this.error = init.error;
  }
}

/** The part of the WHATWG `MessageEvent` a WebSocket uses. */
export interface WebSocketMessageEvent<T = unknown> extends Event {
  readonly data: T;
  readonly origin: string;
  readonly lastEventId: string;
}

interface MessageEventConstructor {
  new <T>(type: string, init: { data: T; origin: string }): WebSocketMessageEvent<T>;
}

/**
 * Node's own global `MessageEvent` (present since Node 15); @types/node does not declare it as a global,
 * hence the typed lookup.
 */
export const MessageEvent = (globalThis as unknown as { MessageEvent: MessageEventConstructor }).MessageEvent;

const NONE = 0;
const AT_TARGET = 2;
/** The event's flags, one bit each in `#flags` (one field instead of six: a smaller object per message). */
const DISPATCHING = 1;
const PROPAGATION_STOPPED = 2;
const IMMEDIATE_STOPPED = 4;
const BUBBLES = 8;
const CANCELABLE = 16;
const CANCELED = 32;
/** Every received message's `ports`: a WebSocket message never carries ports (the standard's FrozenArray). */
const NO_PORTS: readonly never[] = Object.freeze([]);

/** How the listener table drives a {@link ReceivedMessageEvent} through a dispatch (set in its static block). */
export interface ReceivedEventDispatch {
  /** Marks `event` as being dispatched at its target (`currentTarget`, `eventPhase`, `composedPath()`). */
  begin(event: ReceivedMessageEvent): void;
  /** Whether a listener called `stopImmediatePropagation()`: the remaining listeners are skipped. */
  stopped(event: ReceivedMessageEvent): boolean;
  /** Ends the dispatch: `currentTarget` null, `eventPhase` NONE. */
  end(event: ReceivedMessageEvent): void;
}
export let receivedEventDispatch: ReceivedEventDispatch;

/**
 * The 'message' event a WebSocket fires for every received message: a `MessageEvent` to its users
 * (`instanceof MessageEvent` and `instanceof Event` hold, every attribute reads as the standard says)
 * without running Node's `MessageEvent` and `Event` constructors.
 *
 * WHY: those constructors (option validation, a copied `ports` array, brand-checked internal slots) and
 * `EventTarget.dispatchEvent` made up most of the class's own cost per message. This class keeps its
 * state in private fields and defines every accessor and method of `Event.prototype` and
 * `MessageEvent.prototype` itself, since Node's read internal slots that only their constructors set;
 * its prototype is chained to Node's `MessageEvent.prototype` for `instanceof` and the constants.
 * The WebSocket fires it through its own listener table (see listeners.ts). Like the events Node's own
 * constructors make, it is not trusted (`isTrusted` is false: Node reserves true for its internals).
 * Its dispatch state is its own: dispatched again on another EventTarget, it reaches that target's
 * listeners but keeps reporting the socket as `target` (Node keeps an event's target in slots only its
 * own constructor creates).
 */
export class ReceivedMessageEvent<T = unknown> {
  #type: string;
  #data: T;
  #origin: string;
  #target: EventTarget | null;
  #timeStamp = performance.now();
  #flags = 0;

  static {
    receivedEventDispatch = {
      begin: (event) => {
        event.#flags |= DISPATCHING;
      },
      stopped: (event) => (event.#flags & IMMEDIATE_STOPPED) !== 0,
      end: (event) => {
        event.#flags &= ~DISPATCHING;
      },
    };
  }

  constructor(type: string, data: T, origin: string, target: EventTarget) {
    this.#type = type;
    this.#data = data;
    this.#origin = origin;
    this.#target = target;
  }

  get type(): string {
    return this.#type;
  }
  get data(): T {
    return this.#data;
  }
  get origin(): string {
    return this.#origin;
  }
  get lastEventId(): string {
    return '';
  }
  get source(): null {
    return null;
  }
  get ports(): readonly never[] {
    return NO_PORTS;
  }
  get target(): EventTarget | null {
    return this.#target;
  }
  get srcElement(): EventTarget | null {
    return this.#target;
  }
  get currentTarget(): EventTarget | null {
    return (this.#flags & DISPATCHING) !== 0 ? this.#target : null;
  }
  get eventPhase(): number {
    return (this.#flags & DISPATCHING) !== 0 ? AT_TARGET : NONE;
  }
  composedPath(): EventTarget[] {
    return (this.#flags & DISPATCHING) !== 0 && this.#target !== null ? [this.#target] : [];
  }
  get timeStamp(): number {
    return this.#timeStamp;
  }
  get bubbles(): boolean {
    return (this.#flags & BUBBLES) !== 0;
  }
  get cancelable(): boolean {
    return (this.#flags & CANCELABLE) !== 0;
  }
  get composed(): boolean {
    return false;
  }
  /** False unless `initEvent` made the event cancelable (a message event is not) and a listener canceled it. */
  get defaultPrevented(): boolean {
    return (this.#flags & CANCELED) !== 0;
  }
  get returnValue(): boolean {
    return (this.#flags & CANCELED) === 0;
  }
  preventDefault(): void {
    if ((this.#flags & CANCELABLE) !== 0) this.#flags |= CANCELED;
  }
  get cancelBubble(): boolean {
    return (this.#flags & PROPAGATION_STOPPED) !== 0;
  }
  set cancelBubble(value: boolean) {
    if (value) this.#flags |= PROPAGATION_STOPPED;
  }
  stopPropagation(): void {
    this.#flags |= PROPAGATION_STOPPED;
  }
  stopImmediatePropagation(): void {
    this.#flags |= PROPAGATION_STOPPED | IMMEDIATE_STOPPED;
  }
  /** The legacy initializer: ignored during dispatch, otherwise it resets the event as the DOM says. */
  initEvent(type: string, bubbles = false, cancelable = false): void {
    if ((this.#flags & DISPATCHING) !== 0) return;
    this.#type = `${type}`;
    this.#flags = (bubbles ? BUBBLES : 0) | (cancelable ? CANCELABLE : 0);
    this.#target = null;
  }

  [Symbol.for('nodejs.util.inspect.custom')](
    depth: number,
    options: { depth?: number | null },
    inspect: (value: unknown, options: object) => string,
  ): string {
    if (depth < 0) return 'MessageEvent';
    const nested = { ...options, depth: typeof options.depth === 'number' ? options.depth - 1 : options.depth };
    return `MessageEvent ${inspect(
      {
        type: this.#type,
        data: this.#data,
        origin: this.#origin,
        defaultPrevented: this.defaultPrevented,
        cancelable: this.cancelable,
        timeStamp: this.#timeStamp,
      },
      nested,
    )}`;
  }
}

// Reached through the prototype chain: `instanceof MessageEvent` / `instanceof Event`, the inherited
// `isTrusted` getter (no brand check) and `Symbol.toStringTag`. `constructor` names Node's class, so
// code that reads `event.constructor` sees the MessageEvent it expects.
Object.setPrototypeOf(ReceivedMessageEvent.prototype, MessageEvent.prototype);
Object.defineProperty(ReceivedMessageEvent.prototype, 'constructor', {
  value: MessageEvent,
  writable: true,
  configurable: true,
  enumerable: false,
});
