/**
 * Every way the client's opening handshake can fail, each against a raw `net` server answering exactly
 * the bytes under test, and each expected to reject with a WebSocketConnectError of a specific kind.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { connect, WebSocket, WebSocketConnectError, type ConnectFailure } from '../src/client/index.js';
import { freePort, startRawServer, startWsEcho, switchingProtocols, type RunningPeer } from './fixtures/client-peers.js';

const peers: RunningPeer[] = [];
afterEach(async () => {
  await Promise.all(peers.splice(0).map((peer) => peer.close()));
});

async function raw(answer: Parameters<typeof startRawServer>[0]): Promise<Awaited<ReturnType<typeof startRawServer>>> {
  const server = await startRawServer(answer);
  peers.push(server);
  return server;
}

async function expectFailure(promise: Promise<unknown>, kind: ConnectFailure, message: RegExp): Promise<WebSocketConnectError> {
  const error = await promise.then(
    () => {
      throw new Error('expected the connection to fail');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(WebSocketConnectError);
  const connectError = error as WebSocketConnectError;
  expect(connectError.kind).toBe(kind);
  expect(connectError.message).toMatch(message);
  return connectError;
}

describe('client handshake failures', { timeout: 10_000 }, () => {
  it('rejects a non-101 status with the status line', async () => {
    const server = await raw(({ socket }) => {
      socket.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 4\r\nX-Why: no\r\n\r\nnope');
    });
    const error = await expectFailure(connect(server.url), 'unexpected-status', /403 Forbidden/);
    expect(error.status).toBe(403);
    expect(error.statusMessage).toBe('Forbidden');
    expect(error.headers).toContainEqual(['X-Why', 'no']);
  });

  it('rejects a 200 OK to an upgrade request', async () => {
    const server = await raw(({ socket }) => socket.end('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'));
    await expectFailure(connect(server.url), 'unexpected-status', /200 OK instead of 101/);
  });

  it('rejects a wrong Sec-WebSocket-Accept', async () => {
    const server = await raw((request) => {
      request.socket.write(switchingProtocols(request, [], 'dGhlIHNhbXBsZSBub25jZQ=='));
    });
    await expectFailure(connect(server.url), 'invalid-accept', /Sec-WebSocket-Accept/);
  });

  it('rejects a missing Sec-WebSocket-Accept', async () => {
    const server = await raw(({ socket }) => {
      socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n');
    });
    await expectFailure(connect(server.url), 'invalid-accept', /Sec-WebSocket-Accept/);
  });

  it('rejects a 101 without Upgrade: websocket', async () => {
    const server = await raw((request) => {
      request.socket.write(switchingProtocols(request).replace('Upgrade: websocket', 'Upgrade: h2c'));
    });
    await expectFailure(connect(server.url), 'invalid-upgrade', /Upgrade/);
  });

  it('rejects a subprotocol that was not offered', async () => {
    const server = await raw((request) => {
      request.socket.write(switchingProtocols(request, ['Sec-WebSocket-Protocol: superchat']));
    });
    await expectFailure(connect(server.url, { protocols: ['chat'] }), 'invalid-protocol', /superchat.*not offered/);
  });

  it('rejects a subprotocol when none was offered', async () => {
    const server = await raw((request) => {
      request.socket.write(switchingProtocols(request, ['Sec-WebSocket-Protocol: chat']));
    });
    await expectFailure(connect(server.url), 'invalid-protocol', /chat/);
  });

  it('rejects an extension that was not offered', async () => {
    const server = await raw((request) => {
      request.socket.write(switchingProtocols(request, ['Sec-WebSocket-Extensions: x-webkit-deflate-frame']));
    });
    await expectFailure(connect(server.url), 'invalid-extension', /x-webkit-deflate-frame.*not offered/);
  });

  it('rejects permessage-deflate when the client did not offer it', async () => {
    const server = await raw((request) => {
      request.socket.write(switchingProtocols(request, ['Sec-WebSocket-Extensions: permessage-deflate']));
    });
    await expectFailure(
      connect(server.url, { perMessageDeflate: false }),
      'invalid-extension',
      /permessage-deflate.*not offered/,
    );
  });

  it('rejects a permessage-deflate response with parameters we cannot accept', async () => {
    const server = await raw((request) => {
      request.socket.write(
        switchingProtocols(request, ['Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=99']),
      );
    });
    await expectFailure(connect(server.url, { perMessageDeflate: true }), 'invalid-extension', /server_max_window_bits/);
  });

  it('rejects a redirect by default (maxRedirects 0), naming the target', async () => {
    const server = await raw(({ socket }) => {
      socket.end('HTTP/1.1 302 Found\r\nLocation: /elsewhere\r\nContent-Length: 0\r\n\r\n');
    });
    const error = await expectFailure(connect(server.url), 'redirect', /302 Found.*\/elsewhere.*maxRedirects \(0\)/);
    expect(error.status).toBe(302);
  });

  it('stops a redirect loop after maxRedirects hops', async () => {
    const server = await raw(({ socket }) => {
      socket.end('HTTP/1.1 307 Temporary Redirect\r\nLocation: /loop\r\nContent-Length: 0\r\n\r\n');
    });
    await expectFailure(connect(server.url, { maxRedirects: 3 }), 'redirect', /maxRedirects \(3\)/);
    // The first request plus three followed redirects.
    expect(server.requests).toHaveLength(4);
    expect(server.requests.map((r) => r.requestLine)).toEqual([
      'GET / HTTP/1.1',
      'GET /loop HTTP/1.1',
      'GET /loop HTTP/1.1',
      'GET /loop HTTP/1.1',
    ]);
  });

  it('follows a redirect to a real server when allowed, dropping credentials across origins', async () => {
    const echo = await startWsEcho();
    peers.push(echo);
    const server = await raw(({ socket }) => {
      socket.end(
        `HTTP/1.1 301 Moved Permanently\r\nLocation: http://localhost:${echo.port}/moved?x=1\r\nContent-Length: 0\r\n\r\n`,
      );
    });
    const seen: Record<string, string | undefined>[] = [];
    echo.server.on('headers', (_headers, request) => {
      seen.push({
        url: request.url,
        authorization: request.headers.authorization,
        other: request.headers['x-other'] as string | undefined,
      });
    });
    const connection = await connect(server.url, {
      maxRedirects: 1,
      headers: { Authorization: 'Bearer secret', 'X-Other': 'kept' },
    });
    expect(server.requests[0]?.headers.get('authorization')).toBe('Bearer secret');
    expect(seen).toEqual([{ url: '/moved?x=1', authorization: undefined, other: 'kept' }]);
    await connection.send('after redirect');
    const [message] = await Promise.all([connection.messages().next()]);
    expect(message.value?.text).toBe('after redirect');
    connection.close();
  });

  it('times out a server that never answers', async () => {
    const server = await raw(() => {
      // Read the request, say nothing.
    });
    const started = Date.now();
    await expectFailure(connect(server.url, { handshakeTimeout: 300 }), 'timeout', /300 ms/);
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('times out a server that accepts TCP but never reads (handshake timeout covers the whole exchange)', async () => {
    const server = await raw(({ socket }) => {
      // Half a status line, then silence.
      socket.write('HTTP/1.1 10');
    });
    await expectFailure(connect(server.url, { handshakeTimeout: 300 }), 'timeout', /did not complete/);
  });

  it('reports a refused TCP connection as a network error', async () => {
    const port = await freePort();
    const error = await expectFailure(connect(`ws://127.0.0.1:${port}/`), 'network', /ECONNREFUSED/);
    expect((error.cause as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');
  });

  it('rejects bad URLs and subprotocols before any I/O', async () => {
    await expectFailure(connect('ftp://127.0.0.1/'), 'invalid-url', /scheme/);
    await expectFailure(connect('ws://127.0.0.1/#frag'), 'invalid-url', /fragment/);
    await expectFailure(connect('not a url'), 'invalid-url', /invalid URL/);
    await expectFailure(connect('ws://127.0.0.1/', { protocols: ['a', 'a'] }), 'invalid-protocols', /twice/);
    await expectFailure(connect('ws://127.0.0.1/', { protocols: ['a b'] }), 'invalid-protocols', /token/);
  });

  it('cancels through an AbortSignal', async () => {
    const server = await raw(() => {});
    const controller = new AbortController();
    const pending = connect(server.url, { signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    await expectFailure(pending, 'aborted', /aborted/);
  });

  it('sends the handshake the RFC requires, with Origin, custom headers and subprotocols', async () => {
    const server = await raw((request) => {
      request.socket.write(switchingProtocols(request, ['Sec-WebSocket-Protocol: v2.chat']));
    });
    const connection = await connect(`${server.url}path?q=1`, {
      protocols: ['v1.chat', 'v2.chat'],
      origin: 'https://example.test',
      headers: [
        ['X-Custom', 'one'],
        ['Cookie', 'a=b'],
      ],
    });
    expect(connection.protocol).toBe('v2.chat');
    const request = server.requests[0]!;
    expect(request.requestLine).toBe('GET /path?q=1 HTTP/1.1');
    expect(request.headers.get('host')).toBe(`127.0.0.1:${server.port}`);
    expect(request.headers.get('upgrade')?.toLowerCase()).toBe('websocket');
    expect(request.headers.get('connection')?.toLowerCase()).toContain('upgrade');
    expect(request.headers.get('sec-websocket-version')).toBe('13');
    expect(Buffer.from(request.headers.get('sec-websocket-key') ?? '', 'base64')).toHaveLength(16);
    expect(request.headers.get('sec-websocket-protocol')).toBe('v1.chat, v2.chat');
    expect(request.headers.get('origin')).toBe('https://example.test');
    expect(request.headers.get('x-custom')).toBe('one');
    expect(request.headers.get('cookie')).toBe('a=b');
    connection.terminate();
  });

  it('uses a fresh Sec-WebSocket-Key per attempt', async () => {
    const server = await raw(({ socket }) => socket.end('HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n'));
    await expect(connect(server.url)).rejects.toThrow(WebSocketConnectError);
    await expect(connect(server.url)).rejects.toThrow(WebSocketConnectError);
    const keys = server.requests.map((r) => r.headers.get('sec-websocket-key'));
    expect(new Set(keys).size).toBe(2);
  });
});

describe('WHATWG WebSocket handshake failures', { timeout: 10_000 }, () => {
  function events(ws: WebSocket): Promise<string[]> {
    const seen: string[] = [];
    return new Promise((resolve) => {
      ws.addEventListener('open', () => seen.push('open'));
      ws.addEventListener('error', () => seen.push(`error readyState=${ws.readyState}`));
      ws.addEventListener('close', (event) => {
        const close = event as unknown as { code: number; wasClean: boolean };
        seen.push(`close ${close.code} wasClean=${close.wasClean}`);
        resolve(seen);
      });
    });
  }

  it('fires error then close 1006 when the server refuses the upgrade', async () => {
    const server = await raw(({ socket }) => socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n'));
    const ws = new WebSocket(server.url);
    expect(await events(ws)).toEqual(['error readyState=3', 'close 1006 wasClean=false']);
  });

  it('fires error then close 1006 on a bad accept value, never open', async () => {
    const server = await raw((request) => request.socket.write(switchingProtocols(request, [], 'AAAA')));
    const ws = new WebSocket(server.url);
    let detail: unknown;
    ws.onerror = (event) => {
      detail = event.error;
    };
    expect(await events(ws)).toEqual(['error readyState=3', 'close 1006 wasClean=false']);
    expect((detail as WebSocketConnectError).kind).toBe('invalid-accept');
  });

  it('honours handshakeTimeout', async () => {
    const server = await raw(() => {});
    const ws = new WebSocket(server.url, [], { handshakeTimeout: 200 });
    expect(await events(ws)).toEqual(['error readyState=3', 'close 1006 wasClean=false']);
  });
});

describe('option errors', () => {
  it('refuses headers the handshake sets itself: a TypeError from the constructor, a rejection from connect()', async () => {
    expect(() => new WebSocket('ws://127.0.0.1:9/', [], { headers: { 'Sec-WebSocket-Key': 'x' } })).toThrow(TypeError);
    expect(() => new WebSocket('ws://127.0.0.1:9/', [], { headers: [['upgrade', 'h2c']] })).toThrow(/Upgrade|upgrade/);
    await expect(connect('ws://127.0.0.1:9/', { headers: { 'Sec-WebSocket-Protocol': 'chat' } })).rejects.toThrow(TypeError);
  });

  it('refuses nonsensical numbers with RangeError', async () => {
    expect(() => new WebSocket('ws://127.0.0.1:9/', [], { handshakeTimeout: 0 })).toThrow(RangeError);
    await expect(connect('ws://127.0.0.1:9/', { maxRedirects: -1 })).rejects.toThrow(RangeError);
    await expect(connect('ws://127.0.0.1:9/', { handshakeTimeout: Number.NaN })).rejects.toThrow(RangeError);
    // Connection limits fail before any I/O too (port 9 would refuse; a RangeError proves no attempt).
    await expect(connect('ws://127.0.0.1:9/', { maxMessageSize: -1 })).rejects.toThrow(/maxMessageSize/);
    expect(() => new WebSocket('ws://127.0.0.1:9/', [], { closeTimeout: -5 })).toThrow(RangeError);
  });
});
