/**
 * Debug output, off unless `NODE_DEBUG=wsts`, the same switch as `@wsts/server`'s: connections to
 * Redis made and lost, drops during an outage, garbled messages. Lines go to stderr as
 * `WSTS <pid>: redis broker: ...`.
 * @module
 */
import { debuglog } from 'node:util';

const log = debuglog('wsts');

/** Whether debug output is on: callers test it before building a message, so off costs nothing. */
export const debugEnabled: boolean = log.enabled;

/** Writes one debug line (only call when {@link debugEnabled}). */
export function debug(message: string): void {
  log('redis broker: %s', message);
}
