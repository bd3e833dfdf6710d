import { connect, type Socket } from 'node:net';

export interface OpenOptions {
  port: number;
  /** Offer permessage-deflate (with client_no_context_takeover, so pre-built compressed frames stay valid). */
  deflate: boolean;
  /** Source address (any 127.0.0.x on Linux), to spread many sockets over several ephemeral port ranges. */
  localAddress?: string;
  timeoutMs: number;
  /** Request path. Default '/'. */
  path?: string;
}

export interface OpenSocket {
  socket: Socket;
  /** Bytes that arrived after the 101 response's blank line. */
  leftover: Buffer;
  /** The server accepted permessage-deflate. */
  deflate: boolean;
}

/** A fixed key is fine: the handshake is not what these sockets test, and the server cannot tell. */
const KEY = 'YmVuY2gtaGFuZHNoYWtlIQ==';

/**
 * Opens a raw TCP socket to 127.0.0.1:port and performs the client side of the opening handshake by hand,
 * so the load generator carries no WebSocket library of its own (neither side's code runs in it).
 */
export function openWebSocket(options: OpenOptions): Promise<OpenSocket> {
  return new Promise((resolve, reject) => {
    const socket = connect({
      host: '127.0.0.1',
      port: options.port,
      ...(options.localAddress ? { localAddress: options.localAddress } : {}),
    });
    socket.setNoDelay(true);
    let head: Buffer = Buffer.alloc(0);
    const timer = setTimeout(() => fail(new Error(`handshake timed out after ${options.timeoutMs} ms`)), options.timeoutMs);
    function fail(error: Error): void {
      clearTimeout(timer);
      socket.removeListener('data', onData);
      socket.destroy();
      reject(error);
    }
    function onData(chunk: Buffer): void {
      head = head.length === 0 ? chunk : Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) {
        if (head.length > 16384) fail(new Error('handshake response header too large'));
        return;
      }
      const text = head.subarray(0, end).toString('latin1');
      if (!/^HTTP\/1\.1 101 /.test(text)) {
        fail(new Error(`handshake refused: ${text.split('\r\n')[0]}`));
        return;
      }
      clearTimeout(timer);
      socket.removeListener('data', onData);
      socket.removeListener('error', fail);
      resolve({
        socket,
        leftover: head.subarray(end + 4),
        deflate: /^sec-websocket-extensions:.*permessage-deflate/im.test(text),
      });
    }
    socket.on('data', onData);
    socket.once('error', fail);
    socket.once('connect', () => {
      socket.write(
        `GET ${options.path ?? '/'} HTTP/1.1\r\nHost: 127.0.0.1:${options.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\n` +
          (options.deflate ? 'Sec-WebSocket-Extensions: permessage-deflate; client_no_context_takeover\r\n' : '') +
          '\r\n',
      );
    });
  });
}

/** Runs `open` for indices 0..count-1 with at most `concurrency` in flight; rejects on the first failure. */
export async function openMany<T>(count: number, concurrency: number, open: (index: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array<T>(count);
  let next = 0;
  async function lane(): Promise<void> {
    while (next < count) {
      const i = next++;
      out[i] = await open(i);
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, lane));
  return out;
}

/**
 * The address socket `index` of a job connects from: on Linux, one of eight in the job's own block,
 * 127.0.<block>.1-8 (every 127.x address reaches the server on 127.0.0.1 over loopback). Eight
 * addresses give ~225,000 ephemeral ports per job, and a fresh block per job keeps it clear of the
 * TIME_WAIT sockets earlier jobs left (they last a minute). Undefined (the OS's choice, 127.0.0.1)
 * without a block or off Linux.
 */
export function sourceAddress(index: number, block: number | undefined): string | undefined {
  if (process.platform !== 'linux' || block === undefined) return undefined;
  return `127.0.${1 + (block % 254)}.${1 + (index % 8)}`;
}

/**
 * The block of source addresses the next job opens its connections from (see {@link sourceAddress}).
 * Each job of the run (scale and fan-out alike) gets its own, starting from a per-process offset, so no
 * job's connections collide with the TIME_WAIT sockets an earlier job (or run) left behind: with shared
 * addresses, a run after another had half its handshakes wait on the kernel's ephemeral-port search.
 */
let nextBlock = process.pid;
export function nextAddressBlock(): number {
  return nextBlock++;
}
