import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';

/** Header lines as the codec produces them: `[name, value]` pairs, in order. */
export type HeaderList = readonly (readonly [string, string])[];

/**
 * Writes a raw HTTP/1.1 response head (and optional body) on a socket that Node's HTTP server handed
 * over in its 'upgrade' event - where no `ServerResponse` exists. Used for the 101 that opens a
 * WebSocket and for every refusal.
 */
export function writeHttpResponse(socket: Duplex, status: number, headers: HeaderList, body?: string): void {
  let head = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Unknown'}\r\n`;
  for (const [name, value] of headers) head += `${name}: ${value}\r\n`;
  if (body !== undefined) {
    head += `Content-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n`;
  }
  head += '\r\n';
  socket.write(body === undefined ? head : head + body);
}

/**
 * Refuses a handshake: writes `status` with `reason` as a plain-text body, then closes the socket
 * once the response is flushed. Header names/values come from trusted code (the codec, the server's
 * hooks), not from the client.
 */
export function rejectHandshake(socket: Duplex, status: number, reason: string, headers: HeaderList = []): void {
  if (socket.destroyed) return;
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  writeHttpResponse(socket, status, [['Connection', 'close'], ...headers], reason.endsWith('\n') ? reason : `${reason}\n`);
  socket.end();
  // A client that never reads its refusal must not hold the socket open.
  const timer = setTimeout(() => socket.destroy(), 2000);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
}
