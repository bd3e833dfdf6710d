import { connect, type Socket } from 'node:net';

/**
 * The client side of the opening handshake, by hand on a raw TCP socket, so the attacker process carries
 * no WebSocket library: what reaches the server is exactly what a case wrote.
 */

/** The key is fixed: the handshake is not under test and a server cannot tell a fixed key from a fresh one. */
const KEY = 'Y2hhb3MtaGFuZHNoYWtlIQ==';

export interface ConnectOptions {
  port: number;
  /** Source address, any of 127.0.0.0/8 on Linux: spreads many sockets over several ephemeral port ranges. */
  localAddress?: string;
  /** Keep our side writable after the server's FIN (a half-open peer). Default false, Node's default. */
  allowHalfOpen?: boolean;
}

/** A TCP connection to the target on 127.0.0.1 (resolves once connected). */
export function connectTcp(options: ConnectOptions, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({
      host: '127.0.0.1',
      port: options.port,
      allowHalfOpen: options.allowHalfOpen ?? false,
      ...(options.localAddress === undefined ? {} : { localAddress: options.localAddress }),
    });
    socket.setNoDelay(true);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`TCP connect timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(socket);
    });
  });
}

export interface RequestOptions {
  path?: string;
  /** Offer permessage-deflate with client_no_context_takeover (so pre-built compressed frames stay valid). */
  deflate?: boolean;
  /** Extra header lines, each "Name: value", written before the blank line. */
  extraHeaders?: readonly string[];
}

/** The upgrade request as bytes on the wire. */
export function upgradeRequest(port: number, options: RequestOptions = {}): string {
  const lines = [
    `GET ${options.path ?? '/'} HTTP/1.1`,
    `Host: 127.0.0.1:${port}`,
    'Upgrade: websocket',
    'Connection: Upgrade',
    `Sec-WebSocket-Key: ${KEY}`,
    'Sec-WebSocket-Version: 13',
  ];
  if (options.deflate === true) lines.push('Sec-WebSocket-Extensions: permessage-deflate; client_no_context_takeover');
  if (options.extraHeaders !== undefined) lines.push(...options.extraHeaders);
  return `${lines.join('\r\n')}\r\n\r\n`;
}

/** What came back for a request: a status line and headers, or nothing before the socket ended. */
export interface HttpAnswer {
  /** The HTTP status, or undefined when the server closed (or the time ran out) without answering. */
  status: number | undefined;
  /** The response head (status line and headers) as text. */
  head: string;
  /** Bytes after the head that arrived before the socket ended or the time ran out (a body, or frames). */
  rest: Buffer;
  /** The server ended the socket (FIN or RST) before the time ran out. */
  ended: boolean;
}

export class HandshakeRefused extends Error {
  constructor(readonly answer: HttpAnswer) {
    super(
      answer.status === undefined ? 'the server closed without answering the upgrade' : `handshake refused with ${answer.status}`,
    );
  }
}

/**
 * Reads an HTTP response head from `socket` (bytes already written by the caller). Resolves as soon as
 * the head is complete for a 101 (the rest belongs to the WebSocket), otherwise once the socket ends or
 * `timeoutMs` passes, so an error body can be measured. Reading stops at `maxBytes`.
 */
export function readAnswer(socket: Socket, timeoutMs: number, maxBytes = 1024 * 1024): Promise<HttpAnswer> {
  return new Promise((resolve) => {
    let data: Buffer = Buffer.alloc(0);
    let settled = false;
    const timer = setTimeout(() => finish(false), timeoutMs);
    function parse(ended: boolean): HttpAnswer {
      const end = data.indexOf('\r\n\r\n');
      const head = (end < 0 ? data : data.subarray(0, end)).toString('latin1');
      const match = /^HTTP\/1\.[01] (\d{3})/.exec(head);
      return {
        status: match === null ? undefined : Number(match[1]),
        head,
        rest: end < 0 ? Buffer.alloc(0) : data.subarray(end + 4),
        ended,
      };
    }
    function finish(ended: boolean): void {
      if (settled) return;
      settled = true;
      // Pause before the listener goes: a flowing socket without a 'data' listener drops what it reads.
      socket.pause();
      clearTimeout(timer);
      socket.removeListener('data', onData);
      socket.removeListener('end', onEnd);
      socket.removeListener('close', onEnd);
      socket.removeListener('error', onEnd);
      resolve(parse(ended));
    }
    function onData(chunk: Buffer): void {
      data = data.length === 0 ? chunk : Buffer.concat([data, chunk]);
      if (data.length >= maxBytes) {
        finish(false);
        return;
      }
      const end = data.indexOf('\r\n\r\n');
      if (end >= 0 && /^HTTP\/1\.1 101 /.test(data.subarray(0, 13).toString('latin1'))) finish(false);
    }
    function onEnd(): void {
      finish(true);
    }
    socket.on('data', onData);
    socket.once('end', onEnd);
    socket.once('close', onEnd);
    socket.once('error', onEnd);
  });
}

export interface Upgraded {
  socket: Socket;
  /** Bytes that arrived right behind the 101 head (already WebSocket frames). */
  leftover: Buffer;
  /** The server agreed to permessage-deflate. */
  deflate: boolean;
}

/** Connects and completes the opening handshake; rejects with HandshakeRefused on anything but 101. */
export async function openWebSocket(options: ConnectOptions & RequestOptions, timeoutMs: number): Promise<Upgraded> {
  const socket = await connectTcp(options, timeoutMs);
  socket.on('error', () => {}); // failures surface as an answer without 101, below
  socket.write(upgradeRequest(options.port, options));
  const answer = await readAnswer(socket, timeoutMs);
  if (answer.status !== 101) {
    socket.destroy();
    throw new HandshakeRefused(answer);
  }
  // The socket is left paused: the caller decides whether this peer reads at all.
  socket.pause();
  return { socket, leftover: answer.rest, deflate: /^sec-websocket-extensions:.*permessage-deflate/im.test(answer.head) };
}
