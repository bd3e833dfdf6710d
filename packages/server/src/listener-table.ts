/**
 * Where an emitter made per connection keeps its listeners.
 *
 * WHY: Node's EventEmitter starts every emitter with a `{ __proto__: null }` literal for its listener
 * table, and V8 keeps a null-prototype literal as a hash table (dictionary mode) from the start: about
 * 180 bytes per emitter before the first listener is added. A server holding 10,000 idle connections
 * pays that 10,000 times. An object created from a prototype that itself has a null prototype is an
 * ordinary fast-mode object instead: room for four listener types in the object itself, the same
 * hidden class for every connection with the same listener types, and no inherited names (`toString`,
 * `constructor`) for `emit` to find. Node's own streams preset their listener table the same way, for
 * the same reason.
 * @module
 */
import type { EventEmitter } from 'node:events';

/** The prototype of every table: empty, without a prototype of its own. */
const TABLE_PROTOTYPE: object = Object.create(null) as object;

/** The two fields of EventEmitter this relies on (undocumented, but kept by every Node version so far). */
interface EmitterFields {
  _events?: unknown;
  _eventsCount?: unknown;
}

/**
 * Gives `emitter` a fast-mode listener table, if it still has the empty one EventEmitter's constructor
 * made; an emitter that looks any different (listeners already added, another layout of EventEmitter's
 * fields) is left as it is, so the worst case is the memory this saves.
 */
export function useFastListenerTable(emitter: EventEmitter): void {
  const fields = emitter as unknown as EmitterFields;
  const table = fields._events;
  if (fields._eventsCount !== 0 || typeof table !== 'object' || table === null) return;
  if (Object.getPrototypeOf(table) !== null) return;
  fields._events = Object.create(TABLE_PROTOTYPE);
}
