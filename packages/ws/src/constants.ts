/**
 * Values shared across the ws-shaped surface: the ready states, the empty buffer every empty close reason
 * is (ws users compare it by identity), and the symbols the event-target methods tag their wrappers with.
 * @module
 */
import { Buffer } from 'node:buffer';

/** The four `readyState` values, by index (as ws and the WHATWG API number them). */
export const READY_STATES = ['CONNECTING', 'OPEN', 'CLOSING', 'CLOSED'] as const;

export const CONNECTING = 0;
export const OPEN = 1;
export const CLOSING = 2;
export const CLOSED = 3;

/** The `binaryType` values, in ws's order; the first is the default. */
export const BINARY_TYPES = ['nodebuffer', 'arraybuffer', 'fragments', 'blob'] as const;

/** What `binaryType` may be set to. */
export type BinaryType = (typeof BINARY_TYPES)[number];

/** The one empty buffer: an empty close reason is this object, as in ws. */
export const EMPTY_BUFFER: Buffer = Buffer.alloc(0);

/** ws's GUID for `Sec-WebSocket-Accept` (RFC 6455 section 1.3). */
export const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** Marks the listener wrapper `addEventListener` made, holding the caller's listener. */
export const kListener: unique symbol = Symbol('kListener');

/** Marks the wrapper behind an `on<event>` attribute (there is at most one per event). */
export const kForOnEventAttribute: unique symbol = Symbol('kIsForOnEventAttribute');

/** A function that does nothing (ws exports one; listeners use it to swallow events). */
export function NOOP(): void {}
