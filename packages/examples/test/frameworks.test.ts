/**
 * The Express, Fastify and Koa examples, each started on 127.0.0.1 port 0 in this process: the HTTP
 * route through undici, the WebSocket echo through the `ws` client, both on the same port, then a
 * shutdown that closes the open WebSocket with 1001 and leaves no TCP handle behind.
 */
import { once } from 'node:events';
import type { ClientRequest, IncomingMessage } from 'node:http';
import { Agent, request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startExpressApp } from '../frameworks/express.js';
import { startFastifyApp } from '../frameworks/fastify.js';
import { startKoaApp } from '../frameworks/koa.js';
import type { RunningApp } from '../frameworks/running-app.js';

const APPS: [string, (port: number, host: string) => Promise<RunningApp>][] = [
  ['express', startExpressApp],
  ['fastify', startFastifyApp],
  ['koa', startKoaApp],
];

/** TCP servers and sockets this process holds now, by kind. */
function tcpHandles(): { servers: number; sockets: number } {
  const resources = process.getActiveResourcesInfo();
  return {
    servers: resources.filter((r) => r === 'TCPServerWrap').length,
    sockets: resources.filter((r) => r === 'TCPSocketWrap').length,
  };
}

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function getJson(agent: Agent, url: string): Promise<{ status: number; type: string; body: unknown }> {
  const response = await request(url, { dispatcher: agent });
  const text = await response.body.text();
  return {
    status: response.statusCode,
    type: String(response.headers['content-type']),
    body: response.statusCode === 200 ? JSON.parse(text) : text,
  };
}

async function open(url: string): Promise<WebSocket> {
  const client = new WebSocket(url);
  await within(once(client, 'open'), 5000, `open ${url}`);
  return client;
}

async function reply(client: WebSocket, data: string | Buffer): Promise<{ data: Buffer; isBinary: boolean }> {
  const next = once(client, 'message') as Promise<[Buffer, boolean]>;
  client.send(data);
  const [received, isBinary] = await within(next, 5000, 'echo');
  return { data: received, isBinary };
}

describe.each(APPS)('%s example', (framework, start) => {
  let app: RunningApp | undefined;
  let agent: Agent | undefined;
  const clients: WebSocket[] = [];
  afterEach(async () => {
    for (const client of clients.splice(0)) client.terminate();
    await app?.close();
    await agent?.close();
    app = undefined;
    agent = undefined;
  });

  it('serves its HTTP route and a WebSocket echo on the same port, and shuts down with nothing left open', async () => {
    const before = tcpHandles();
    app = await start(0, '127.0.0.1');
    agent = new Agent();
    const wsUrl = `${app.url.replace('http:', 'ws:')}/ws`;

    const idle = await getJson(agent, `${app.url}/api/status`);
    expect(idle).toEqual({ status: 200, type: expect.stringMatching(/^application\/json/), body: { framework, clients: 0 } });
    expect((await getJson(agent, `${app.url}/missing`)).status).toBe(404);

    const client = await open(wsUrl);
    clients.push(client);
    expect(await reply(client, 'hello')).toEqual({ data: Buffer.from('hello'), isBinary: false });
    const bytes = Buffer.from([0, 1, 2, 254, 255]);
    expect(await reply(client, bytes)).toEqual({ data: bytes, isBinary: true });
    const large = 'x'.repeat(256 * 1024);
    expect((await reply(client, large)).data.toString()).toBe(large);

    // The HTTP side sees the WebSocket side: one client connected.
    expect((await getJson(agent, `${app.url}/api/status`)).body).toEqual({ framework, clients: 1 });

    // An upgrade to a path nobody serves is refused with an HTTP status, not left hanging.
    const stray = new WebSocket(`${app.url.replace('http:', 'ws:')}/elsewhere`);
    const [refused, response] = (await within(once(stray, 'unexpected-response'), 5000, 'refusal')) as [
      ClientRequest,
      IncomingMessage,
    ];
    expect(response.statusCode).toBe(404);
    // With an 'unexpected-response' listener, ws leaves ending the request to us.
    refused.destroy();

    // Shutdown: the open client is told 1001 Going Away, and close() resolves only after that.
    const closed = once(client, 'close') as Promise<[number, Buffer]>;
    await within(app.close(), 10_000, 'app.close()');
    app = undefined;
    const [code] = await within(closed, 5000, 'client close');
    expect(code).toBe(1001);
    await agent.close();
    agent = undefined;

    // Client sockets finish closing on the next turns of the event loop.
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline && tcpHandles().sockets > before.sockets) await new Promise((r) => setTimeout(r, 10));
    expect(tcpHandles()).toEqual(before);
  });
});
