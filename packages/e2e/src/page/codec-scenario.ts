/**
 * @wsts/protocol running inside the browser: the page loads protocol.js (the package bundled by esbuild
 * for the browser, exposed as `globalThis.wstsProtocol`) and drives a client and a server codec against
 * each other, with no sockets at all. Anything Node-only in the package would break the bundle or this.
 */
import type * as Protocol from '@wsts/protocol';

declare global {
  // eslint-disable-next-line no-var
  var wstsProtocol: typeof Protocol | undefined;
}

/** What the page reports back. */
export interface CodecReport {
  /** RFC 6455 section 1.3's example key -> accept value, computed by the bundled SHA-1. */
  rfcAccept: string;
  handshake: { protocol: string | undefined; accepted: boolean };
  /** Messages the server codec received and echoed, as the client codec saw them come back. */
  echoed: { binary: boolean; size: number; equal: boolean }[];
  pongs: string[];
  clientClose: { code: number; reason: string } | undefined;
  serverClose: { code: number; reason: string } | undefined;
  states: { client: string; server: string };
  /** The close code the server codec fails with on a text frame carrying invalid UTF-8. */
  invalidUtf8Code: number | undefined;
  /** Frames decoded by FrameDecoder from one masked frame fed a byte at a time. */
  frameByteByByte: { opcode: number; fin: boolean; payload: string } | undefined;
}

const random = (bytes: Uint8Array): void => {
  crypto.getRandomValues(bytes);
};

/** Splits chunks into small, uneven pieces so the decoders see every boundary case. */
function* pieces(chunks: readonly Uint8Array[], step: number): Generator<Uint8Array> {
  for (const chunk of chunks) {
    for (let at = 0; at < chunk.length; at += step) yield chunk.slice(at, at + step);
  }
}

export async function codecRoundTrip(): Promise<CodecReport> {
  const p = globalThis.wstsProtocol;
  if (p === undefined) throw new Error('protocol.js (the @wsts/protocol browser bundle) is not loaded');

  const rfcAccept = p.computeAccept('dGhlIHNhbXBsZSBub25jZQ==');

  // Handshake, both halves, in the page.
  const request = p.createClientHandshake({ host: 'example.test', path: '/chat', protocols: ['chat.v2', 'chat.v1'], random });
  const answer = p.upgrade(request.headers, { selectProtocol: (offered) => offered[1] });
  if (!answer.ok) throw new Error(`server handshake refused: ${answer.status} ${answer.reason}`);
  const accepted = p.acceptClientHandshake(request, 101, answer.headers);

  // Two connections wired back to back; bytes cross in 7-byte pieces.
  const report: CodecReport = {
    rfcAccept,
    handshake: { protocol: accepted.protocol, accepted: true },
    echoed: [],
    pongs: [],
    clientClose: undefined,
    serverClose: undefined,
    states: { client: '', server: '' },
    invalidUtf8Code: undefined,
    frameByteByByte: undefined,
  };
  const sent: { binary: boolean; data: Uint8Array }[] = [];
  let server: Protocol.Connection | undefined;
  const client = new p.Connection({
    role: 'client',
    random,
    onWrite: (chunks, done) => {
      for (const piece of pieces(chunks, 7)) server?.receive(piece);
      done?.();
    },
    onEvent: (event) => {
      if (event.type === 'message') {
        const original = sent[report.echoed.length];
        const equal =
          original !== undefined &&
          original.data.length === event.data.length &&
          original.data.every((byte, i) => byte === event.data[i]);
        report.echoed.push({ binary: event.binary, size: event.data.length, equal });
      } else if (event.type === 'pong') {
        report.pongs.push(new TextDecoder().decode(event.data));
      } else if (event.type === 'close') {
        report.clientClose = { code: event.code, reason: event.reason };
      }
    },
  });
  server = new p.Connection({
    role: 'server',
    onWrite: (chunks, done) => {
      for (const piece of pieces(chunks, 7)) client.receive(piece);
      done?.();
    },
    onEvent: (event) => {
      if (event.type === 'message') server?.send(event.data, event.binary);
      else if (event.type === 'close') report.serverClose = { code: event.code, reason: event.reason };
    },
  });

  const text = new TextEncoder().encode('héllo wörld € 中 😀');
  const big = new Uint8Array(70_000).map((_, i) => (i * 7) & 0xff);
  sent.push({ binary: false, data: text }, { binary: true, data: big }, { binary: true, data: new Uint8Array(0) });
  client.send('héllo wörld € 中 😀', false);
  client.send(big, true);
  client.send(new Uint8Array(0), true);
  client.ping('are you there');
  client.close(4321, 'codec says bye');
  report.states = { client: client.state, server: server.state };

  // A lone server codec fed a masked text frame with invalid UTF-8 must fail with 1007.
  const failing = new p.Connection({
    role: 'server',
    onWrite: () => undefined,
    onEvent: (event) => {
      if (event.type === 'fail') report.invalidUtf8Code = event.error.code;
    },
  });
  const mask = new Uint8Array([1, 2, 3, 4]);
  const bad = new Uint8Array([0xc3, 0x28]);
  for (const chunk of p.encodeFrame(p.Opcode.TEXT, true, 0, bad.slice(), mask)) {
    try {
      failing.receive(chunk);
    } catch {
      // The codec reports through onEvent; a throw here would also be acceptable, the code is what counts.
    }
  }

  // FrameDecoder alone, one byte at a time.
  const decoder = new p.FrameDecoder({ role: 'server' });
  const frameBytes = p.encodeFrame(
    p.Opcode.BINARY,
    true,
    0,
    new TextEncoder().encode('byte by byte'),
    new Uint8Array([9, 8, 7, 6]),
  );
  let header: { opcode: number; fin: boolean } | undefined;
  for (const piece of pieces(frameBytes, 1)) {
    decoder.push(piece, {
      frameStart: (fin, _rsv, opcode) => {
        header = { opcode, fin };
      },
      frameData: () => undefined,
      frameEnd: (payload) => {
        if (header !== undefined) report.frameByteByByte = { ...header, payload: new TextDecoder().decode(payload) };
      },
    });
  }
  return report;
}
