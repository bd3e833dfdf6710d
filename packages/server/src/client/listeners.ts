/**
 * The WebSocket's own table of event listeners, so that a received message reaches its listeners without
 * `EventTarget.dispatchEvent`. It keeps the DOM's rules (and Node's, where Node's EventTarget has a
 * rule of its own): registration order, duplicates ignored, `once`, `signal`, removal during dispatch,
 * `stopImmediatePropagation()`, `handleEvent` objects, and a throwing listener reported as an uncaught
 * exception on the next tick without stopping the others.
 *
 * Every entry is also registered with the EventTarget the WebSocket extends, as a forwarding function:
 * events a program dispatches itself (`socket.dispatchEvent(event)`) go through Node's EventTarget as
 * before, which sets their `target`, honours `passive` and its own flags, and reaches the same listeners
 * in the same order through the same entries.
 */
import { type ReceivedMessageEvent, receivedEventDispatch } from './events.js';

/** A DOM event listener: a function, or an object whose `handleEvent` is looked up at each call. */
export type EventListenerLike = ((event: Event) => unknown) | { handleEvent(event: Event): unknown };

/** Options of `addEventListener`, as the DOM's `AddEventListenerOptions`. */
export interface ListenerOptions {
  capture?: boolean;
  once?: boolean;
  passive?: boolean;
  signal?: AbortSignal;
}

interface Entry {
  readonly type: string;
  readonly callback: EventListenerLike;
  readonly capture: boolean;
  readonly once: boolean;
  /** Set when the entry is removed, so a dispatch that already holds the list skips it. */
  removed: boolean;
  /** What is registered with Node's EventTarget for events dispatched by the program. */
  readonly forward: (event: Event) => void;
  readonly signal: AbortSignal | undefined;
  /** The entry's listener on `signal`, removed with the entry. */
  onAbort: (() => void) | undefined;
}

/** The methods of the EventTarget underneath, called with the WebSocket as `this`. */
interface Underlying {
  add(type: string, listener: (event: Event) => void, options: { capture: boolean; passive: boolean }): void;
  remove(type: string, listener: (event: Event) => void, options: { capture: boolean }): void;
}

/** A Node-style `TypeError` with the code Node's EventTarget gives the same mistake. */
function invalidArgType(name: string, expected: string, value: unknown): TypeError {
  const received = value === null ? 'null' : typeof value === 'function' ? 'function' : `type ${typeof value}`;
  const error = new TypeError(`The "${name}" argument must be ${expected}. Received ${received}`);
  (error as TypeError & { code: string }).code = 'ERR_INVALID_ARG_TYPE';
  return error;
}

function missingArgs(): TypeError {
  const error = new TypeError('The "type" and "listener" arguments must be specified');
  (error as TypeError & { code: string }).code = 'ERR_MISSING_ARGS';
  return error;
}

/** `addEventListener`'s options as the DOM flattens them (a boolean is `capture`), read once each. */
function flattenOptions(options: unknown): Required<Omit<ListenerOptions, 'signal'>> & { signal: AbortSignal | undefined } {
  if (options === undefined || options === null) return { capture: false, once: false, passive: false, signal: undefined };
  if (typeof options === 'boolean') return { capture: options, once: false, passive: false, signal: undefined };
  if (typeof options !== 'object' && typeof options !== 'function') throw invalidArgType('options', 'of type object', options);
  const o = options as ListenerOptions;
  const once = Boolean(o.once);
  const capture = Boolean(o.capture);
  const passive = Boolean(o.passive);
  const signal = o.signal;
  if (signal !== undefined && (signal === null || typeof signal !== 'object' || !('aborted' in signal))) {
    throw invalidArgType('options.signal', 'an instance of AbortSignal', signal);
  }
  return { capture, once, passive, signal };
}

/** Whether `listener` can be registered; null and undefined are ignored (with Node's warning on add). */
function isListener(listener: unknown): listener is EventListenerLike {
  if (typeof listener === 'function' || (typeof listener === 'object' && listener !== null)) return true;
  if (listener === null || listener === undefined) return false;
  throw invalidArgType('listener', 'an instance of EventListener', listener);
}

/** Calls one listener as the DOM says: a function with the target as `this`, else its `handleEvent`. */
function invoke(callback: EventListenerLike, target: EventTarget, event: Event): void {
  if (typeof callback === 'function') {
    callback.call(target, event);
    return;
  }
  const handleEvent = callback.handleEvent;
  if (typeof handleEvent !== 'function') throw new TypeError('the event listener has no handleEvent method');
  handleEvent.call(callback, event);
}

/** Reports a listener's exception as Node's EventTarget does: thrown again on the next tick. */
function reportListenerError(error: unknown): void {
  process.nextTick(() => {
    throw error;
  });
}

/** The listeners of one type at one moment (opaque outside this module). */
export type ListenerList = readonly Entry[];

