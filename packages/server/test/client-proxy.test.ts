/**
 * The client's routes other than "connect directly": through an HTTP CONNECT proxy (`proxy`, explicit or
 * from the environment) and through a user's `agent`. Peers are real: the `ws` package as the server
 * (plain and over TLS with a self-signed certificate), a CONNECT proxy from test/helpers that records
 * what it tunnelled, Node's own http client as the tunnel maker inside a third-party-style proxy agent,
 * and a child process for the real environment variables.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { generate } from 'selfsigned';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer as WsServer } from 'ws';
import {
  type CloseEvent,
  connect,
  type ErrorEvent,
  WebSocket,
  WebSocketConnectError,
  type ConnectFailure,
} from '../src/client/index.js';
import { resolveClientOptions } from '../src/client/options.js';
import { bypassesProxy, proxyFromEnv } from '../src/client/proxy-env.js';
import type { WebSocketConnection } from '../src/index.js';
import { freePort, startRawServer, startWsEcho, type RunningPeer } from './fixtures/client-peers.js';
import { type ConnectProxy, startConnectProxy, startSilentServer } from './helpers/connect-proxy.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function track<T extends { close(): Promise<void> }>(peer: T): T {
  cleanups.push(() => peer.close());
  return peer;
}

function trackConnection(connection: WebSocketConnection): WebSocketConnection {
  cleanups.push(() => connection.terminate());
  return connection;
}

async function proxy(options: Parameters<typeof startConnectProxy>[0] = {}): Promise<ConnectProxy> {
  return track(await startConnectProxy(options));
}

async function echo(): Promise<RunningPeer> {
  return track(await startWsEcho());
}

/** Sends `text` and resolves with what came back. */
async function roundTrip(connection: WebSocketConnection, text: string): Promise<string> {
  const messages = connection.messages();
  await connection.send(text);
  const next = await messages.next();
  return next.value?.text ?? '';
}

