/**
 * Event classes for the WHATWG `WebSocket`. Node 20 has global `Event`, `EventTarget` and `MessageEvent`
 * but no `CloseEvent`, so it is defined here (with the WHATWG attributes and defaults).
 */

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
