/**
 * Debug output, off unless `NODE_DEBUG=wsts` (Node's own convention, `util.debuglog`): handshakes
 * accepted and refused with their reason, connections closed with their code, limits hit, the memory
 * budget's decisions. Lines go to stderr as `WSTS <pid>: ...`.
 * @module
 */
import { debuglog } from 'node:util';

const log = debuglog('wsts');

/** Whether debug output is on: callers test it before building a message, so off costs nothing. */
export const debugEnabled: boolean = log.enabled;

/** Writes one debug line (only call when {@link debugEnabled}). */
export function debug(message: string): void {
  log('%s', message);
}

/** `address:port` of a socket's peer, for debug lines. */
export function peerOf(socket: { remoteAddress?: string | undefined; remotePort?: number | undefined }): string {
  return `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
}