async function failure(promise: Promise<unknown>, kind: ConnectFailure, message: RegExp): Promise<WebSocketConnectError> {
  const error = await promise.then(
    () => {
      throw new Error('expected the connection to fail');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(WebSocketConnectError);
  const connectError = error as WebSocketConnectError;
  expect(connectError.message).toMatch(message);
  expect(connectError.kind).toBe(kind);
  return connectError;
}

/** `ws` over https with a fresh self-signed certificate for localhost and 127.0.0.1. */
async function startTlsEcho(): Promise<RunningPeer & { cert: string }> {
  const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    extensions: [
      { name: 'basicConstraints', cA: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
        ],
      },
    ],
  });
  const server = https.createServer({ key: pems.private, cert: pems.cert });
  const wss = new WsServer({ server });
  wss.on('connection', (socket) => socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary })));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  return track({
    cert: pems.cert,
    port,
    url: `wss://localhost:${port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of wss.clients) client.terminate();
        wss.close();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}

describe('proxy: an HTTP CONNECT tunnel', { timeout: 20_000 }, () => {
  it('carries ws:// through the proxy named by a URL string or a URL object', async () => {
    const peer = await echo();
    const tunnel = await proxy();
    const viaString = trackConnection(await connect(peer.url, { proxy: tunnel.url }));
    expect(await roundTrip(viaString, 'through the tunnel')).toBe('through the tunnel');
    const viaUrl = trackConnection(await connect(peer.url, { proxy: new URL(tunnel.url) }));
    expect(await roundTrip(viaUrl, 'again')).toBe('again');
    expect(tunnel.tunnelled).toEqual([`127.0.0.1:${peer.port}`, `127.0.0.1:${peer.port}`]);
    expect(tunnel.authorizations).toEqual([undefined, undefined]);
  });

  it('carries wss:// through the proxy with TLS end to end, checked against the target name', async () => {
    const tls = await startTlsEcho();
    const tunnel = await proxy();
    const byName = trackConnection(await connect(tls.url, { proxy: tunnel.url, ca: tls.cert }));
    expect(await roundTrip(byName, 'secret over the proxy')).toBe('secret over the proxy');
    // An IP target: no SNI, and the certificate's IP SAN is what is checked.
    const byIp = trackConnection(await connect(`wss://127.0.0.1:${tls.port}/`, { proxy: tunnel.url, ca: tls.cert }));
    expect(await roundTrip(byIp, 'by address')).toBe('by address');
    expect(tunnel.tunnelled).toEqual([`localhost:${tls.port}`, `127.0.0.1:${tls.port}`]);

    // Without the CA the target's certificate is refused, as on a direct connection.
    const error = await failure(
      connect(tls.url, { proxy: tunnel.url }),
      'network',
      /through proxy http:\/\/127\.0\.0\.1:\d+.*(self[- ]signed|certificate)/i,
    );
    expect(error.proxy).toBe(tunnel.url);
  });

  it('sends Basic credentials from the proxy URL; 407 without them or with wrong ones is a proxy-refused error', async () => {
    const peer = await echo();
    const tunnel = await proxy({ credentials: { user: 'alice', password: 'p@ss:word' } });
    const good = `http://alice:${encodeURIComponent('p@ss:word')}@127.0.0.1:${tunnel.port}`;
    const connection = trackConnection(await connect(peer.url, { proxy: good }));
    expect(await roundTrip(connection, 'authenticated')).toBe('authenticated');
    expect(tunnel.authorizations[0]).toBe(`Basic ${Buffer.from('alice:p@ss:word').toString('base64')}`);

    const missing = await failure(
      connect(peer.url, { proxy: tunnel.url }),
      'proxy-refused',
      /407 Proxy Authentication Required: it requires authentication/,
    );
    expect(missing.status).toBe(407);
    expect(missing.headers).toContainEqual(['Proxy-Authenticate', 'Basic realm="test"']);
    const wrong = await failure(
      connect(peer.url, { proxy: `http://alice:nope@127.0.0.1:${tunnel.port}` }),
      'proxy-refused',
      /rejected the credentials/,
    );
    // Neither the message nor the error's proxy field repeats the password.
    expect(wrong.message).not.toMatch(/nope/);
    expect(wrong.proxy).toBe(tunnel.url);
    expect(tunnel.tunnelled).toHaveLength(1);
  });

  it('reports a proxy that refuses CONNECT (403) with its status', async () => {
    const peer = await echo();
    const tunnel = await proxy({ refuse: true });
    const error = await failure(
      connect(peer.url, { proxy: tunnel.url }),
      'proxy-refused',
      new RegExp(`refused CONNECT 127\\.0\\.0\\.1:${peer.port} with 403 Forbidden`),
    );
    expect(error.status).toBe(403);
    expect(error.statusMessage).toBe('Forbidden');
    expect(error.url).toBe(peer.url);
  });

  it('reports a proxy that is down as proxy-unreachable', async () => {
    const peer = await echo();
    const port = await freePort();
    const error = await failure(
      connect(peer.url, { proxy: `http://127.0.0.1:${port}` }),
      'proxy-unreachable',
      /cannot reach proxy .*ECONNREFUSED/,
    );
    expect((error.cause as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');
  });

  it('reports a proxy that answers with something other than HTTP as proxy-protocol', async () => {
    const peer = await echo();
    const garbage = track(await startRawServer(({ socket }) => socket.end('SSH-2.0-OpenSSH\r\n\r\n')));
    await failure(
      connect(peer.url, { proxy: `http://127.0.0.1:${garbage.port}` }),
      'proxy-protocol',
      /did not answer CONNECT with an HTTP\/1\.x response/,
    );
  });

  it('the handshake timeout covers the proxy: a silent proxy times out, naming it', async () => {
    const peer = await echo();
    const silent = track(await startSilentServer());
    const started = Date.now();
    const error = await failure(
      connect(peer.url, { proxy: silent.url, handshakeTimeout: 300 }),
      'timeout',
      /through proxy http:\/\/127\.0\.0\.1:\d+ did not complete within 300 ms/,
    );
    expect(error.proxy).toBe(silent.url);
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('is chosen again on each redirect hop', async () => {
    const peer = await echo();
    const tunnel = await proxy();
    const redirector = track(
      await startRawServer(({ socket }) => {
        socket.end(`HTTP/1.1 302 Found\r\nLocation: ws://localhost:${peer.port}/moved\r\nContent-Length: 0\r\n\r\n`);
      }),
    );
    const connection = trackConnection(await connect(redirector.url, { proxy: tunnel.url, maxRedirects: 1 }));
    expect(await roundTrip(connection, 'after a proxied redirect')).toBe('after a proxied redirect');
    expect(tunnel.tunnelled).toEqual([`127.0.0.1:${redirector.port}`, `localhost:${peer.port}`]);
  });

  it('the WHATWG class takes the same option, and reports a refusal through the error event', async () => {
    const peer = await echo();
    const tunnel = await proxy();
    const ws = new WebSocket(peer.url, undefined, { proxy: tunnel.url });
    const data = await new Promise<unknown>((resolve, reject) => {
      ws.onerror = (event) => reject(event.error);
      ws.onopen = () => ws.send('whatwg via proxy');
      ws.onmessage = (event) => resolve(event.data);
    });
    expect(data).toBe('whatwg via proxy');
    ws.close();
    await once(ws, 'close');
    expect(tunnel.tunnelled).toEqual([`127.0.0.1:${peer.port}`]);

    const refusing = await proxy({ refuse: true });
    const failing = new WebSocket(peer.url, undefined, { proxy: refusing.url });
    // 'error' and 'close' are dispatched back to back: listen for both first.
    const errored = once(failing, 'error');
    const closed = once(failing, 'close');
    const [errorEvent] = (await errored) as [ErrorEvent];
    expect(errorEvent.error).toBeInstanceOf(WebSocketConnectError);
    expect((errorEvent.error as WebSocketConnectError).kind).toBe('proxy-refused');
    const [closeEvent] = (await closed) as [CloseEvent];
    expect(closeEvent.code).toBe(1006);
  });

  it('refuses proxy settings that cannot work, before any I/O', async () => {
    const agent = new http.Agent();
    await expect(connect('ws://127.0.0.1:1', { agent, proxy: 'http://127.0.0.1:1' })).rejects.toThrow(
      /agent and proxy cannot be combined/,
    );
    await expect(connect('ws://127.0.0.1:1', { proxy: 'https://127.0.0.1:1' })).rejects.toThrow(
      /https: proxies \(TLS to the proxy itself\) are not supported/,
    );
    await expect(connect('ws://127.0.0.1:1', { proxy: 'socks5://127.0.0.1:1' })).rejects.toThrow(/socks5: is not supported/);
    await expect(connect('ws://127.0.0.1:1', { proxy: 'not a url:secret' })).rejects.toThrow(/^proxy is not a valid URL/);
    await expect(connect('ws://127.0.0.1:1', { proxy: 42 as never })).rejects.toThrow(/proxy must be 'env'/);
    expect(() => new WebSocket('ws://127.0.0.1:1', [], { proxy: 'ftp://x' })).toThrow(TypeError);
    // 'env' checks the variables it would use.
    expect(() => resolveClientOptions({ proxy: 'env' }, [], { HTTPS_PROXY: 'https://proxy:1' })).toThrow(
      /proxy: 'env': HTTPS_PROXY: https: proxies/,
    );
    expect(() => resolveClientOptions({ proxy: 'env' }, [], { http_proxy: '::' })).toThrow(/http_proxy is not a valid URL/);
    agent.destroy();
  });
});

describe("proxy: 'env' follows EnvHttpProxyAgent's variables", () => {
  const ws = (host: string) => new URL(`ws://${host}/`);
  const wss = (host: string) => new URL(`wss://${host}/`);

  it('ws:// reads HTTP_PROXY, wss:// HTTPS_PROXY falling back to HTTP_PROXY; lowercase wins; empty is unset', () => {
    expect(proxyFromEnv(ws('a.test'), {})).toBeUndefined();
    expect(proxyFromEnv(ws('a.test'), { HTTP_PROXY: 'http://h:1' })).toEqual({ variable: 'HTTP_PROXY', value: 'http://h:1' });
    expect(proxyFromEnv(wss('a.test'), { HTTP_PROXY: 'http://h:1' })?.value).toBe('http://h:1');
    expect(proxyFromEnv(wss('a.test'), { HTTP_PROXY: 'http://h:1', HTTPS_PROXY: 'http://s:2' })?.value).toBe('http://s:2');
    expect(proxyFromEnv(ws('a.test'), { HTTPS_PROXY: 'http://s:2' })).toBeUndefined();
    expect(proxyFromEnv(ws('a.test'), { http_proxy: 'http://low:1', HTTP_PROXY: 'http://up:1' })?.variable).toBe('http_proxy');
    expect(proxyFromEnv(wss('a.test'), { https_proxy: 'http://low:2', HTTPS_PROXY: 'http://up:2' })?.value).toBe('http://low:2');
    expect(proxyFromEnv(ws('a.test'), { http_proxy: '', HTTP_PROXY: 'http://up:1' })?.value).toBe('http://up:1');
  });

  it('NO_PROXY: exact names, domain suffixes, *, ports, IPs; no_proxy wins over NO_PROXY', () => {
    const env = { HTTP_PROXY: 'http://h:1', HTTPS_PROXY: 'http://h:1' };
    const direct = (url: URL, noProxy: string) => proxyFromEnv(url, { ...env, NO_PROXY: noProxy }) === undefined;
    expect(direct(ws('example.com'), 'example.com')).toBe(true);
    expect(direct(ws('EXAMPLE.com'), 'example.COM')).toBe(true);
    expect(direct(ws('api.example.com'), 'example.com')).toBe(false);
    expect(direct(ws('api.example.com'), '.example.com')).toBe(true);
    expect(direct(ws('api.example.com'), '*.example.com')).toBe(true);
    expect(direct(ws('notexample.com'), '.example.com')).toBe(false);
    expect(direct(ws('anything.test'), '*')).toBe(true);
    expect(direct(ws('b.test'), 'a.test, b.test')).toBe(true);
    expect(direct(ws('b.test'), 'a.test b.test')).toBe(true);
    expect(direct(ws('c.test'), 'a.test,b.test')).toBe(false);
    // Ports: the URL's, else the scheme's default.
    expect(direct(ws('a.test:8080'), 'a.test:8080')).toBe(true);
    expect(direct(ws('a.test:8081'), 'a.test:8080')).toBe(false);
    expect(direct(ws('a.test'), 'a.test:80')).toBe(true);
    expect(direct(wss('a.test'), 'a.test:80')).toBe(false);
    expect(direct(wss('a.test'), 'a.test:443')).toBe(true);
    expect(direct(ws('127.0.0.1:9'), '127.0.0.1')).toBe(true);
    expect(direct(ws('[::1]:9'), '::1')).toBe(true);
    expect(direct(ws('[::1]:9'), '[::1]:9')).toBe(true);
    expect(direct(ws('[::1]:9'), '[::1]:10')).toBe(false);
    expect(proxyFromEnv(ws('a.test'), { ...env, no_proxy: 'b.test', NO_PROXY: 'a.test' })).toBeDefined();
    expect(bypassesProxy('a.test', 80, '')).toBe(false);
  });

  it('the variables are read once, when the connection is created', () => {
    const env: Record<string, string | undefined> = { HTTP_PROXY: 'http://h:1' };
    const resolved = resolveClientOptions({ proxy: 'env' }, [], env);
    env.HTTP_PROXY = 'http://changed:1';
    expect(resolved.proxy).toEqual({ mode: 'env', env: expect.objectContaining({ HTTP_PROXY: 'http://h:1' }) });
  });
});

describe('proxy from the real environment (child process)', { timeout: 20_000 }, () => {
  const dist = fileURLToPath(new URL('../dist/index.js', import.meta.url));

  /** Runs `script` in node with `env` added to this process's environment; resolves with stdout. */
  function run(script: string, env: Record<string, string>): Promise<string> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
        env: { ...process.env, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      child.on('exit', (code) => {
        clearTimeout(timer);
        if (code === 0) resolve(stdout);
        else reject(new Error(`exit ${code}: ${stderr}`));
      });
    });
  }

  it("proxy: 'env' uses HTTP_PROXY and skips NO_PROXY hosts; without the option the variables are ignored", async () => {
    const peer = await echo();
    const tunnel = await proxy();
    const script = `
      import { connect } from ${JSON.stringify(dist)};
      async function once(url, options) {
        const connection = await connect(url, options);
        const messages = connection.messages();
        await connection.send('hi');
        const reply = (await messages.next()).value.text;
        await connection.close();
        return reply;
      }
      const out = [];
      out.push(await once('ws://127.0.0.1:${peer.port}/proxied', { proxy: 'env' }));
      out.push(await once('ws://localhost:${peer.port}/bypassed', { proxy: 'env' }));
      out.push(await once('ws://127.0.0.1:${peer.port}/default', {}));
      console.log(out.join(','));
    `;
    const stdout = await run(script, {
      HTTP_PROXY: tunnel.url,
      http_proxy: '',
      NO_PROXY: `localhost:${peer.port}`,
      no_proxy: '',
    });
    expect(stdout.trim()).toBe('hi,hi,hi');
    // Only the first connection went through the proxy.
    expect(tunnel.requested).toEqual([`127.0.0.1:${peer.port}`]);
  });
});

