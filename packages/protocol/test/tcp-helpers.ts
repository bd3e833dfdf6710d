/**
 * TCP plumbing for interop tests: a minimal HTTP head reader and a socket <-> Connection binding, standing
 * in for what @wsts/server does properly. Everything listens on 127.0.0.1 with port 0.
 */
import { webcrypto } from 'node:crypto';
import { once } from 'node:events';
import { type AddressInfo, connect, createServer, type Server, type Socket } from 'node:net';
import { afterEach } from 'vitest';
import {
  acceptClientHandshake,
  Connection,
  type ConnectionEvent,
  type ConnectionOptions,
  createClientHandshake,
  upgrade,
} from '../src/index.js';
import { describeEvent } from './helpers.js';

export const random = (bytes: Uint8Array): void => {
  webcrypto.getRandomValues(bytes);
};

export const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

/** Reads an HTTP head; resolves with its lines and whatever bytes followed it. */
export function readHead(socket: Socket): Promise<{ lines: string[]; rest: Buffer }> {
  return new Promise((resolve, reject) => {
    let buffered = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      buffered = Buffer.concat([buffered, chunk]);
      const end = buffered.indexOf('\r\n\r\n');
      if (end === -1) return;
      socket.off('data', onData);
      socket.off('error', reject);
      resolve({ lines: buffered.subarray(0, end).toString('latin1').split('\r\n'), rest: buffered.subarray(end + 4) });
    };
    socket.on('data', onData);
    socket.once('error', reject);
  });
}

export const headerPairs = (lines: string[]): [string, string][] =>
  lines.slice(1).map((line) => {
    const colon = line.indexOf(':');
    return [line.slice(0, colon).trim(), line.slice(colon + 1).trim()];
  });

/** Wires a Connection to a socket: writes go out in order, input comes in, 'closed'/'fail' end TCP. */
/** The ConnectionOptions hooks a Node adapter passes (allocate, validateUtf8). */
export type AdapterHooks = Pick<ConnectionOptions, 'allocate' | 'validateUtf8'>;

export function attach(
  socket: Socket,
  role: 'server' | 'client',
  onEvent: (event: ConnectionEvent, connection: Connection) => void,
  leftover: Buffer,
  fragmentSize?: number,
  hooks: AdapterHooks = {},
): Connection {
  const connection: Connection = new Connection({
    role,
    random,
    fragmentSize,
    ...hooks,
    onWrite: (chunks, done) => {
      socket.cork();
      for (const chunk of chunks) socket.write(chunk);
      socket.uncork();
      done?.();
    },
    onEvent: (event) => {
      onEvent(event, connection);
      if (event.type === 'fail' || (event.type === 'closed' && role === 'server')) socket.end();
    },
  });
  socket.on('data', (chunk: Buffer) => connection.receive(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length)));
  if (leftover.length > 0) connection.receive(new Uint8Array(leftover));
  return connection;
}

/** An echo server built from upgrade() and Connection. */
export async function startServer(events: string[], hooks: AdapterHooks = {}): Promise<{ port: number; server: Server }> {
  const server = createServer(async (socket) => {
    const { lines, rest } = await readHead(socket);
    const result = upgrade(headerPairs(lines), { selectProtocol: (offered) => (offered.includes('echo') ? 'echo' : undefined) });
    if (!result.ok) {
      socket.end(`HTTP/1.1 ${result.status} Bad Request\r\n${result.headers.map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`);
      return;
    }
    socket.write(`HTTP/1.1 101 Switching Protocols\r\n${result.headers.map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`);
    attach(
      socket,
      'server',
      (event, connection) => {
        events.push(describeEvent(event).slice(0, 80));
        if (event.type === 'message') connection.send(event.data, event.binary);
      },
      rest,
      undefined,
      hooks,
    );
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  cleanups.push(() => server.close());
  return { port: (server.address() as AddressInfo).port, server };
}

/** Opens a client Connection over TCP with createClientHandshake/acceptClientHandshake. */
export async function openClient(
  port: number,
  events: string[],
  protocols: string[],
  fragmentSize?: number,
): Promise<{ connection: Connection; socket: Socket; protocol: string | undefined }> {
  const socket = connect(port, '127.0.0.1');
  cleanups.push(() => socket.destroy());
  await once(socket, 'connect');
  const handshake = createClientHandshake({
    host: `127.0.0.1:${port}`,
    path: '/?q=1',
    protocols,
    headers: { Origin: 'http://127.0.0.1' },
    random,
  });
  socket.write(`GET /?q=1 HTTP/1.1\r\n${handshake.headers.map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`);
  const { lines, rest } = await readHead(socket);
  const status = Number(lines[0]!.split(' ')[1]);
  const { protocol } = acceptClientHandshake(handshake, status, headerPairs(lines));
  const connection = attach(socket, 'client', (event) => events.push(describeEvent(event).slice(0, 80)), rest, fragmentSize);
  return { connection, socket, protocol };
}
