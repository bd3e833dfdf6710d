/**
 * What the page does, one function per scenario. Each returns plain data that the Node-side test asserts
 * on, so a failure message shows what the browser actually saw.
 */
import { deadline, SocketProbe, type CloseInfo, type Received } from './socket-probe.js';
import { firstDifference, makeBytes, makeText, utf8Length } from './payloads.js';

const STEP_MS = 30_000;

async function asBytes(message: Received): Promise<Uint8Array | string> {
  if (typeof message === 'string') return message;
  if (message instanceof Blob) return new Uint8Array(await message.arrayBuffer());
  return new Uint8Array(message);
}

function kindOf(message: Received): string {
  if (typeof message === 'string') return 'text';
  if (message instanceof Blob) return 'blob';
  return 'arraybuffer';
}

/** Seed example: welcome, then one reply per message. */
export async function exampleSession(arg: { url: string; messages: string[] }): Promise<{
  welcome: Received;
  replies: Received[];
  close: CloseInfo;
}> {
  const probe = new SocketProbe(arg.url);
  await deadline(probe.opened, STEP_MS, 'open');
  const welcome = await probe.next(STEP_MS);
  const replies: Received[] = [];
  for (const message of arg.messages) {
    probe.ws.send(message);
    replies.push(await probe.next(STEP_MS));
  }
  probe.ws.close(1000, 'done');
  return { welcome, replies, close: await probe.waitClosed(STEP_MS) };
}

/** One echo case's verdict. */
export interface EchoVerdict {
  size: number;
  sentKind: string;
  receivedKind: string;
  receivedSize: number;
  /** -1 when the echo matched byte for byte. */
  firstDifference: number;
}

/** Sends each size as `kind` on one connection and checks each echo exactly. */
export async function echoSizes(arg: { url: string; kind: 'text' | 'arraybuffer' | 'blob'; sizes: number[] }): Promise<{
  verdicts: EchoVerdict[];
  extensions: string;
  close: CloseInfo;
}> {
  const probe = new SocketProbe(arg.url, undefined, arg.kind === 'blob' ? 'blob' : 'arraybuffer');
  await deadline(probe.opened, STEP_MS, 'open');
  const verdicts: EchoVerdict[] = [];
  for (const [index, size] of arg.sizes.entries()) {
    let echoed: Received;
    let difference: number;
    let receivedSize: number;
    if (arg.kind === 'text') {
      const text = makeText(size, index + 1);
      probe.ws.send(text);
      echoed = await probe.next(60_000);
      const back = typeof echoed === 'string' ? echoed : '';
      receivedSize = typeof echoed === 'string' ? utf8Length(echoed) : -1;
      difference = back === text ? -1 : firstDifference(new TextEncoder().encode(text), new TextEncoder().encode(back));
    } else {
      const bytes = makeBytes(size, index + 1);
      probe.ws.send(arg.kind === 'blob' ? new Blob([bytes]) : bytes.buffer);
      echoed = await probe.next(60_000);
      const back = await asBytes(echoed);
      receivedSize = typeof back === 'string' ? -1 : back.length;
      difference = typeof back === 'string' ? 0 : firstDifference(bytes, back);
    }
    verdicts.push({ size, sentKind: arg.kind, receivedKind: kindOf(echoed), receivedSize, firstDifference: difference });
  }
  const extensions = probe.ws.extensions;
  probe.ws.close(1000);
  return { verdicts, extensions, close: await probe.waitClosed(STEP_MS) };
}

/** Sends `count` messages without waiting (text and binary alternating) and reads them back. */
export async function burst(arg: {
  url: string;
  count: number;
}): Promise<{ received: number; outOfOrder: number[]; ms: number }> {
  const probe = new SocketProbe(arg.url);
  await deadline(probe.opened, STEP_MS, 'open');
  const started = performance.now();
  for (let i = 0; i < arg.count; i++) {
    if (i % 2 === 0) probe.ws.send(`burst-${i}`);
    else probe.ws.send(new Uint32Array([i]).buffer);
  }
  const outOfOrder: number[] = [];
  let received = 0;
  for (let i = 0; i < arg.count; i++) {
    const message = await probe.next(STEP_MS);
    const value =
      typeof message === 'string'
        ? Number(message.slice('burst-'.length))
        : message instanceof ArrayBuffer
          ? (new Uint32Array(message)[0] ?? -1)
          : -1;
    if (value !== i && outOfOrder.length < 10) outOfOrder.push(i);
    received++;
  }
  const ms = Math.round(performance.now() - started);
  probe.ws.close(1000);
  await probe.waitClosed(STEP_MS);
  return { received, outOfOrder, ms };
}

