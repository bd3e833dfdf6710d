/**
 * permessage-deflate with undici's WHATWG WebSocket, which offers the extension the way browsers do
 * (`permessage-deflate; client_max_window_bits`) and inflates what our server compresses.
 */
import type { AddressInfo } from 'node:net';
import { WebSocket } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocketConnection } from '../src/index.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('our server, undici WebSocket client', () => {
  it.each([
    ['defaults', undefined, 'permessage-deflate'],
    [
      'server requests no context takeover',
      { serverNoContextTakeover: 'request' as const },
      'permessage-deflate; server_no_context_takeover',
    ],
    ['server lowers its window', { serverMaxWindowBits: 10 }, 'permessage-deflate; server_max_window_bits=10'],
  ])(
    '%s',
    async (_name, options, expected) => {
      const server = new WebSocketServer({ port: 0, host: '127.0.0.1', ...(options ? { perMessageDeflate: options } : {}) });
      const offers: (string | undefined)[] = [];
      server.on('connection', (conn: WebSocketConnection, request) => {
        offers.push(request.headers['sec-websocket-extensions']);
        conn.on('message', (data, isBinary) => conn.send(data, { binary: isBinary }));
      });
      await new Promise<void>((resolve) => server.once('listening', () => resolve()));
      cleanups.push(async () => void (await server.close()));
      const { port } = server.httpServer!.address() as AddressInfo;

      const ws = new WebSocket(`ws://127.0.0.1:${port}/`);
      ws.binaryType = 'arraybuffer';
      cleanups.push(() => ws.close());
      await new Promise<void>((resolve, reject) => {
        ws.onopen = () => resolve();
        ws.onerror = () => reject(new Error('undici WebSocket failed to open'));
      });
      expect(offers).toEqual(['permessage-deflate; client_max_window_bits']);
      expect(ws.extensions).toBe(expected);

      const messages: (string | Uint8Array)[] = [
        'The quick brown fox jumps over the lazy dog. '.repeat(500),
        'short',
        Uint8Array.from({ length: 100_000 }, (_, i) => i % 11),
        'The quick brown fox jumps over the lazy dog. '.repeat(500),
      ];
      const received: (string | Uint8Array)[] = [];
      const done = new Promise<void>((resolve) => {
        ws.onmessage = (event) => {
          received.push(typeof event.data === 'string' ? event.data : new Uint8Array(event.data as ArrayBuffer));
          if (received.length === messages.length) resolve();
        };
      });
      for (const m of messages) ws.send(m);
      await done;
      expect(received).toEqual(messages);
    },
    20_000,
  );
});
