/**
 * The WHATWG WebSocket class: the shared event script run against our class and against undici's
 * WebSocket (an independent implementation of the same standard), plus the standard's argument checks.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket as UndiciWebSocket } from 'undici';
import { CloseEvent, WebSocket } from '../src/client/index.js';
import { freePort, startWsEcho } from './fixtures/client-peers.js';
import { startBin } from './helpers/bins.js';
import { runEventScript, type ScriptSocketConstructor } from './fixtures/event-script.js';

let echo: Awaited<ReturnType<typeof startWsEcho>>;
let failUrl: string;
beforeAll(async () => {
  echo = await startWsEcho();
  failUrl = `ws://127.0.0.1:${await freePort()}/`;
});
afterAll(async () => {
  await echo.close();
});

/**
 * Where undici 7 departs from the WHATWG standard (and from Chromium, Firefox and WebKit), and what the standard says instead. Each entry turns
 * undici's observation into the standard's; everything else must match exactly.
 */
function undiciAsStandard(log: string[]): string[] {
  const out = [...log];
  // 1. send() after close() "must increase the bufferedAmount attribute by the number of bytes needed
  //    to express the argument as UTF-8" (send() steps; the intro adds that the value "does not reset to
  //    zero once the connection closes"). undici returns early and leaves it at 0.
  const late = out.indexOf('client-close bufferedAmount after late send=0');
  if (late !== -1) out[late] = 'client-close bufferedAmount after late send=4';
  // 2. close() while CONNECTING fails the connection and sets CLOSING; the 'error' and 'close' events
  //    come from a queued task ("the WebSocket connection is closed"), i.e. after close() returns.
  //    undici dispatches both synchronously inside close().
  const after = out.indexOf('connecting after close() readyState=2');
  const firstEvent = out.indexOf('connecting error isEvent=true readyState=3');
  if (after !== -1 && firstEvent !== -1 && after > firstEvent) {
    out.splice(after, 1);
    out.splice(firstEvent, 0, 'connecting after close() readyState=2');
  }
  // 3. A server that drops TCP without a close frame after open: the connection is closed (1006), not
  //    failed, so the standard fires no 'error' (Chromium, Firefox and WebKit agree: the browser suite
  //    compares their sequences with ours). undici fires 'error' for every close without a received close frame.
  const dropped = out.indexOf('terminated error isEvent=true readyState=3');
  if (dropped !== -1) out.splice(dropped, 1);
  return out;
}

describe('event script: ours against undici', { timeout: 30_000 }, () => {
  it("records the same sequence as undici, modulo undici's three documented departures from the standard", async () => {
    const theirs = await runEventScript(UndiciWebSocket as unknown as ScriptSocketConstructor, echo.url, failUrl);
    const ours = await runEventScript(WebSocket as unknown as ScriptSocketConstructor, echo.url, failUrl);
    expect(ours).toEqual(undiciAsStandard(theirs));
    // Guard against the script silently degrading: it must have seen every phase.
    expect(ours.some((line) => line.startsWith('echo close code=4001'))).toBe(true);
    expect(ours.some((line) => line.startsWith('refused close code=1006'))).toBe(true);
    expect(ours.filter((line) => line.includes('timeout'))).toEqual([]);
  });

  it('records the same sequence against our own echo server (dist/bin/echo.js, the one e2e drives browsers at)', async () => {
    const bin = await startBin('echo', ['--port', '0', '--host', '127.0.0.1']);
    try {
      const url = `${bin.url}/`;
      const theirs = await runEventScript(UndiciWebSocket as unknown as ScriptSocketConstructor, url, failUrl);
      const ours = await runEventScript(WebSocket as unknown as ScriptSocketConstructor, url, failUrl);
      expect(ours).toEqual(undiciAsStandard(theirs));
      expect(ours.filter((line) => line.includes('timeout'))).toEqual([]);
    } finally {
      await bin.stop();
    }
  });
});

