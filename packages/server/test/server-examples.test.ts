/**
 * Runs the server examples the README quotes (examples/server-*.ts) as real Node processes: each is
 * type-checked against the package's public types, transpiled with its `@wsts/server` import pointed
 * at dist/, started on a free port, then driven by the `ws` client.
 */
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startNode, type RunningBin } from './helpers/bins.js';
import { exampleTypeErrors, transpileExample } from './helpers/examples.js';
import { rawRequest, upgradeRequest } from './helpers/raw.js';
import { within } from './helpers/servers.js';

const EXAMPLES = ['server-echo.ts', 'server-attach.ts', 'server-no-server.ts', 'server-authorize-data.ts', 'server-topics.ts'];

let workDir = '';
beforeAll(() => {
  workDir = mkdtempSync(join(tmpdir(), 'wsts-server-examples-'));
});
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

function transpile(name: string): string {
  return transpileExample(name, workDir);
}

async function message(client: WebSocket): Promise<string> {
  const [data] = (await within(once(client, 'message'), 5000, 'message')) as [Buffer];
  return data.toString();
}

describe('server examples', { timeout: 30_000 }, () => {
  let running: RunningBin | undefined;
  afterEach(async () => {
    // SIGTERM: every example shuts down cleanly and exits 0.
    if (running !== undefined) expect(await running.stop('SIGTERM')).toBe(0);
    running = undefined;
  });

  it("type-check against the package's public types", () => {
    expect(exampleTypeErrors(EXAMPLES)).toEqual([]);
  });

  it('server-echo.ts echoes with the async iterator and logs connects/disconnects', async () => {
    running = await startNode(transpile('server-echo.ts'), ['0']);
    const client = new WebSocket(`${running.url}/hello`);
    await within(once(client, 'open'), 5000, 'open');
    const reply = message(client);
    client.send('echo me');
    expect(await reply).toBe('echo me');
    const closed = once(client, 'close');
    client.close(1000);
    await within(closed, 5000, 'close');
    await running.waitForLine('disconnected, 0 left');
    expect(running.lines).toContain('connected: /hello');
  });

  it('server-attach.ts: token and origin checks, subprotocol, broadcast, a second path, plain HTTP', async () => {
    running = await startNode(transpile('server-attach.ts'), ['0']);
    const port = running.port;
    const noToken = await rawRequest(port, upgradeRequest(port, {}, 'GET', '/chat'));
    expect(noToken.status).toBe(401);
    noToken.socket.destroy();
    const badOrigin = await rawRequest(
      port,
      upgradeRequest(port, { Origin: 'https://evil.example' }, 'GET', '/chat?token=secret'),
    );
    expect(badOrigin.status).toBe(403);
    badOrigin.socket.destroy();

    const a = new WebSocket(`${running.url}/chat?token=secret`, ['chat.v1']);
    const b = new WebSocket(`${running.url}/chat?token=secret`, ['chat.v1'], { origin: 'https://chat.example' });
    await within(Promise.all([once(a, 'open'), once(b, 'open')]), 5000, 'chat open');
    expect(a.protocol).toBe('chat.v1');
    const atB = message(b);
    const atA = message(a);
    a.send('hi all');
    expect(await atB).toBe('hi all');
    expect(await atA).toBe('hi all');

    const clock = new WebSocket(`${running.url}/time`);
    expect(new Date(await message(clock)).getTime()).toBeGreaterThan(0);
    expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe('plain HTTP still works here\n');
    for (const c of [a, b, clock]) c.close();
  });

  it('server-authorize-data.ts: the user authorize found is on connection.data; refusals are logged', async () => {
    running = await startNode(transpile('server-authorize-data.ts'), ['0']);
    const { port, lines } = running;
    const refused = await rawRequest(port, upgradeRequest(port, {}, 'GET', '/?token=t-eve'));
    expect(refused.status).toBe(401);
    refused.socket.destroy();
    await running.waitForLine('refused 401 unknown token (authorize)');

    const ada = new WebSocket(`${running.url}/?token=t-ada`);
    expect(await message(ada)).toBe('welcome ada (admin)');
    const bob = new WebSocket(`${running.url}/?token=t-bob`);
    expect(await message(bob)).toBe('welcome bob');
    const atAda = message(ada);
    bob.send('hi');
    expect(await atAda).toBe('bob: hi');
    const closes = [once(ada, 'close'), once(bob, 'close')] as Promise<[number]>[];
    expect(await running.stop('SIGTERM')).toBe(0);
    running = undefined;
    for (const [code] of await Promise.all(closes)) expect(code).toBe(1001);
    expect(lines).toContain('closed: 2 clean, 0 terminated');
  });

  it('server-no-server.ts: handleUpgrade behind a cookie check, 1 MiB message limit', async () => {
    running = await startNode(transpile('server-no-server.ts'), ['0']);
    const port = running.port;
    const refused = await rawRequest(port, upgradeRequest(port));
    expect(refused.status).toBe(403);
    refused.socket.destroy();

    const client = new WebSocket(running.url, { headers: { Cookie: 'theme=dark; session=ok' } });
    expect(await message(client)).toBe('hello, you are client #1');
    const reply = message(client);
    client.send(Buffer.alloc(1000));
    expect(await reply).toBe('got 1000 bytes');
    const closed = once(client, 'close') as Promise<[number, Buffer]>;
    client.send(Buffer.alloc(2 * 1024 * 1024));
    const [code] = await within(closed, 5000, 'close');
    expect(code).toBe(1009);
    await running.waitForLine('closed 1006  clean=false');
  });

  it('server-topics.ts: rooms on topics, publish from the server and from a connection, leaving', async () => {
    running = await startNode(transpile('server-topics.ts'), ['0']);
    /** A client whose messages are queued as they arrive (none is lost between awaits). */
    const join = async (query: string) => {
      const client = new WebSocket(`${running!.url}/?${query}`);
      const inbox: string[] = [];
      const waiting: ((text: string) => void)[] = [];
      client.on('message', (data: Buffer) => {
        const next = waiting.shift();
        if (next) next(data.toString());
        else inbox.push(data.toString());
      });
      await within(once(client, 'open'), 5000, 'open');
      const next = (): Promise<string> => {
        const queued = inbox.shift();
        if (queued !== undefined) return Promise.resolve(queued);
        return within(new Promise<string>((resolve) => waiting.push(resolve)), 5000, 'message');
      };
      return { client, next };
    };
    const ada = await join('name=ada');
    expect(await ada.next()).toBe('ada joined room:lobby');
    const bob = await join('name=bob');
    expect(await bob.next()).toBe('bob joined room:lobby');
    expect(await ada.next()).toBe('bob joined room:lobby');
    const cy = await join('name=cy&room=kitchen');
    expect(await cy.next()).toBe('cy joined room:kitchen');

    bob.client.send('hi');
    expect(await ada.next()).toBe('bob: hi');
    cy.client.send('/join lobby');
    // Bob's own message never came back to him: his next one is cy's arrival.
    expect(await bob.next()).toBe('cy joined room:lobby');
    expect(await ada.next()).toBe('cy joined room:lobby');
    expect(await cy.next()).toBe('cy joined room:lobby');

    ada.client.close();
    expect(await bob.next()).toBe('ada left');
    expect(await cy.next()).toBe('ada left');
    for (const c of [bob.client, cy.client]) c.close();
  });
});
