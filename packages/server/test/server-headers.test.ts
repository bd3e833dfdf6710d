/**
 * 'headers' listeners: `[name, value]` pairs and `ws`-style `'Name: value'` strings both reach the 101;
 * an invalid header (a name that is not a token, CR/LF in a value, a line without a colon) refuses just
 * that handshake with 500 and an 'error', and never writes a corrupt response. Peers: raw sockets, `ws`.
 */
import { once } from 'node:events';
import type * as http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { HandshakeRefusedError, HeaderEntry } from '../src/index.js';
import { headerPairsOf } from '../src/http-response.js';
import { rawRequest, upgradeRequest } from './helpers/raw.js';
import { startServer, within } from './helpers/servers.js';

describe("'headers' listeners", { timeout: 15_000 }, () => {
  const cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it("take ws's 'Name: value' strings and [name, value] pairs alike", async () => {
    const { wss, port, url } = await startServer();
    cleanups.push(() => wss.close());
    wss.on('headers', (headers) => {
      headers.push('Set-Cookie: sid=abc; HttpOnly');
      headers.push('X-Spaced:   padded value \t');
      headers.push(['X-Pair', 'b']);
    });
    const response = await rawRequest(port, upgradeRequest(port));
    expect(response.status).toBe(101);
    expect(response.headers['set-cookie']).toBe('sid=abc; HttpOnly');
    expect(response.headers['x-spaced']).toBe('padded value');
    expect(response.headers['x-pair']).toBe('b');
    response.socket.destroy();

    // The ws client parses the same 101 and opens.
    const client = new WebSocket(url);
    const upgraded = once(client, 'upgrade') as Promise<[http.IncomingMessage]>;
    const opened = once(client, 'open');
    const [upgrade] = await within(upgraded, 5000, 'upgrade');
    expect(upgrade.headers['set-cookie']).toEqual(['sid=abc; HttpOnly']);
    await within(opened, 5000, 'open');
    client.terminate();
  });

  const invalid: [string, HeaderEntry, RegExp][] = [
    ['a CR LF in a string', 'X-A: 1\r\nX-Evil: 1', /Invalid value .* for HTTP header X-A/],
    ['a CR LF in a pair', ['X-A', '1\r\nX-Evil: 1'], /Invalid value .* for HTTP header X-A/],
    ['a line without a colon', 'X-Evil', /expected "Name: value"/],
    ['an empty name', ': value', /Invalid HTTP header name ""/],
    ['a space before the colon', 'X-Evil : 1', /Invalid HTTP header name "X-Evil "/],
    ['a name with a line break', ['X-A\r\nX-Evil', '1'], /Invalid HTTP header name/],
    ['a pair of three', ['X-A', '1', 'X-Evil'] as unknown as HeaderEntry, /expected a \[name, value\] pair/],
    ['a number', 42 as unknown as HeaderEntry, /Invalid header 42/],
  ];
  for (const [what, entry, message] of invalid) {
    it(`refuse ${what} with 500 and an 'error', writing none of it`, async () => {
      const { wss, port } = await startServer();
      cleanups.push(() => wss.close());
      wss.on('headers', (headers) => headers.push(entry));
      const errors: Error[] = [];
      wss.on('error', (error) => errors.push(error));
      const refusals: HandshakeRefusedError[] = [];
      wss.on('handshakeRefused', (error) => refusals.push(error));
      const response = await rawRequest(port, upgradeRequest(port));
      expect(response.status).toBe(500);
      expect(response.headers['x-evil']).toBeUndefined();
      expect(response.headers['x-a']).toBeUndefined();
      expect(Object.keys(response.headers).sort()).toEqual(['connection', 'content-length', 'content-type']);
      response.socket.destroy();
      expect(errors).toHaveLength(1);
      expect(errors[0]).toBeInstanceOf(TypeError);
      expect(errors[0]!.message).toMatch(message);
      expect(refusals.map((r) => [r.kind, r.status, r.cause])).toEqual([['internal', 500, errors[0]]]);
      // Only that handshake: the next one, with the listener gone, opens.
      wss.removeAllListeners('headers');
      const next = await rawRequest(port, upgradeRequest(port));
      expect(next.status).toBe(101);
      next.socket.destroy();
    });
  }

  it('headerPairsOf keeps valid obs-text and tabs, and refuses other control characters', () => {
    expect(headerPairsOf(['X-A:\tcaf\u00e9 ok', ['X-B', '']])).toEqual([
      ['X-A', 'caf\u00e9 ok'],
      ['X-B', ''],
    ]);
    expect(() => headerPairsOf([['X-A', 'a\u0000b']])).toThrow(TypeError);
    expect(() => headerPairsOf([['X-A', 'a\u007fb']])).toThrow(TypeError);
    expect(() => headerPairsOf([['X-A', '\u20ac']])).toThrow(TypeError);
  });
});