describe('WHATWG WebSocket details', { timeout: 10_000 }, () => {
  /** Resolves with the first event of `type`. */
  function next<T extends Event = Event>(ws: WebSocket, type: string): Promise<T> {
    return new Promise((resolve) => ws.addEventListener(type, (event) => resolve(event as T), { once: true }));
  }

  it('has the standard constants on the class and the instance, and our defaults before open', async () => {
    const ws = new WebSocket(echo.url.replace('ws:', 'http:'));
    expect([WebSocket.CONNECTING, WebSocket.OPEN, WebSocket.CLOSING, WebSocket.CLOSED]).toEqual([0, 1, 2, 3]);
    expect([ws.CONNECTING, ws.OPEN, ws.CLOSING, ws.CLOSED]).toEqual([0, 1, 2, 3]);
    expect(ws.url).toBe(echo.url);
    expect(ws.readyState).toBe(WebSocket.CONNECTING);
    expect(ws.binaryType).toBe('blob');
    expect([ws.protocol, ws.extensions, ws.bufferedAmount]).toEqual(['', '', 0]);
    expect([ws.onopen, ws.onmessage, ws.onerror, ws.onclose]).toEqual([null, null, null, null]);
    expect(ws).toBeInstanceOf(EventTarget);
    await next(ws, 'open');
    ws.close();
    await next(ws, 'close');
  });

  it('delivers binary messages as a Blob by default, as browsers and undici do: event.data.text() works', async () => {
    const ws = new WebSocket(echo.url);
    await next(ws, 'open');
    ws.send(new TextEncoder().encode('bytes as text'));
    const event = await next<Event & { data: unknown }>(ws, 'message');
    expect(event.data).toBeInstanceOf(Blob);
    expect(await (event.data as Blob).text()).toBe('bytes as text');
    ws.binaryType = 'arraybuffer';
    ws.send(new Uint8Array([7, 8]));
    const second = await next<Event & { data: unknown }>(ws, 'message');
    expect(second.data).toBeInstanceOf(ArrayBuffer);
    expect([...new Uint8Array(second.data as ArrayBuffer)]).toEqual([7, 8]);
    const closed = next(ws, 'close');
    ws.close();
    await closed;
  });

  it('delivers MessageEvents with the origin and binary data as Buffer with binaryType "nodebuffer"', async () => {
    const ws = new WebSocket(echo.url);
    ws.binaryType = 'nodebuffer';
    await next(ws, 'open');
    ws.send(new Uint8Array([1, 2]));
    const event = await next<Event & { data: unknown; origin: string }>(ws, 'message');
    expect(event).toBeInstanceOf(Event);
    expect(event.type).toBe('message');
    expect(event.origin).toBe(new URL(echo.url).origin);
    expect(Buffer.isBuffer(event.data)).toBe(true);
    expect(event.data).toEqual(Buffer.from([1, 2]));
    const closed = next<CloseEvent>(ws, 'close');
    ws.close(1000);
    const close = await closed;
    expect(close).toBeInstanceOf(CloseEvent);
    expect([close.code, close.reason, close.wasClean]).toEqual([1000, '', true]);
  });

  it('sends close code and reason as given: a 123-byte reason passes, a reason alone gets code 1000, codes are clamped', async () => {
    const own = await startWsEcho();
    const seen: [number, string][] = [];
    const collected = new Promise<void>((resolve) => {
      own.server.on('connection', (socket) => {
        socket.on('close', (code, reason) => {
          seen.push([code, reason.toString()]);
          if (seen.length === 3) resolve();
        });
      });
    });
    const reason123 = '\u20ac'.repeat(41);
    const cases: [number | undefined, string][] = [
      [3000, reason123],
      [undefined, 'reason only'],
      [1000.4, ''],
    ];
    for (const [code, reason] of cases) {
      const ws = new WebSocket(own.url);
      await next(ws, 'open');
      ws.close(code, reason);
      expect(ws.readyState).toBe(WebSocket.CLOSING);
      await next(ws, 'close');
    }
    await collected;
    await own.close();
    expect(seen.sort()).toEqual(
      [
        [1000, ''],
        [1000, 'reason only'],
        [3000, reason123],
      ].sort(),
    );
  });

  it('counts queued bytes in bufferedAmount and drains it to 0', async () => {
    const ws = new WebSocket(echo.url);
    await next(ws, 'open');
    const big = new Uint8Array(2 * 1024 * 1024);
    ws.send(big);
    ws.send('four');
    expect(ws.bufferedAmount).toBe(big.length + 4);
    const deadline = Date.now() + 5000;
    while (ws.bufferedAmount > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(ws.bufferedAmount).toBe(0);
    ws.close();
    await next(ws, 'close');
  });

  it('drops messages that arrive after close() was called', async () => {
    const ws = new WebSocket(echo.url);
    await next(ws, 'open');
    const received: unknown[] = [];
    ws.onmessage = (event) => {
      received.push(event.data);
      ws.close();
    };
    ws.send('first');
    ws.send('second');
    ws.send('third');
    await next(ws, 'close');
    expect(received).toEqual(['first']);
  });

  it('sends custom headers and Origin given in the third argument', async () => {
    const headers = new Promise<Record<string, string | string[] | undefined>>((resolve) => {
      echo.server.once('connection', (_socket, request) => resolve(request.headers));
    });
    const ws = new WebSocket(echo.url, ['chat'], { origin: 'https://app.example', headers: { 'X-Token': 'abc' } });
    const got = await headers;
    expect(got.origin).toBe('https://app.example');
    expect(got['x-token']).toBe('abc');
    expect(got['sec-websocket-protocol']).toBe('chat');
    await next(ws, 'open');
    ws.close();
    await next(ws, 'close');
  });

  it('keeps an event handler attribute at the position of its first assignment, and null removes it', async () => {
    const ws = new WebSocket(echo.url);
    const calls: string[] = [];
    ws.addEventListener('open', () => calls.push('a'));
    ws.onopen = () => calls.push('first handler');
    ws.addEventListener('open', () => calls.push('b'));
    ws.onopen = () => calls.push('second handler');
    const handler = ws.onopen;
    expect(typeof handler).toBe('function');
    ws.onmessage = () => calls.push('message');
    ws.onmessage = null;
    expect(ws.onmessage).toBe(null);
    await next(ws, 'open');
    ws.send('x');
    await next(ws, 'message');
    expect(calls).toEqual(['a', 'second handler', 'b']);
    ws.close();
    await next(ws, 'close');
  });

  it('throws SyntaxError DOMExceptions for a bad URL or subprotocol list, before any I/O', () => {
    const cases: [string, () => unknown][] = [
      ['scheme', () => new WebSocket('mailto:x@y')],
      ['fragment', () => new WebSocket('ws://127.0.0.1/a#b')],
      ['relative URL (Node has no base URL)', () => new WebSocket('no-scheme')],
      ['protocol token', () => new WebSocket('ws://127.0.0.1/', ['a,b'])],
      ['empty protocol', () => new WebSocket('ws://127.0.0.1/', [''])],
      ['duplicate protocol', () => new WebSocket('ws://127.0.0.1/', ['x', 'x'])],
    ];
    for (const [, make] of cases) {
      let caught: unknown;
      try {
        make();
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(DOMException);
      expect((caught as DOMException).name).toBe('SyntaxError');
    }
  });
});

describe('WHATWG WebSocket: the bytes send() reads and the ArrayBuffer a message gets', { timeout: 10_000 }, () => {
  /** The next `count` binary messages, as byte arrays. */
  function messages(ws: WebSocket, count: number): Promise<ArrayBuffer[]> {
    return new Promise((resolve) => {
      const got: ArrayBuffer[] = [];
      ws.addEventListener('message', (event) => {
        if (got.push((event as Event & { data: ArrayBuffer }).data) === count) resolve(got);
      });
    });
  }

  for (const deflate of [false, true]) {
    it(`sends the bytes as they were when send() was called: framed at once, behind a Blob${deflate ? ', through permessage-deflate' : ''}`, async () => {
      const peer = await startWsEcho({ perMessageDeflate: deflate });
      try {
        const ws = new WebSocket(peer.url);
        ws.binaryType = 'arraybuffer';
        await new Promise((resolve) => ws.addEventListener('open', resolve, { once: true }));
        expect(ws.extensions.includes('permessage-deflate')).toBe(deflate);
        const got = messages(ws, 6);
        const first = new Uint8Array([1, 2, 3, 4]);
        ws.send(first);
        first.fill(9); // after send(): must not change what goes out
        // Large enough to be compressed on the thread pool, when permessage-deflate is on.
        const large = Uint8Array.from({ length: 256 * 1024 }, (_, i) => i % 251);
        const expected = Buffer.from(large);
        ws.send(large);
        large.fill(0);
        const words = new Uint16Array([0x0201, 0x0403]);
        ws.send(new DataView(words.buffer, 1, 2));
        words.fill(0);
        ws.send(new Blob([new Uint8Array([5])]));
        const queued = new Uint8Array([6, 7]); // waits behind the Blob being read
        ws.send(queued);
        queued.fill(0);
        const raw = new Uint8Array([8, 9, 10]).buffer;
        ws.send(raw);
        new Uint8Array(raw).fill(0);
        const [one, two, ...rest] = await got;
        expect([...new Uint8Array(one!)]).toEqual([1, 2, 3, 4]);
        expect(Buffer.from(two!).equals(expected)).toBe(true);
        expect(rest.map((b) => [...new Uint8Array(b)])).toEqual([[2, 3], [5], [6, 7], [8, 9, 10]]);
        expect(ws.bufferedAmount).toBe(0);
        ws.close();
        await new Promise((resolve) => ws.addEventListener('close', resolve, { once: true }));
      } finally {
        await peer.close();
      }
    });
  }

  it('gives every binary message an ArrayBuffer of its own, exactly its size, large or small', async () => {
    const ws = new WebSocket(echo.url);
    ws.binaryType = 'arraybuffer';
    await new Promise((resolve) => ws.addEventListener('open', resolve, { once: true }));
    // Large messages arrive over several reads and are assembled; small ones share a read.
    const sizes = [70_000, 1, 16, 1024, 70_000, 0, 200_000, 3];
    const sent = sizes.map((size, i) => Uint8Array.from({ length: size }, (_, k) => (k * 7 + i) & 0xff));
    const got = messages(ws, sizes.length);
    for (const bytes of sent) ws.send(bytes);
    const received = await got;
    expect(received.map((b) => b.byteLength)).toEqual(sizes);
    for (const [i, b] of received.entries()) expect(Buffer.from(b).equals(sent[i]!), `message ${i}`).toBe(true);
    // Each is independent of the others: changing one changes nothing else.
    for (const b of received) new Uint8Array(b).fill(0xee);
    expect(new Set(received).size).toBe(received.length);
    const again = messages(ws, sizes.length);
    for (const bytes of sent) ws.send(bytes);
    for (const [i, b] of (await again).entries()) expect(Buffer.from(b).equals(sent[i]!), `message ${i} again`).toBe(true);
    ws.close();
    await new Promise((resolve) => ws.addEventListener('close', resolve, { once: true }));
  });
});

describe('WHATWG WebSocket state after the server starts closing', { timeout: 10_000 }, () => {
  it("reports CLOSING once the server's close frame arrived, and converts other send() arguments to strings", async () => {
    const own = await startWsEcho();
    try {
      const ws = new WebSocket(own.url);
      await new Promise((resolve) => (ws.onopen = resolve));
      ws.send(12345 as unknown as string);
      const echoed = await new Promise<unknown>((resolve) => (ws.onmessage = (event) => resolve(event.data)));
      expect(echoed).toBe('12345');
      // Hold the server's TCP close back so the CLOSING window lasts: ws ends TCP once it has read our
      // close reply, and a paused ws reads nothing.
      const states: number[] = [];
      const closed = new Promise<CloseEvent>((resolve) => (ws.onclose = resolve));
      own.server.clients.forEach((client) => {
        client.pause();
        client.close(4005, 'server first');
      });
      await new Promise<void>((resolve) => {
        const poll = (): void => {
          states.push(ws.readyState);
          // Bounded, so that a readyState stuck at OPEN fails the assertion below rather than the timeout.
          if (ws.readyState !== WebSocket.OPEN || states.length > 1000) resolve();
          else setTimeout(poll, 1);
        };
        poll();
      });
      // The server's close frame arrived and our reply went out; the socket is still open: CLOSING, not
      // CLOSED, and it stays CLOSING for as long as the server keeps TCP open.
      expect(states.at(-1)).toBe(WebSocket.CLOSING);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(ws.readyState).toBe(WebSocket.CLOSING);
      for (const client of own.server.clients) client.resume();
      const event = await closed;
      expect([event.code, event.reason, event.wasClean]).toEqual([4005, 'server first', true]);
      expect(ws.readyState).toBe(WebSocket.CLOSED);
    } finally {
      await own.close();
    }
  });
});
