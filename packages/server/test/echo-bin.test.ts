import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startBin, type RunningBin } from './helpers/bins.js';
import { within } from './helpers/servers.js';
import { selfSignedCertificate } from './helpers/tls.js';

async function echoOf(client: WebSocket, data: string | Buffer): Promise<{ data: Buffer; isBinary: boolean }> {
  const reply = once(client, 'message') as Promise<[Buffer, boolean]>;
  client.send(data);
  const [received, isBinary] = await within(reply, 5000, 'echo');
  return { data: received, isBinary };
}

/** The echo server (dist/bin/echo.js): exact echo, test hooks, subprotocol, wss, deflate switch. */
describe('echo server', { timeout: 20_000 }, () => {
  let bin: RunningBin | undefined;
  let dir = '';
  let certFile = '';
  let keyFile = '';
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'wsts-echo-'));
    const { cert, key } = await selfSignedCertificate();
    certFile = join(dir, 'cert.pem');
    keyFile = join(dir, 'key.pem');
    writeFileSync(certFile, cert);
    writeFileSync(keyFile, key);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  afterEach(async () => {
    await bin?.stop('SIGKILL');
    bin = undefined;
  });

  it('listens on 127.0.0.1 with --port 0 and prints the real port', async () => {
    bin = await startBin('echo', ['--port', '0']);
    expect(bin.lines[0], JSON.stringify(bin.lines)).toMatch(/^listening on ws:\/\/127\.0\.0\.1:\d+$/);
    expect(bin.port).toBeGreaterThan(0);
  });

  it('echoes text as text and binary as binary, byte for byte, at 0 B, 125 B, 126 B, 64 KiB, 1 MiB', async () => {
    bin = await startBin('echo', ['--port', '0', '--no-deflate']);
    const client = new WebSocket(bin.url, { perMessageDeflate: false });
    await within(once(client, 'open'), 5000, 'open');
    for (const size of [0, 125, 126, 65536, 1 << 20]) {
      const text = 'é'.repeat(size >> 1) + (size % 2 === 1 ? 'a' : '');
      const textEcho = await echoOf(client, text);
      expect(textEcho.isBinary).toBe(false);
      expect(textEcho.data.toString()).toBe(text);
      const bytes = Buffer.alloc(size);
      for (let i = 0; i < size; i++) bytes[i] = (i * 31) & 0xff;
      const binaryEcho = await echoOf(client, bytes);
      expect(binaryEcho.isBinary).toBe(true);
      expect(binaryEcho.data.equals(bytes)).toBe(true);
    }
    client.close();
  });

  it('"close:CODE:REASON" closes with that code and reason, cleanly', async () => {
    bin = await startBin('echo', ['--port', '0']);
    const client = new WebSocket(bin.url);
    await within(once(client, 'open'), 5000, 'open');
    const closed = once(client, 'close') as Promise<[number, Buffer]>;
    client.send('close:4000:bye');
    const [code, reason] = await within(closed, 5000, 'close');
    expect([code, reason.toString()]).toEqual([4000, 'bye']);
  });

  it('"terminate" destroys the socket: 1006', async () => {
    bin = await startBin('echo', ['--port', '0']);
    const client = new WebSocket(bin.url);
    await within(once(client, 'open'), 5000, 'open');
    const closed = once(client, 'close') as Promise<[number, Buffer]>;
    client.send('terminate');
    const [code] = await within(closed, 5000, 'close');
    expect(code).toBe(1006);
  });

  it('refuses a handshake for /reject with 403', async () => {
    bin = await startBin('echo', ['--port', '0']);
    const client = new WebSocket(`${bin.url}/reject`);
    client.on('error', () => {});
    const [, response] = (await within(once(client, 'unexpected-response'), 5000, 'refusal')) as [
      unknown,
      { statusCode: number },
    ];
    expect(response.statusCode).toBe(403);
    client.terminate();
  });

  it('selects the first offered subprotocol', async () => {
    bin = await startBin('echo', ['--port', '0']);
    const client = new WebSocket(bin.url, ['chat.v2', 'chat.v1']);
    await within(once(client, 'open'), 5000, 'open');
    expect(client.protocol).toBe('chat.v2');
    client.close();
  });

  it('negotiates permessage-deflate by default and not with --no-deflate', async () => {
    bin = await startBin('echo', ['--port', '0']);
    const on = new WebSocket(bin.url, { perMessageDeflate: { threshold: 0 } });
    await within(once(on, 'open'), 5000, 'open');
    expect(on.extensions).toContain('permessage-deflate');
    const big = 'compress me '.repeat(1000);
    expect((await echoOf(on, big)).data.toString()).toBe(big);
    on.close();
    await bin.stop('SIGKILL');
    bin = await startBin('echo', ['--port', '0', '--no-deflate']);
    const off = new WebSocket(bin.url);
    await within(once(off, 'open'), 5000, 'open');
    expect(off.extensions).toBe('');
    off.close();
  });

  it('serves wss with --tls-cert/--tls-key', async () => {
    bin = await startBin('echo', ['--port', '0', '--tls-cert', certFile, '--tls-key', keyFile]);
    expect(bin.url).toMatch(/^wss:\/\/127\.0\.0\.1:\d+$/);
    const client = new WebSocket(bin.url, { rejectUnauthorized: false });
    await within(once(client, 'open'), 5000, 'open');
    expect((await echoOf(client, 'over tls')).data.toString()).toBe('over tls');
    client.close();
  });

  it('rejects unknown flags with status 2', () => {
    let status = 0;
    try {
      execFileSync(process.execPath, [new URL('../dist/bin/echo.js', import.meta.url).pathname, '--bogus'], {
        stdio: 'pipe',
        timeout: 5000,
      });
    } catch (error) {
      status = (error as { status: number }).status;
    }
    expect(status).toBe(2);
  });
});