/** Asks the echo server to close with a code and reason ("close:CODE:REASON"). */
export async function serverCloses(arg: {
  url: string;
  code: number;
  reason: string;
}): Promise<{ close: CloseInfo; events: string[] }> {
  const probe = new SocketProbe(arg.url);
  await deadline(probe.opened, STEP_MS, 'open');
  probe.ws.send(`close:${arg.code}:${arg.reason}`);
  const close = await probe.waitClosed(STEP_MS);
  return { close, events: probe.events };
}

/** The page closes with a code and reason; the server's reply close frame is what the page reports. */
export async function pageCloses(arg: {
  url: string;
  code: number;
  reason: string;
}): Promise<{ close: CloseInfo; events: string[] }> {
  const probe = new SocketProbe(arg.url);
  await deadline(probe.opened, STEP_MS, 'open');
  probe.ws.close(arg.code, arg.reason);
  const close = await probe.waitClosed(STEP_MS);
  return { close, events: probe.events };
}

/** Asks the echo server to destroy the TCP socket without a close frame ("terminate"). */
export async function serverTerminates(arg: { url: string }): Promise<{ close: CloseInfo; events: string[] }> {
  const probe = new SocketProbe(arg.url);
  await deadline(probe.opened, STEP_MS, 'open');
  probe.ws.send('terminate');
  const close = await probe.waitClosed(STEP_MS);
  return { close, events: probe.events };
}

/** Offers subprotocols and reports what the handshake settled on, then echoes one message. */
export async function subprotocol(arg: {
  url: string;
  protocols: string[];
}): Promise<{ protocol: string; echo: Received; close: CloseInfo }> {
  const probe = new SocketProbe(arg.url, arg.protocols);
  await deadline(probe.opened, STEP_MS, 'open');
  probe.ws.send('protocol check');
  const echo = await probe.next(STEP_MS);
  const protocol = probe.ws.protocol;
  probe.ws.close(1000);
  return { protocol, echo, close: await probe.waitClosed(STEP_MS) };
}

/** Opens a socket the server is expected to refuse; reports the event order and the close. */
export async function rejectedHandshake(arg: {
  url: string;
  protocols?: string[];
}): Promise<{ close: CloseInfo; events: string[]; readyState: number }> {
  const probe = new SocketProbe(arg.url, arg.protocols);
  const close = await probe.waitClosed(STEP_MS);
  return { close, events: probe.events, readyState: probe.ws.readyState };
}

export { codecRoundTrip } from './codec-scenario.js';

declare global {
  // eslint-disable-next-line no-var
  var wstsEventScript: { runEventScript: (ctor: unknown, url: string, failUrl?: string) => Promise<string[]> } | undefined;
}

/** Runs the client engineer's shared event script with the browser's own WebSocket. */
export async function eventScript(arg: { url: string; failUrl: string }): Promise<string[]> {
  const script = globalThis.wstsEventScript;
  if (script === undefined) throw new Error('event-script.js (packages/server/test/fixtures/event-script.ts) is not loaded');
  return deadline(script.runEventScript(WebSocket, arg.url, arg.failUrl), 60_000, 'event script');
}

/** Sends highly compressible text and binary of `size` bytes each; reports exactness and extensions. */
export async function echoCompressible(arg: {
  url: string;
  size: number;
}): Promise<{ extensions: string; textEqual: boolean; binaryEqual: boolean }> {
  const probe = new SocketProbe(arg.url);
  await deadline(probe.opened, STEP_MS, 'open');
  const line = 'wsts permessage-deflate: the same line again and again, 0123456789 é€😀\n';
  const text = line.repeat(Math.ceil(arg.size / line.length)).slice(0, arg.size);
  const bytes = new TextEncoder().encode(text);
  probe.ws.send(text);
  const textBack = await probe.next(60_000);
  probe.ws.send(bytes);
  const binaryBack = await asBytes(await probe.next(60_000));
  const extensions = probe.ws.extensions;
  probe.ws.close(1000);
  await probe.waitClosed(STEP_MS);
  return {
    extensions,
    textEqual: textBack === text,
    binaryEqual: typeof binaryBack !== 'string' && firstDifference(bytes, binaryBack) === -1,
  };
}
