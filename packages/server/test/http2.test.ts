import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as http2 from 'node:http2';
import { webcrypto } from 'node:crypto';
import { Connection, type ConnectionEvent } from '@wsts/protocol';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { connect, WebSocketConnectError } from '../src/client/index.js';
import {
  type HandshakeRefusedError,
  WebSocketServer,
  type WebSocketServerOptions,
  type WebSocketConnection,
} from '../src/index.js';
import { startBin } from './helpers/bins.js';
import { closeOf, within } from './helpers/servers.js';
import { selfSignedCertificate } from './helpers/tls.js';

let pems: { cert: string; key: string };
const cleanups: (() => unknown)[] = [];
beforeAll(async () => {
  pems = await selfSignedCertificate();
}, 20_000);
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A server of our own with http2 on (TLS unless `plain`), echoing, counting what arrived over h2. */
async function startH2(plain: boolean, extra: Partial<WebSocketServerOptions> = {}) {
  const server = new WebSocketServer({
    port: 0,
    host: '127.0.0.1',
    http2: true,
    ...(plain ? {} : { tls: { cert: pems.cert, key: pems.key } }),
    ...extra,
  });
  const seen = { h2: 0, h1: 0 };
  const connections: WebSocketConnection[] = [];
  server.on('connection', (connection, request) => {
    if (request.httpVersion === '2.0') seen.h2++;
    else seen.h1++;
    connections.push(connection);
    connection.on('message', (data, binary) => void connection.send(data, { binary }).catch(() => {}));
  });
  await once(server, 'listening');
  cleanups.push(() => server.close({ timeout: 0 }));
  const scheme = plain ? 'ws' : 'wss';
  return { server, seen, connections, url: `${scheme}://127.0.0.1:${server.port}` };
}

function h2Options(plain: boolean) {
  return plain ? { http2: true } : { http2: true, ca: pems.cert };
}

/** Resolves with the next message's bytes. */
function nextMessage(connection: WebSocketConnection): Promise<Buffer> {
  return new Promise((resolve) => connection.once('message', (data) => resolve(data)));
}

/** The HTTP/2 stream under a connection (the client's `socket`). */
function streamOf(connection: WebSocketConnection): http2.Http2Stream {
  return connection.socket as unknown as http2.Http2Stream;
}

/** A raw HTTP/2 session to our server, independent of our client. */
async function rawSession(url: string): Promise<http2.ClientHttp2Session> {
  const session = http2.connect(url.replace(/^ws/, 'http'), { ca: pems.cert });
  session.on('error', () => {});
  cleanups.push(() => session.destroy());
  const [settings] = (await once(session, 'remoteSettings')) as [http2.Settings];
  expect(settings.enableConnectProtocol).toBe(true);
  return session;
}

function extendedConnect(headers: http2.OutgoingHttpHeaders = {}): http2.OutgoingHttpHeaders {
  return {
    ':method': 'CONNECT',
    ':protocol': 'websocket',
    ':scheme': 'https',
    ':path': '/',
    ':authority': '127.0.0.1',
    'sec-websocket-version': '13',
    ...headers,
  };
}

/** Sends an extended CONNECT on `session` and returns the status, headers and body of a refusal. */
async function refusal(session: http2.ClientHttp2Session, headers: http2.OutgoingHttpHeaders) {
  const stream = session.request(headers, { endStream: false });
  const [response] = (await once(stream, 'response')) as [http2.IncomingHttpHeaders & http2.IncomingHttpStatusHeader];
  let body = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => (body += chunk));
  await once(stream, 'close');
  return { status: response[':status'], headers: response, body };
}

/** A WebSocket client codec on a raw stream, for a peer that behaves like a browser would. */
function codecOn(stream: http2.ClientHttp2Stream, events: ConnectionEvent[]): Connection {
  const codec = new Connection({
    role: 'client',
    random: (bytes) => void webcrypto.getRandomValues(bytes),
    onWrite: (chunks, done) => {
      for (const chunk of chunks) stream.write(chunk);
      done?.();
    },
    onEvent: (event) => events.push(event),
  });
  stream.on('data', (chunk: Buffer) => codec.receive(chunk));
  return codec;
}

