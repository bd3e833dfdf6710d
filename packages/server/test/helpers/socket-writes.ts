import type { Socket } from 'node:net';
import type { WebSocketConnection } from '../../src/index.js';

/**
 * What a connection's socket is asked to write, recorded as the very objects it was given (the socket
 * still writes them): for tests about which buffers the write path hands to a socket.
 */
export function recordWrites(connection: WebSocketConnection): Buffer[] {
  const writes: Buffer[] = [];
  const socket = connection.socket as Socket;
  const write = socket.write.bind(socket) as (chunk: Buffer, ...rest: unknown[]) => boolean;
  socket.write = ((chunk: Buffer, ...rest: unknown[]) => {
    writes.push(chunk);
    return write(chunk, ...rest);
  }) as typeof socket.write;
  return writes;
}
