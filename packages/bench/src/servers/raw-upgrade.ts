/**
 * The hand-made HTTP upgrade of the bench's raw `net` servers (the Node floor, the client peer): no
 * HTTP library in the way, so what those servers cost is theirs alone.
 * @module
 */
import { createHash } from 'node:crypto';
import type { Socket } from 'node:net';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
/** Longest request head read; a longer one is dropped with its socket. */
const MAX_HEAD = 8192;

/** An upgrade request as the raw servers read it. */
export interface RawUpgrade {
  /** The target of a `GET <target> HTTP/1.1` request line; undefined for any other request line. */
  target: string | undefined;
  /** The `Sec-WebSocket-Key`; undefined when missing. */
  key: string | undefined;
  /** The bytes that came after the head: the first frames. */
  rest: Buffer;
}

/** Collects the request head, then stops listening and hands it to `onHead`, once. */
export function readUpgradeHead(socket: Socket, onHead: (request: RawUpgrade) => void): void {
  let head: Buffer = Buffer.alloc(0);
  const onData = (chunk: Buffer): void => {
    head = head.length === 0 ? chunk : Buffer.concat([head, chunk]);
    const end = head.indexOf('\r\n\r\n');
    if (end < 0) {
      if (head.length > MAX_HEAD) socket.destroy();
      return;
    }
    socket.removeListener('data', onData);
    const text = head.subarray(0, end).toString('latin1');
    onHead({
      target: /^GET (\S+) HTTP\/1\.1\r\n/.exec(text)?.[1],
      key: /^sec-websocket-key:[ \t]*(\S+)/im.exec(text)?.[1],
      rest: head.subarray(end + 4),
    });
  };
  socket.on('data', onData);
}

/** Answers 101 Switching Protocols for `key`. */
export function acceptUpgrade(socket: Socket, key: string): void {
  const accept = createHash('sha1')
    .update(key + GUID)
    .digest('base64');
  socket.write(
    `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
  );
}

/** Answers `status` (such as `400 Bad Request`) with an empty body and ends the socket. */
export function refuseUpgrade(socket: Socket, status: string): void {
  socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}