describe.each([
  ['TLS (h2 and HTTP/1.1 on one port)', false],
  ['h2c (prior knowledge)', true],
])('WebSockets over HTTP/2, %s', { timeout: 30_000 }, (_name, plain) => {
  it('opens many WebSockets as streams of one session and echoes every size class', async () => {
    const { seen, connections, url } = await startH2(plain);
    const clients = await Promise.all(Array.from({ length: 12 }, () => connect(url, h2Options(plain))));
    expect(seen).toEqual({ h2: 12, h1: 0 });
    expect(connections.length).toBe(12);
    // One HTTP/2 session carries them all.
    const session = (streamOf(clients[0]!) as http2.ClientHttp2Stream).session;
    for (const client of clients) expect(streamOf(client).session).toBe(session);

    const sizes = [16, 1024, 64 * 1024, 200_000, 1024 * 1024];
    await Promise.all(
      clients.map(async (client, index) => {
        for (const size of sizes) {
          const payload = Buffer.alloc(size, (index * 7 + size) & 0xff);
          const reply = nextMessage(client);
          await client.send(payload);
          expect((await within(reply, 10_000, `echo of ${size}`)).equals(payload)).toBe(true);
        }
        const reply = nextMessage(client);
        await client.send('text über h2');
        expect((await reply).toString()).toBe('text über h2');
      }),
    );
    // Close codes and reasons both ways, cleanly.
    const serverSide = connections.map((c) => closeOf(c));
    const clientSide = clients.map((c) => closeOf(c));
    clients.forEach((client, index) => {
      if (index % 2 === 0) client.close(4000 + index, `client ${index}`);
    });
    connections.forEach((connection, index) => {
      if (index % 2 === 1) connection.close(4100 + index, `server ${index}`);
    });
    const serverResults = await within(Promise.all(serverSide), 10_000, 'server closes');
    const clientResults = await within(Promise.all(clientSide), 10_000, 'client closes');
    // Connections are paired by arrival order: match by the code each side saw.
    const serverCodes = serverResults.map(([code]) => code).sort();
    expect(serverCodes.filter((code) => code >= 4000 && code < 4100).length).toBe(6);
    for (const [, , clean] of [...serverResults, ...clientResults]) expect(clean).toBe(true);
    const clientCodes = clientResults.map(([code]) => code);
    // The server's reply echoes the client's code (RFC 6455 section 5.5.1).
    clientResults.forEach(([code], index) => {
      if (index % 2 === 0) expect(code).toBe(4000 + index);
    });
    expect(serverResults.map(([, reason]) => reason).filter((reason) => reason.startsWith('client')).length).toBe(6);
    expect(clientCodes.filter((code) => code >= 4100).length).toBe(6);
  });

  it('large messages sent back to back over a stream (masked copies reused once written) arrive intact', async () => {
    // A server that only collects: an echo of this much in flight would stall on both sides' backpressure.
    const { server, url } = await startH2(plain);
    const received: Buffer[] = [];
    server.removeAllListeners('connection');
    server.on('connection', (connection) => connection.on('message', (data) => received.push(Buffer.from(data))));
    // Without permessage-deflate: every message is masked at its full size.
    const client = await connect(url, { ...h2Options(plain), perMessageDeflate: false });
    cleanups.push(() => client.terminate());
    const sent: Buffer[] = [];
    // Rounds of 32 in flight: later rounds write into the buffers of earlier ones once the stream
    // called back, so a buffer reused while HTTP/2 still held it would show in what arrives.
    for (let round = 0; round < 3; round++) {
      const sends: Promise<void>[] = [];
      for (let i = 0; i < 32; i++) {
        const size = i % 2 === 0 ? 65_536 : 70_000;
        const message = Buffer.alloc(size);
        for (let k = 0; k < size; k++) message[k] = (round * 32 + i + k * 7) & 0xff;
        sent.push(Buffer.from(message));
        sends.push(client.send(message));
      }
      await within(Promise.all(sends), 10_000, 'sends');
    }
    const deadline = Date.now() + 10_000;
    while (received.length < sent.length && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(received.length).toBe(sent.length);
    for (let i = 0; i < sent.length; i++) expect(received[i]!.equals(sent[i]!)).toBe(true);
  });

  it('negotiates permessage-deflate over a stream', async () => {
    const { connections, url } = await startH2(plain);
    const client = await connect(url, { ...h2Options(plain), perMessageDeflate: true });
    expect(client.extensions).toMatch(/permessage-deflate/);
    const text = 'compressible '.repeat(10_000);
    const reply = nextMessage(client);
    await client.send(text);
    expect((await within(reply, 5000, 'deflated echo')).toString()).toBe(text);
    expect(connections[0]!.extensions).toMatch(/permessage-deflate/);
    client.close();
    await closeOf(client);
  });

  it('a stalled stream does not block the others; HTTP/2 flow control holds it back', async () => {
    const { connections, url } = await startH2(plain);
    const stalled = await connect(url, h2Options(plain));
    const lively = await connect(url, h2Options(plain));
    stalled.pause();
    // Far more than the stream window and the server's sendHighWaterMark: it must wait in the server.
    const big = Buffer.alloc(4 * 1024 * 1024, 1);
    // The server's side of the stalled WebSocket (the first to arrive).
    const server = connections[0]!;
    void server.send(big).catch(() => {});
    void server.send(big).catch(() => {});
    for (let i = 0; i < 20; i++) {
      const reply = nextMessage(lively);
      await lively.send(`ping ${i}`);
      expect((await within(reply, 5000, 'echo beside a stalled stream')).toString()).toBe(`ping ${i}`);
    }
    const received: number[] = [];
    stalled.on('message', (data) => received.push(data.length));
    stalled.resume();
    await within(
      (async () => {
        while (received.length < 2) await new Promise((r) => setTimeout(r, 20));
      })(),
      10_000,
      'the stalled stream draining',
    );
    expect(received).toEqual([big.length, big.length]);
  });

  it('an abrupt stream reset is a 1006 for that WebSocket only', async () => {
    const { connections, url } = await startH2(plain);
    const doomed = await connect(url, h2Options(plain));
    const survivor = await connect(url, h2Options(plain));
    const serverClosed = closeOf(connections[0]!);
    const clientClosed = closeOf(doomed);
    (streamOf(doomed) as http2.ClientHttp2Stream).close(http2.constants.NGHTTP2_CANCEL);
    expect(await within(serverClosed, 5000, 'server sees the reset')).toEqual([1006, '', false]);
    expect((await clientClosed)[0]).toBe(1006);
    const reply = nextMessage(survivor);
    await survivor.send('still here');
    expect((await reply).toString()).toBe('still here');
  });

  it('refuses bad extended CONNECTs with their statuses without disturbing other streams', async () => {
    const refused: HandshakeRefusedError[] = [];
    const { server, url } = await startH2(plain, {
      path: '/ws',
      authorize: (request) => request.headers['x-token'] !== 'bad',
    });
    server.on('handshakeRefused', (error) => refused.push(error));
    const session = await rawSession(url);
    // A WebSocket on the same session, open throughout.
    const stream = session.request(extendedConnect({ ':path': '/ws' }), { endStream: false });
    const [ok] = (await once(stream, 'response')) as [http2.IncomingHttpHeaders];
    expect(ok[':status']).toBe(200);
    expect(ok['sec-websocket-accept']).toBeUndefined();
    const events: ConnectionEvent[] = [];
    const codec = codecOn(stream, events);

    const version = await refusal(session, extendedConnect({ ':path': '/ws', 'sec-websocket-version': '8' }));
    expect(version.status).toBe(400);
    expect(version.headers['sec-websocket-version']).toBe('13');
    expect((await refusal(session, extendedConnect({ ':path': '/ws', ':protocol': 'connect-udp' }))).status).toBe(501);
    expect((await refusal(session, extendedConnect({ ':path': '/other' }))).status).toBe(404);
    expect((await refusal(session, extendedConnect({ ':path': '/ws', 'x-token': 'bad' }))).status).toBe(401);
    const badProtocol = await refusal(session, extendedConnect({ ':path': '/ws', 'sec-websocket-protocol': 'a b' }));
    expect(badProtocol.status).toBe(400);
    expect(badProtocol.body).toMatch(/Invalid subprotocol/);
    expect(refused.map((error) => [error.kind, error.status])).toEqual([
      ['version', 400],
      ['protocol', 501],
      ['path', 404],
      ['authorize', 401],
      ['headers', 400],
    ]);
    // A plain GET on the same port gets our plain answer.
    const get = session.request({ ':path': '/ws' });
    const [plainAnswer] = (await once(get, 'response')) as [http2.IncomingHttpHeaders];
    expect(plainAnswer[':status']).toBe(400);
    get.resume();

    codec.send('after the refusals', false);
    await within(
      (async () => {
        while (!events.some((e) => e.type === 'message')) await new Promise((r) => setTimeout(r, 10));
      })(),
      5000,
      'echo on the open stream',
    );
    const message = events.find((e) => e.type === 'message');
    expect(message?.type === 'message' && Buffer.from(message.data).toString()).toBe('after the refusals');
  });

  it('caps WebSockets per HTTP/2 connection with 503 and frees the slot when one closes', async () => {
    const refused: HandshakeRefusedError[] = [];
    const { server, url } = await startH2(plain, { http2: { maxWebSocketsPerSession: 2 } });
    server.on('handshakeRefused', (error) => refused.push(error));
    const first = await connect(url, h2Options(plain));
    const second = await connect(url, h2Options(plain));
    const third = await connect(url, h2Options(plain)).catch((error: unknown) => error);
    expect(third).toBeInstanceOf(WebSocketConnectError);
    expect((third as WebSocketConnectError).status).toBe(503);
    expect(refused.map((error) => [error.kind, error.status])).toEqual([['capacity', 503]]);
    // The first two are unaffected.
    const reply = nextMessage(second);
    await second.send('two');
    expect((await reply).toString()).toBe('two');
    first.close();
    await closeOf(first);
    const fourth = await connect(url, h2Options(plain));
    expect(streamOf(fourth).session).toBe(streamOf(second).session);
    fourth.close();
    second.close();
    await Promise.all([closeOf(fourth), closeOf(second)]);
  });

  it('ends the stream after the close handshake even when the peer never ends its side', async () => {
    const { connections, url } = await startH2(plain, { closeTimeout: 20_000 });
    const session = await rawSession(url);
    const stream = session.request(extendedConnect(), { endStream: false });
    await once(stream, 'response');
    const events: ConnectionEvent[] = [];
    const codec = codecOn(stream, events);
    await within(
      (async () => {
        while (connections.length === 0) await new Promise((r) => setTimeout(r, 10));
      })(),
      5000,
      'the connection',
    );
    const serverClosed = closeOf(connections[0]!);
    const started = Date.now();
    // Like Firefox: close frame sent, the stream's write side left open.
    codec.close(1000, 'bye');
    expect(await within(serverClosed, 5000, 'the server-side close')).toEqual([1000, 'bye', true]);
    expect(Date.now() - started).toBeLessThan(5000);
    await within(once(stream, 'close'), 5000, 'the stream closed by the server');
    expect(stream.rstCode).toBe(http2.constants.NGHTTP2_NO_ERROR);
  });
});

describe('many busy WebSockets on one HTTP/2 connection', { timeout: 60_000 }, () => {
  // Node stops reading an HTTP/2 connection's socket while a write to it is in progress, on both ends.
  // 1,000 WebSockets sending 8 KiB each in one turn put 8 MiB in flight each way, more than the TCP
  // buffers between the two ends hold: with windows that let each end send all of it, both ends end
  // up writing and neither reading, and no WebSocket of the connection gets another byte.
  it('1,000 WebSockets with 8 messages of 1 KiB each in flight at once all get their echoes', async () => {
    const count = 1000;
    const inFlight = 8;
    const { url, connections } = await startH2(true, { http2: { maxWebSocketsPerSession: count }, perMessageDeflate: false });
    const clients: WebSocketConnection[] = [];
    let started = 0;
    // 100 handshakes at a time, as a load generator would.
    const lane = async (): Promise<void> => {
      while (started < count) {
        started++;
        clients.push(await connect(url, { http2: true, perMessageDeflate: false }));
      }
    };
    await within(Promise.all(Array.from({ length: 100 }, lane)), 30_000, 'the WebSockets opening');
    const session = streamOf(clients[0]!).session;
    for (const client of clients) expect(streamOf(client).session).toBe(session);
    expect(connections.length).toBe(count);

    const payload = Buffer.alloc(1024, 0x61);
    const echoed = clients.map(
      (client) =>
        new Promise<number>((resolve) => {
          let bytes = 0;
          let messages = 0;
          client.on('message', (data) => {
            bytes += data.length;
            if (++messages === inFlight) resolve(bytes);
          });
        }),
    );
    for (const client of clients) {
      for (let i = 0; i < inFlight; i++) void client.send(payload).catch(() => {});
    }
    const totals = await within(Promise.all(echoed), 15_000, 'every echo');
    expect(totals.every((bytes) => bytes === inFlight * payload.length)).toBe(true);

    // Everything closes cleanly, and the shared session with its last WebSocket.
    const sessionClosed = once(session!, 'close');
    const closes = clients.map((client) => closeOf(client));
    for (const client of clients) client.close(1000, 'done');
    const results = await within(Promise.all(closes), 15_000, 'the close handshakes');
    expect(results.every(([code, , clean]) => code === 1000 && clean)).toBe(true);
    await within(sessionClosed, 5000, 'the session closing');
  });
});

describe("the client's connection window", { timeout: 30_000 }, () => {
  it("is HTTP/2's initial 65,535 bytes by default, raised by http2.connectionWindowSize, one session per window", async () => {
    const { url } = await startH2(true, { perMessageDeflate: false });
    const plain = await connect(url, { http2: true, perMessageDeflate: false });
    const wide = await connect(url, { http2: { connectionWindowSize: 4 * 1024 * 1024 }, perMessageDeflate: false });
    const alsoWide = await connect(url, { http2: { connectionWindowSize: 4 * 1024 * 1024 }, perMessageDeflate: false });
    try {
      const plainSession = streamOf(plain).session!;
      const wideSession = streamOf(wide).session!;
      expect(streamOf(alsoWide).session).toBe(wideSession);
      expect(wideSession).not.toBe(plainSession);
      expect(plainSession.state.localWindowSize).toBe(65_535);
      expect(wideSession.state.localWindowSize).toBe(4 * 1024 * 1024);
      // Both carry messages larger than the default window.
      const big = Buffer.alloc(256 * 1024, 0x62);
      for (const client of [plain, wide]) {
        const echoed = new Promise<Buffer>((resolve) => client.once('message', (data) => resolve(data)));
        await client.send(big);
        expect((await within(echoed, 10_000, 'the echo')).equals(big)).toBe(true);
      }
    } finally {
      for (const client of [plain, wide, alsoWide]) client.terminate();
    }
  });

  it("refuses a window below HTTP/2's initial one or past 2^31 - 1, an unknown http2 option, and a non-boolean", async () => {
    const url = 'ws://127.0.0.1:9/';
    await expect(connect(url, { http2: { connectionWindowSize: 1024 } })).rejects.toThrow(RangeError);
    await expect(connect(url, { http2: { connectionWindowSize: 2 ** 31 } })).rejects.toThrow(RangeError);
    await expect(connect(url, { http2: { connectionWindowSize: 1_500_000.5 } })).rejects.toThrow(/integer/);
    await expect(connect(url, { http2: { windowSize: 1 << 20 } as never })).rejects.toThrow(/unknown http2 option "windowSize"/);
    await expect(connect(url, { http2: 'yes' as never })).rejects.toThrow(TypeError);
  });
});

describe('HTTP/1.1 beside HTTP/2', { timeout: 30_000 }, () => {
  it('serves HTTP/1.1 upgrades on the same TLS port (ws as the peer, and our client without http2)', async () => {
    const { seen, url } = await startH2(false);
    const peer = new WebSocket(url, { ca: pems.cert });
    await within(once(peer, 'open'), 5000, 'ws opens over HTTP/1.1');
    const reply = once(peer, 'message') as Promise<[Buffer]>;
    peer.send('over http/1.1');
    expect((await reply)[0].toString()).toBe('over http/1.1');
    peer.close();
    const ours = await connect(url, { ca: pems.cert });
    expect(ours.socket.constructor.name).toBe('TLSSocket');
    ours.close();
    await closeOf(ours);
    expect(seen).toEqual({ h2: 0, h1: 2 });
  });

  it('falls back to the HTTP/1.1 upgrade when the server has no HTTP/2 (TLS and h2c)', async () => {
    for (const tls of [true, false]) {
      const server = new WebSocketServer({
        port: 0,
        host: '127.0.0.1',
        ...(tls ? { tls: { cert: pems.cert, key: pems.key } } : {}),
      });
      server.on('connection', (c) => c.on('message', (data) => void c.send(data)));
      await once(server, 'listening');
      cleanups.push(() => server.close({ timeout: 0 }));
      const client = await connect(`${tls ? 'wss' : 'ws'}://127.0.0.1:${server.port}`, { http2: true, ca: pems.cert });
      expect(client.socket.constructor.name).toBe(tls ? 'TLSSocket' : 'Socket');
      const reply = nextMessage(client);
      await client.send('fallback');
      expect((await reply).toString()).toBe('fallback');
      client.close();
      await closeOf(client);
    }
  });

  it('falls back when an HTTP/2 server does not announce the extended CONNECT', async () => {
    // An HTTP/2 server without the setting, serving HTTP/1.1 beside it, with our WebSocketServer on its upgrades only.
    const h2 = http2.createSecureServer({ cert: pems.cert, key: pems.key, allowHTTP1: true });
    const wss = new WebSocketServer({ noServer: true });
    h2.on('upgrade', (request, socket, head) =>
      wss.handleUpgrade(request, socket, head, (c) => c.on('message', (d) => void c.send(d))),
    );
    h2.listen(0, '127.0.0.1');
    await once(h2, 'listening');
    cleanups.push(
      () => new Promise((resolve) => h2.close(resolve)),
      () => wss.close({ timeout: 0 }),
    );
    const port = (h2.address() as { port: number }).port;
    const client = await connect(`wss://127.0.0.1:${port}`, { http2: true, ca: pems.cert });
    expect(client.socket.constructor.name).toBe('TLSSocket');
    client.close();
    await closeOf(client);
  });

  it('attaches to an HTTP/2 server of the application, beside its own routes', async () => {
    const h2 = http2.createSecureServer({ cert: pems.cert, key: pems.key, allowHTTP1: true }, (request, response) => {
      response.end(`page ${request.url}`);
    });
    const wss = new WebSocketServer({ server: h2, path: '/ws' });
    let version = '';
    wss.on('connection', (c, request) => {
      version = request.httpVersion;
      c.on('message', (d) => void c.send(d));
    });
    h2.listen(0, '127.0.0.1');
    await once(h2, 'listening');
    cleanups.push(
      () => new Promise((resolve) => h2.close(resolve)),
      () => wss.close({ timeout: 0 }),
    );
    const port = (h2.address() as { port: number }).port;
    const client = await connect(`wss://127.0.0.1:${port}/ws`, { http2: true, ca: pems.cert });
    expect(version).toBe('2.0');
    const reply = nextMessage(client);
    await client.send('attached');
    expect((await reply).toString()).toBe('attached');
    // The page route on the same session.
    const page = (streamOf(client).session as http2.ClientHttp2Session).request({ ':path': '/index.html' });
    let body = '';
    page.setEncoding('utf8');
    page.on('data', (chunk: string) => (body += chunk));
    await once(page, 'end');
    expect(body).toBe('page /index.html');
    client.close();
    await closeOf(client);
  });

  it('refuses unknown http2 options and an http2 option on an HTTP/1.1 server', () => {
    expect(() => new WebSocketServer({ noServer: true, http2: { windowSiz: 1 } as never })).toThrow(/http2.windowSiz/);
    expect(() => new WebSocketServer({ noServer: true, http2: { windowSize: 10 } })).toThrow(RangeError);
    expect(() => new WebSocketServer({ noServer: true }).handleStream({} as never, {})).toThrow(/http2 option/);
  });
});

describe('the bins with --http2', { timeout: 30_000 }, () => {
  it('echo --http2 over TLS: h2 streams and HTTP/1.1 on one port', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wsts-h2-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'cert.pem'), pems.cert);
    writeFileSync(join(dir, 'key.pem'), pems.key);
    const bin = await startBin('echo', [
      '--port',
      '0',
      '--http2',
      '--tls-cert',
      join(dir, 'cert.pem'),
      '--tls-key',
      join(dir, 'key.pem'),
    ]);
    cleanups.push(() => bin.stop('SIGKILL'));
    const url = `wss://127.0.0.1:${bin.port}`;
    for (const http2Option of [true, false]) {
      const client = await connect(url, { http2: http2Option, ca: pems.cert });
      expect(client.socket.constructor.name).toBe(http2Option ? 'ClientHttp2Stream' : 'TLSSocket');
      const reply = nextMessage(client);
      await client.send('over h2 or not');
      expect((await within(reply, 5000, 'echo')).toString()).toBe('over h2 or not');
      const closed = closeOf(client);
      await client.send('close:4001:bye');
      expect(await within(closed, 5000, 'close')).toEqual([4001, 'bye', true]);
    }
  });

  it('example --http2 (h2c): the seed handler over an extended CONNECT stream', async () => {
    const bin = await startBin('example', ['--port', '0', '--host', '127.0.0.1', '--http2']);
    cleanups.push(() => bin.stop('SIGKILL'));
    const client = await connect(`ws://127.0.0.1:${bin.port}`, { http2: true });
    expect(client.socket.constructor.name).toBe('ClientHttp2Stream');
    const welcome = nextMessage(client);
    expect((await within(welcome, 5000, 'welcome')).toString()).toBe('Welcome to my websocket!');
    const thanks = nextMessage(client);
    await client.send('over h2');
    expect((await within(thanks, 5000, 'thanks')).toString()).toBe('Thanks, I got [over h2]');
    client.close(1000);
    expect((await closeOf(client))[2]).toBe(true);
  });
});
