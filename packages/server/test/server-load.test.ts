import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { WebSocketServer } from '../src/index.js';
import { startEcho, within } from './helpers/servers.js';

const CONNECTIONS = 1000;
const MESSAGES = 100;

/**
 * 1,000 concurrent `ws` clients, each echoing 100 messages through one server: nothing lost, nothing
 * reordered. Bounded in count and time (a 60 s ceiling; a few seconds on 2 cores).
 */
describe('load', () => {
  let wss: WebSocketServer | undefined;
  const clients: WebSocket[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) c.terminate();
    await wss?.close();
  });

  it(`${CONNECTIONS} concurrent connections each echo ${MESSAGES} messages, in order, none lost`, {
    timeout: 90_000,
  }, async () => {
    const started = await startEcho();
    wss = started.wss;
    // Open in batches so the listen backlog never overflows (a refused SYN would be a test artefact).
    for (let batch = 0; batch < CONNECTIONS; batch += 100) {
      const opening: Promise<unknown>[] = [];
      for (let i = batch; i < Math.min(CONNECTIONS, batch + 100); i++) {
        const client = new WebSocket(started.url, { perMessageDeflate: false });
        clients.push(client);
        opening.push(once(client, 'open'));
      }
      await within(Promise.all(opening), 20_000, `batch ${batch / 100} open`);
    }
    expect(wss.clients.size).toBe(CONNECTIONS);

    const t0 = Date.now();
    const results = clients.map(
      (client, c) =>
        new Promise<string[]>((resolve) => {
          const got: string[] = [];
          client.on('message', (data: Buffer) => {
            got.push(data.toString());
            if (got.length === MESSAGES) resolve(got);
          });
          for (let m = 0; m < MESSAGES; m++) client.send(`c${c}-m${m}`);
        }),
    );
    const all = await within(Promise.all(results), 60_000, 'all echoes');
    const elapsed = Date.now() - t0;
    all.forEach((got, c) => {
      expect(got).toEqual(Array.from({ length: MESSAGES }, (_, m) => `c${c}-m${m}`));
    });
    console.log(`load: ${CONNECTIONS * MESSAGES} echoes over ${CONNECTIONS} connections in ${elapsed} ms`);
  });
});
