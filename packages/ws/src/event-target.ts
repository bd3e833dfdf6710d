/**
 * The WHATWG-flavoured events ws layers over its EventEmitter: `addEventListener`,
 * `removeEventListener`, the `on<event>` attributes, and the event objects they receive.
 * @module
 */
import type { Buffer } from 'node:buffer';
import type { EventEmitter } from 'node:events';
import { kForOnEventAttribute, kListener } from './constants.js';

/** Where an event keeps its target (a symbol: the event's own enumerable keys stay empty, as in ws). */
const kTarget: unique symbol = Symbol('kTarget');

/** A plain event: a type and the WebSocket it came from. */
export class Event {
  #type: string;
  /** Set by the dispatching wrapper. */
  [kTarget]: unknown = null;
  constructor(type: string) {
    this.#type = type;
  }
  /** The WebSocket that dispatched the event, or null. */
  get target(): unknown {
    return this[kTarget];
  }
  /** The event type ('open', 'message', 'close' or 'error'). */
  get type(): string {
    return this.#type;
  }
}

/** Options of a {@link CloseEvent}. */
export interface CloseEventInit {
  code?: number;
  reason?: string;
  wasClean?: boolean;
}

/** The event of a closed connection. */
export class CloseEvent extends Event {
  #code: number;
  #reason: string;
  #wasClean: boolean;
  constructor(type: string, options: CloseEventInit = {}) {
    super(type);
    this.#code = options.code ?? 0;
    this.#reason = options.reason ?? '';
    this.#wasClean = options.wasClean ?? false;
  }
  get code(): number {
    return this.#code;
  }
  get reason(): string {
    return this.#reason;
  }
  get wasClean(): boolean {
    return this.#wasClean;
  }
}

/** Options of an {@link ErrorEvent}. */
export interface ErrorEventInit {
  error?: unknown;
  message?: string;
}

/** The event of an error. */
export class ErrorEvent extends Event {
  #error: unknown;
  #message: string;
  constructor(type: string, options: ErrorEventInit = {}) {
    super(type);
    this.#error = options.error === undefined ? null : options.error;
    this.#message = options.message ?? '';
  }
  get error(): unknown {
    return this.#error;
  }
  get message(): string {
    return this.#message;
  }
}

/** Options of a {@link MessageEvent}. */
export interface MessageEventInit {
  data?: unknown;
}

/** The event of a message: `data` is a string for text, what `binaryType` says for binary. */
export class MessageEvent extends Event {
  #data: unknown;
  constructor(type: string, options: MessageEventInit = {}) {
    super(type);
    this.#data = options.data === undefined ? null : options.data;
  }
  get data(): unknown {
    return this.#data;
  }
}

for (const [proto, names] of [
  [Event.prototype, ['target', 'type']],
  [CloseEvent.prototype, ['code', 'reason', 'wasClean']],
  [ErrorEvent.prototype, ['error', 'message']],
  [MessageEvent.prototype, ['data']],
] as const) {
  for (const name of names) Object.defineProperty(proto, name, { enumerable: true });
}

/** A listener: a function, or an object with `handleEvent`. */
export type EventListener = ((event: Event) => void) | { handleEvent(event: Event): void };

/** Options of `addEventListener`. */
export interface AddEventListenerOptions {
  once?: boolean;
  [kForOnEventAttribute]?: boolean;
}

type Wrapper = ((...args: unknown[]) => void) & { [kListener]?: EventListener; [kForOnEventAttribute]?: boolean };

/** What the wrappers need from the WebSocket: whether both close frames were exchanged. */
export interface EventSource extends EventEmitter {
  /** @internal */
  readonly cleanClose: boolean;
}

function call(listener: EventListener, target: unknown, event: Event): void {
  event[kTarget] = target;
  if (typeof listener === 'object') listener.handleEvent.call(listener, event);
  else listener.call(target, event);
}

function wrap(type: string, listener: EventListener): Wrapper | undefined {
  const wrapper = wrapFor(type, listener);
  return wrapper as Wrapper | undefined;
}

function wrapFor(type: string, listener: EventListener): ((this: EventSource, ...args: never[]) => void) | undefined {
  switch (type) {
    case 'message':
      return function onMessage(this: EventSource, data: Buffer, isBinary: boolean) {
        call(listener, this, new MessageEvent('message', { data: isBinary ? data : data.toString() }));
      };
    case 'close':
      return function onClose(this: EventSource, code: number, reason: Buffer) {
        call(listener, this, new CloseEvent('close', { code, reason: reason.toString(), wasClean: this.cleanClose }));
      };
    case 'error':
      return function onError(this: EventSource, error: Error) {
        call(listener, this, new ErrorEvent('error', { error, message: error.message }));
      };
    case 'open':
      return function onOpen(this: EventSource) {
        call(listener, this, new Event('open'));
      };
    default:
      return undefined;
  }
}

/**
 * Adds `listener` for `type` ('open', 'message', 'close', 'error'; other types are ignored, as in ws).
 * The same listener added twice is kept once.
 */
export function addEventListener(
  this: EventSource,
  type: string,
  listener: EventListener,
  options: AddEventListenerOptions = {},
): void {
  const forAttribute = options[kForOnEventAttribute] === true;
  if (!forAttribute) {
    for (const existing of this.listeners(type) as Wrapper[]) {
      if (existing[kListener] === listener && existing[kForOnEventAttribute] !== true) return;
    }
  }
  const wrapper = wrap(type, listener);
  if (wrapper === undefined) return;
  wrapper[kForOnEventAttribute] = forAttribute;
  wrapper[kListener] = listener;
  if (options.once === true) this.once(type, wrapper);
  else this.on(type, wrapper);
}

/** Removes a listener added with `addEventListener` (not one added with `on`, nor an `on<event>` attribute). */
export function removeEventListener(this: EventSource, type: string, listener: EventListener): void {
  for (const existing of this.listeners(type) as Wrapper[]) {
    if (existing[kListener] === listener && existing[kForOnEventAttribute] !== true) {
      this.removeListener(type, existing);
      return;
    }
  }
}

/** The `on<event>` attribute's getter: the handler set through it, or null. */
export function getAttribute(source: EventSource, type: string): EventListener | null {
  for (const existing of source.listeners(type) as Wrapper[]) {
    if (existing[kForOnEventAttribute] === true) return existing[kListener] ?? null;
  }
  return null;
}

/** The `on<event>` attribute's setter: replaces the previous handler; a non-function just removes it. */
export function setAttribute(source: EventSource, type: string, handler: unknown): void {
  for (const existing of source.listeners(type) as Wrapper[]) {
    if (existing[kForOnEventAttribute] === true) {
      source.removeListener(type, existing);
      break;
    }
  }
  if (typeof handler !== 'function') return;
  addEventListener.call(source, type, handler as EventListener, { [kForOnEventAttribute]: true });
}