describe('agent', { timeout: 20_000 }, () => {
  /** An http.Agent (no keep-alive) that counts the connections it makes. */
  class CountingAgent extends http.Agent {
    created = 0;
    override createConnection(...args: Parameters<http.Agent['createConnection']>): ReturnType<http.Agent['createConnection']> {
      this.created += 1;
      return super.createConnection(...args);
    }
  }

  it("makes the handshake's connection for ws://, on every redirect hop, and lets go of the upgraded socket", async () => {
    const peer = await echo();
    const agent = new CountingAgent({ keepAlive: false });
    cleanups.push(() => agent.destroy());
    const connection = trackConnection(await connect(peer.url, { agent }));
    expect(await roundTrip(connection, 'through the agent')).toBe('through the agent');
    expect(agent.created).toBe(1);
    // The upgraded socket left the agent: nothing in use, nothing pooled.
    expect(Object.keys(agent.sockets)).toEqual([]);
    expect(Object.keys(agent.freeSockets)).toEqual([]);

    const redirector = track(
      await startRawServer(({ socket }) => {
        socket.end(`HTTP/1.1 307 Temporary Redirect\r\nLocation: ${peer.url}moved\r\nContent-Length: 0\r\n\r\n`);
      }),
    );
    const redirected = trackConnection(await connect(redirector.url, { agent, maxRedirects: 1 }));
    expect(await roundTrip(redirected, 'redirected')).toBe('redirected');
    expect(agent.created).toBe(3);
  });

  it('a keep-alive http.Agent works too, and the socket does not go back to its pool', async () => {
    const peer = await echo();
    const agent = new http.Agent({ keepAlive: true });
    cleanups.push(() => agent.destroy());
    const connection = trackConnection(await connect(peer.url, { agent }));
    expect(await roundTrip(connection, 'kept?')).toBe('kept?');
    expect(Object.keys(agent.freeSockets)).toEqual([]);
    expect(Object.keys(agent.sockets)).toEqual([]);
  });

  it('an https.Agent makes the TLS connection for wss://, with its own trust settings', async () => {
    const tls = await startTlsEcho();
    const agent = new (class extends https.Agent {
      created = 0;
      override createConnection(
        ...args: Parameters<https.Agent['createConnection']>
      ): ReturnType<https.Agent['createConnection']> {
        this.created += 1;
        return super.createConnection(...args);
      }
    })({ ca: tls.cert, keepAlive: false });
    cleanups.push(() => agent.destroy());
    const connection = trackConnection(await connect(tls.url, { agent }));
    expect(await roundTrip(connection, 'tls through the agent')).toBe('tls through the agent');
    expect(agent.created).toBe(1);

    // An http.Agent cannot make a wss:// connection; Node says so and we report it.
    await failure(connect(tls.url, { agent: new http.Agent() }), 'network', /Protocol "https:" not supported/);
  });

  it('a third-party style proxy agent (asynchronous createConnection through CONNECT) carries ws://', async () => {
    const peer = await echo();
    const tunnel = await proxy();
    // What proxy agents do: an http.Agent whose createConnection opens a CONNECT tunnel (here with
    // Node's own http client) and calls back with the tunnelled socket.
    class TunnelAgent extends http.Agent {
      override createConnection(
        options: http.ClientRequestArgs,
        callback?: (error: Error | null, socket: Socket) => void,
      ): ReturnType<http.Agent['createConnection']> {
        const request = http.request({
          host: '127.0.0.1',
          port: tunnel.port,
          method: 'CONNECT',
          path: `${options.host}:${options.port}`,
          agent: false,
        });
        request.once('connect', (response: http.IncomingMessage, socket: Socket) => {
          if (response.statusCode === 200) callback?.(null, socket);
          else callback?.(new Error(`proxy said ${response.statusCode}`), socket);
        });
        request.once('error', (error: Error) => callback?.(error, undefined as never));
        request.end();
        return undefined as never;
      }
    }
    const agent = new TunnelAgent();
    cleanups.push(() => agent.destroy());
    const connection = trackConnection(await connect(peer.url, { agent }));
    expect(await roundTrip(connection, 'via proxy agent')).toBe('via proxy agent');
    expect(tunnel.tunnelled).toEqual([`127.0.0.1:${peer.port}`]);
  });

  it('the WHATWG class takes an agent too; a non-agent is a TypeError', async () => {
    const peer = await echo();
    const agent = new CountingAgent({ keepAlive: false });
    cleanups.push(() => agent.destroy());
    const ws = new WebSocket(peer.url, undefined, { agent });
    const data = await new Promise<unknown>((resolve, reject) => {
      ws.onerror = (event) => reject(event.error);
      ws.onopen = () => ws.send('whatwg agent');
      ws.onmessage = (event) => resolve(event.data);
    });
    expect(data).toBe('whatwg agent');
    expect(agent.created).toBe(1);
    ws.close();
    await once(ws, 'close');
    expect(() => new WebSocket(peer.url, undefined, { agent: {} as never })).toThrow(/agent must be an http\.Agent/);
    await expect(connect(peer.url, { agent: { addRequest: 1 } as never })).rejects.toThrow(TypeError);
  });
});
