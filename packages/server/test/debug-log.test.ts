/**
 * `NODE_DEBUG=wsts` turns on debug lines on stderr (Node's `util.debuglog`): handshakes accepted and
 * refused with their reason, closes with their code, limits hit. Run in a child process, since the
 * switch is read once at start; the peer is the `ws` client and a raw socket.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const dist = fileURLToPath(new URL('../dist/index.js', import.meta.url));
const ws = fileURLToPath(new URL('../node_modules/ws/wrapper.mjs', import.meta.url));

// A server, then a ws client that is accepted and closes with 1000, then an upgrade to a path the
// server does not serve (404), then a client whose first message is too big (1009), then a client
// still open when the server closes.
const script = `
import { WebSocketServer } from ${JSON.stringify(dist)};
import WebSocket from ${JSON.stringify(ws)};
const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', path: '/chat', maxMessageSize: 10 });
await new Promise((r) => wss.once('listening', r));
const url = 'ws://127.0.0.1:' + wss.port;
const good = new WebSocket(url + '/chat');
await new Promise((r) => good.once('open', r));
good.close(1000, 'bye');
await new Promise((r) => good.once('close', r));
const wrong = new WebSocket(url + '/elsewhere');
wrong.on('error', () => {});
await new Promise((r) => wrong.once('close', r));
const big = new WebSocket(url + '/chat');
await new Promise((r) => big.once('open', r));
big.send('more than ten bytes');
await new Promise((r) => big.once('close', r));
const last = new WebSocket(url + '/chat');
await new Promise((r) => last.once('open', r));
await wss.close();
`;

function run(env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(stderr);
      else reject(new Error(`exit ${code}: ${stderr}`));
    });
  });
}

describe('NODE_DEBUG=wsts', { timeout: 20_000 }, () => {
  it('logs accepted and refused handshakes, closes with their codes, and limits hit', async () => {
    const stderr = await run({ ...process.env, NODE_DEBUG: 'wsts' });
    expect(stderr).toMatch(
      /WSTS \d+: handshake from 127\.0\.0\.1:\d+ for \/chat accepted: protocol none, extensions permessage-deflate/,
    );
    expect(stderr).toMatch(/WSTS \d+: server connection with 127\.0\.0\.1:\d+ closed: 1000 "bye", clean true/);
    expect(stderr).toMatch(/WSTS \d+: handshake from 127\.0\.0\.1:\d+ refused: 404 No WebSocket endpoint at \/elsewhere/);
    expect(stderr).toMatch(/WSTS \d+: server connection with 127\.0\.0\.1:\d+: ProtocolError 1009 /);
    expect(stderr).toMatch(/WSTS \d+: server closing: 1 connection\(s\) sent 1001/);
    expect(stderr).toMatch(/WSTS \d+: server closed: 1 connection\(s\) closed cleanly, 0 terminated/);
  });

  it('says nothing without it', async () => {
    const env = { ...process.env };
    delete env.NODE_DEBUG;
    expect(await run(env)).toBe('');
  });
});
