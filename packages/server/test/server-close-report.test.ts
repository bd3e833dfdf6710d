/**
 * `close()` reports what it did: how many clients completed the closing handshake and how many were
 * terminated after the timeout, as its promise's value and on 'close'; `{ timeout }` bounds the wait,
 * a second call returns the same promise and may shorten it. Peers: `ws` clients and a raw socket that
 * completes the opening handshake and then never answers.
 */
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { CloseReport, WebSocketServer } from '../src/index.js';
import { rawRequest, upgradeRequest, type RawResponse } from './helpers/raw.js';
import { startServer, within } from './helpers/servers.js';

/** `count` ws clients (which answer a close frame) and one raw client that never does. */
async function clients(
  wss: WebSocketServer,
  url: string,
  port: number,
  count: number,
): Promise<{ polite: WebSocket[]; silent: RawResponse }> {
  const polite = Array.from({ length: count }, () => new WebSocket(url));
  await Promise.all(polite.map((c) => within(once(c, 'open'), 5000, 'open')));
  const silent = await rawRequest(port, upgradeRequest(port));
  expect(silent.status).toBe(101);
  silent.socket.on('error', () => {});
  while (wss.clients.size < count + 1) await new Promise((r) => setTimeout(r, 5));
  return { polite, silent };
}

describe('close() reports', { timeout: 15_000 }, () => {
  const cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('how many closed cleanly and how many were terminated after { timeout }', async () => {
    const { wss, url, port } = await startServer({ closeTimeout: 10_000 });
    const { polite, silent } = await clients(wss, url, port, 3);
    const codes = polite.map((c) => once(c, 'close') as Promise<[number, Buffer]>);
    const silentGone = once(silent.socket, 'close');
    const onClose: CloseReport[] = [];
    wss.on('close', (report) => onClose.push(report));
    const started = Date.now();
    const report = await within(wss.close({ timeout: 300 }), 5000, 'close()');
    const elapsed = Date.now() - started;
    expect(report).toEqual({ clean: 3, terminated: 1 });
    expect(onClose).toEqual([report]);
    expect(elapsed).toBeGreaterThanOrEqual(250);
    expect(elapsed).toBeLessThan(5000);
    for (const [code] of await Promise.all(codes)) expect(code).toBe(1001);
    await within(silentGone, 5000, 'the silent client dropped');
    // Idempotent: the same promise, the same report.
    expect(await wss.close()).toBe(report);
  });

  it('without a timeout, the connections wait for closeTimeout; a second close({ timeout: 0 }) cuts it short', async () => {
    const { wss, url, port } = await startServer({ closeTimeout: 10_000 });
    const { silent } = await clients(wss, url, port, 1);
    const graceful = wss.close();
    await new Promise((r) => setTimeout(r, 100));
    let settled = false;
    void graceful.then(() => (settled = true));
    expect(settled).toBe(false); // still waiting for the silent client
    const started = Date.now();
    const forced = wss.close({ timeout: 0 });
    expect(forced).toBe(graceful);
    expect(await within(forced, 3000, 'forced close')).toEqual({ clean: 1, terminated: 1 });
    expect(Date.now() - started).toBeLessThan(3000);
    silent.socket.destroy();
  });

  it('the connection-level closeTimeout also counts as terminated', async () => {
    const { wss, url, port } = await startServer({ closeTimeout: 200 });
    await clients(wss, url, port, 0);
    expect(await within(wss.close(), 5000, 'close()')).toEqual({ clean: 0, terminated: 1 });
  });

  it('with no clients: an empty report', async () => {
    const { wss } = await startServer();
    expect(await within(wss.close({ timeout: 0 }), 5000, 'close()')).toEqual({ clean: 0, terminated: 0 });
  });

  it('refuses an unknown option and a timeout that is not a non-negative number', async () => {
    const { wss } = await startServer();
    cleanups.push(() => wss.close());
    expect(() => wss.close({ force: true } as never)).toThrow(/WebSocketServer.close\(\): unknown option "force"/);
    expect(() => wss.close({ timeout: -1 })).toThrow(RangeError);
    expect(() => wss.close({ timeout: Number.NaN })).toThrow(RangeError);
    expect(() => wss.close({ timeout: '5' as never })).toThrow(RangeError);
    expect(() => wss.close(null as never)).toThrow(TypeError);
  });
});
