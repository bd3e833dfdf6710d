/**
 * A ws client as its users write it in TypeScript (ws's README and doc/ws.md): constructor forms and
 * options, every event with its parameters inferred, `this` in function listeners, sending.
 * test/types.test.ts compiles this file against `ws` (with @types/ws) and, with only the import
 * specifier changed, against `@wsts/ws`.
 */
import type { ClientRequest, IncomingMessage } from 'node:http';
import { Agent } from 'node:https';
import WebSocket from 'ws';
import { exact, use } from './assert.js';

export function connect(url: string): WebSocket {
  const ws = new WebSocket(url);
  ws.on('error', console.error);
  ws.on('open', function open() {
    ws.send('something');
    ws.send(new Float32Array(5));
    ws.send(Buffer.from('binary'), { binary: true, compress: false });
    ws.send('with a callback', (err) => {
      if (err) console.error(err.message);
    });
    ws.send('both', { fin: true }, (err) => use(err));
  });
  ws.on('message', function message(data, isBinary) {
    exact<WebSocket.RawData>()(data);
    exact<boolean>()(isBinary);
    exact<WebSocket>()(this);
    console.log('received: %s', data);
    if (Buffer.isBuffer(data)) use(data.toString('utf8'));
    else if (data instanceof ArrayBuffer) use(data.byteLength);
    else use(Buffer.concat(data));
    this.send(data, { binary: isBinary });
  });
  ws.on('close', (code, reason) => {
    exact<number>()(code);
    exact<Buffer>()(reason);
    use(reason.toString());
  });
  ws.on('error', (error) => exact<Error>()(error));
  ws.on('ping', (data) => exact<Buffer>()(data));
  ws.on('pong', function (data) {
    exact<Buffer>()(data);
    this.ping();
  });
  ws.on('upgrade', (response) => {
    exact<IncomingMessage>()(response);
    use(response.headers['set-cookie']);
  });
  ws.on('unexpected-response', (request, response) => {
    exact<ClientRequest>()(request);
    exact<IncomingMessage>()(response);
    use(response.statusCode);
    request.destroy();
  });
  ws.on('redirect', (location, request) => {
    exact<string>()(location);
    exact<ClientRequest>()(request);
    request.setHeader('Authorization', 'Bearer token');
  });
  // Listeners of events ws does not emit, as applications add for their own emit() calls.
  ws.on('custom', (payload) => use(payload.anything));
  ws.emit('custom', { anything: 1 });
  return ws;
}

export function lifecycle(ws: WebSocket): void {
  const onMessage = (data: WebSocket.RawData, isBinary: boolean): void => use(data, isBinary);
  ws.addListener('message', onMessage);
  ws.removeListener('message', onMessage);
  ws.once('message', onMessage);
  ws.off('message', onMessage);
  ws.once('open', function () {
    exact<WebSocket>()(this);
  });
  ws.addListener('close', (code, reason) => use(code.toFixed(), reason.length));
  ws.once('close', (code) => exact<number>()(code));
  ws.removeAllListeners('close');

  ws.ping();
  ws.ping('payload');
  ws.ping(Buffer.alloc(1), false, (err) => use(err));
  ws.pong();
  ws.pong('payload', true);
  ws.close();
  ws.close(1000);
  ws.close(4000, 'bye');
  ws.close(1001, Buffer.from('going away'));
  ws.terminate();
  ws.pause();
  ws.resume();

  ws.binaryType = 'arraybuffer';
  ws.binaryType = 'fragments';
  ws.binaryType = 'nodebuffer';
  use(ws.bufferedAmount + 1, ws.extensions.length, ws.isPaused, ws.protocol.length, ws.url.length);

  if (ws.readyState === WebSocket.OPEN) ws.send('open');
  if (ws.readyState === ws.CLOSED || ws.readyState === WebSocket.CLOSING) use('closing');
  switch (ws.readyState) {
    case WebSocket.CONNECTING:
    case WebSocket.OPEN:
    case WebSocket.CLOSING:
    case WebSocket.CLOSED:
      break;
  }
}

export function options(): WebSocket[] {
  return [
    new WebSocket('wss://example.com/path', {
      headers: { Authorization: 'Bearer token', 'User-Agent': 'app' },
      handshakeTimeout: 5_000,
      perMessageDeflate: false,
      agent: new Agent({ keepAlive: false }),
      rejectUnauthorized: false,
      followRedirects: true,
      maxRedirects: 3,
      maxPayload: 1024 * 1024,
      origin: 'https://example.com',
      protocolVersion: 13,
      autoPong: true,
      skipUTF8Validation: false,
      localAddress: '127.0.0.1',
      family: 4,
      ca: 'certificate',
    }),
    new WebSocket('ws://127.0.0.1:8080', 'chat'),
    new WebSocket('ws://127.0.0.1:8080', ['chat', 'superchat'], {
      perMessageDeflate: { clientNoContextTakeover: true, serverMaxWindowBits: 10, threshold: 512 },
    }),
    new WebSocket(new URL('ws://127.0.0.1:8080')),
    new WebSocket('ws+unix:///tmp/app.sock:/path', {
      finishRequest: (request, websocket) => {
        exact<WebSocket>()(websocket);
        request.setHeader('X-Token', 't');
        request.end();
      },
      generateMask: (mask) => mask.fill(0),
    }),
  ];
}

/** A client heartbeat, as ws's README shows it (the timer kept in a map, not on the socket). */
export function heartbeat(client: WebSocket): void {
  const timers = new WeakMap<WebSocket, NodeJS.Timeout>();
  function beat(this: WebSocket): void {
    clearTimeout(timers.get(this));
    timers.set(
      this,
      setTimeout(() => this.terminate(), 30_000 + 1_000),
    );
  }
  client.on('open', beat);
  client.on('ping', beat);
  client.on('close', function clear() {
    clearTimeout(timers.get(this));
  });
}