export class ListenerTable {
  /**
   * Listeners per type. A list is never changed in place: adding or removing makes a new one, so a
   * dispatch iterates the list of the moment it began without copying it (listeners added during a
   * dispatch are not called by it, as the DOM says) and skips entries removed meanwhile.
   */
  readonly #lists = new Map<string, readonly Entry[]>();
  readonly #target: EventTarget;
  readonly #underlying: Underlying;

  constructor(target: EventTarget, underlying: Underlying) {
    this.#target = target;
    this.#underlying = underlying;
  }

  /** `addEventListener` with the DOM's and Node's argument handling. */
  add(argumentCount: number, type: unknown, listener: unknown, options: unknown): void {
    if (argumentCount < 2) throw missingArgs();
    const flat = flattenOptions(options);
    if (flat.signal?.aborted) return;
    if (!isListener(listener)) {
      const warning = Object.assign(new Error(`addEventListener called with ${listener} which has no effect.`), {
        name: 'AddEventListenerArgumentTypeWarning',
        target: this.#target,
        type,
      });
      process.emitWarning(warning);
      return;
    }
    const name = `${type as string}`;
    const list = this.#lists.get(name) ?? [];
    for (const entry of list) if (entry.callback === listener && entry.capture === flat.capture) return;
    const signal = flat.signal;
    const entry: Entry = {
      type: name,
      callback: listener,
      capture: flat.capture,
      once: flat.once,
      removed: false,
      forward: (event) => this.#forward(entry, event),
      signal,
      onAbort: undefined,
    };
    this.#lists.set(name, [...list, entry]);
    this.#underlying.add(name, entry.forward, { capture: flat.capture, passive: flat.passive });
    if (signal !== undefined) {
      entry.onAbort = abortHandler(new WeakRef(this), new WeakRef(entry));
      signal.addEventListener('abort', entry.onAbort, { once: true });
    }
  }

  /** `removeEventListener`: the entry with the same listener and capture flag, if any. */
  remove(argumentCount: number, type: unknown, listener: unknown, options: unknown): void {
    if (argumentCount < 2) throw missingArgs();
    if (!isListener(listener)) return;
    const name = `${type as string}`;
    const capture = typeof options === 'boolean' ? options : Boolean((options as ListenerOptions | null | undefined)?.capture);
    const list = this.#lists.get(name);
    const entry = list?.find((e) => e.callback === listener && e.capture === capture);
    if (entry !== undefined) this.removeEntry(entry);
  }

  /** Takes `entry` out of both tables; a dispatch under way skips it from now on. */
  removeEntry(entry: Entry): void {
    if (entry.removed) return;
    entry.removed = true;
    const list = this.#lists.get(entry.type);
    if (list !== undefined) {
      const rest = list.filter((e) => e !== entry);
      if (rest.length === 0) this.#lists.delete(entry.type);
      else this.#lists.set(entry.type, rest);
    }
    this.#underlying.remove(entry.type, entry.forward, { capture: entry.capture });
    if (entry.onAbort !== undefined) entry.signal?.removeEventListener('abort', entry.onAbort);
  }

  /**
   * The listeners of `type` at this moment, for {@link ListenerTable.fire}; undefined when there are none
   * (so the caller can skip building its event).
   */
  listenersOf(type: string): ListenerList | undefined {
    return this.#lists.get(type);
  }

  /**
   * Dispatches one of the WebSocket's own message events to `list` (from {@link ListenerTable.listenersOf}
   * just before): each listener in order, until one calls `stopImmediatePropagation()`.
   */
  fire(list: ListenerList, event: ReceivedMessageEvent): void {
    const target = this.#target;
    const dispatch = receivedEventDispatch;
    dispatch.begin(event);
    for (let i = 0; i < list.length; i++) {
      const entry = list[i]!;
      if (entry.removed) continue;
      if (entry.once) this.removeEntry(entry);
      try {
        invoke(entry.callback, target, event as unknown as Event);
      } catch (error) {
        reportListenerError(error);
      }
      if (dispatch.stopped(event)) break;
    }
    dispatch.end(event);
  }

  /**
   * An event dispatched by the program reaches an entry through Node's EventTarget, which reports what
   * the listener throws and stops at `stopImmediatePropagation()` itself.
   */
  #forward(entry: Entry, event: Event): void {
    if (entry.removed) return;
    if (entry.once) this.removeEntry(entry);
    invoke(entry.callback, this.#target, event);
  }
}

/**
 * The abort listener of an entry with a signal. WHY weak references: a long-lived signal (one per
 * program, say) must not keep alive every WebSocket it was passed to, nor what their listeners hold;
 * the table and its entries live exactly as long as the WebSocket does.
 */
function abortHandler(table: WeakRef<ListenerTable>, entry: WeakRef<Entry>): () => void {
  return () => {
    const alive = entry.deref();
    if (alive !== undefined) table.deref()?.removeEntry(alive);
  };
}
