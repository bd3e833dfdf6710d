/**
 * One WebSocket connection over any byte transport, in either role, with nothing runtime-specific:
 * it reads the HTTP head, runs the opening handshake with @wsts/protocol, then hands every later byte
 * to the codec. deno.ts and bun.ts bind it to their runtime's TCP API; this file is the same for both.
 *
 * It is kept short to show the binding, so it leaves out what an adapter for production adds: a
 * handshake timeout, a close timeout, a heartbeat and backpressure (a peer that sends without reading
 * makes the echo queue grow). packages/protocol/examples/web-streams-adapter.ts has all four, and
 * docs/adapter-guide.md explains them.
 */
import {
  acceptClientHandshake,
  concatBytes,
  Connection,
  type ConnectionEvent,
  createClientHandshake,
  HandshakeError,
  upgrade,
} from '@wsts/protocol';

/** What the runtime's socket offers the session: ordered writes, and ending the connection. */
export interface ByteSink {
  write(bytes: Uint8Array): void;
  end(): void;
}

/** What the runtime calls with the socket's input. */
export interface Session {
  /** Bytes read from the socket. The session owns them from now on (the codec unmasks in place). */
  receive(bytes: Uint8Array): void;
  /** The socket is gone: release the codec. */
  transportClosed(): void;
  /** The live codec once the handshake has completed. */
  readonly codec: Connection | undefined;
}

export interface SessionHandlers {
  /** The handshake completed. */
  open?(codec: Connection): void;
  /** Every codec event (message, ping, pong, close, closed, fail). */
  event(event: ConnectionEvent, codec: Connection): void;
  /** No WebSocket came of it: the server refused a request, or the client's handshake failed. */
  refused?(error: Error): void;
}

/** A request or response head larger than this is refused instead of buffered without bound. */
const MAX_HEAD_BYTES = 16 * 1024;
const decoder = new TextDecoder();
const encoder = new TextEncoder();
const random = (bytes: Uint8Array): void => void crypto.getRandomValues(bytes);

/** Accepts one WebSocket connection on a socket whose first bytes are the client's HTTP request. */
export function serverSession(sink: ByteSink, handlers: SessionHandlers): Session {
  return new HeadThenFrames(sink, handlers, (head, rest) => {
    const [method, target, version] = (head.startLine ?? '').split(' ');
    const refusal =
      method !== 'GET'
        ? { status: 405, reason: 'Method Not Allowed' }
        : version !== 'HTTP/1.1' || target === undefined
          ? { status: 400, reason: 'Bad Request' }
          : undefined;
    const result = refusal === undefined ? upgrade(head.headers) : { ok: false as const, ...refusal, headers: [] };
    if (!result.ok) {
      // The reason goes into the body too, so a person with curl sees why.
      const body = encoder.encode(`${result.reason}\n`);
      const headers: [string, string][] = [
        ...result.headers,
        ['Content-Type', 'text/plain; charset=utf-8'],
        ['Content-Length', String(body.length)],
        ['Connection', 'close'],
      ];
      sink.write(encoder.encode(formatHead(`HTTP/1.1 ${result.status} ${result.reason}`, headers)));
      sink.write(body);
      sink.end();
      handlers.refused?.(new Error(`refused with ${result.status}: ${result.reason}`));
      return undefined;
    }
    sink.write(encoder.encode(formatHead('HTTP/1.1 101 Switching Protocols', result.headers)));
    return openCodec('server', sink, handlers, rest);
  });
}

/** Opens a WebSocket to `url` (ws:) on a socket already connected to its host. */
export function clientSession(sink: ByteSink, url: URL, handlers: SessionHandlers): Session {
  const handshake = createClientHandshake({ host: url.host, path: `${url.pathname}${url.search}`, random });
  sink.write(encoder.encode(formatHead(`GET ${url.pathname}${url.search} HTTP/1.1`, handshake.headers)));
  return new HeadThenFrames(sink, handlers, (head, rest) => {
    const status = Number((head.startLine ?? '').split(' ')[1]);
    try {
      acceptClientHandshake(handshake, status, head.headers);
    } catch (error) {
      sink.end();
      handlers.refused?.(error instanceof HandshakeError ? error : new Error(String(error)));
      return undefined;
    }
    return openCodec('client', sink, handlers, rest);
  });
}

function openCodec(role: 'server' | 'client', sink: ByteSink, handlers: SessionHandlers, rest: Uint8Array): Connection {
  const codec: Connection = new Connection({
    role,
    random: role === 'client' ? random : undefined,
    onWrite: (chunks, done) => {
      for (const chunk of chunks) sink.write(chunk);
      done?.();
    },
    onEvent: (event) => {
      handlers.event(event, codec);
      // Both close frames exchanged, or a protocol error whose close frame is already written: the
      // TCP connection has served its purpose. (RFC 6455 lets the client close it too once both
      // close frames have crossed, so both roles do the same here.)
      if (event.type === 'closed' || event.type === 'fail') sink.end();
    },
  });
  handlers.open?.(codec);
  // What followed the head in the same read is already the peer's first frames.
  if (rest.length > 0) codec.receive(rest);
  return codec;
}

interface Head {
  startLine: string | undefined;
  headers: [string, string][];
}

/** Buffers input until the blank line that ends the HTTP head, then passes everything to the codec. */
class HeadThenFrames implements Session {
  codec: Connection | undefined;
  private buffered: Uint8Array[] = [];
  private bufferedLength = 0;
  private done = false;

  constructor(
    private readonly sink: ByteSink,
    private readonly handlers: SessionHandlers,
    private readonly onHead: (head: Head, rest: Uint8Array) => Connection | undefined,
  ) {}

  receive(bytes: Uint8Array): void {
    if (this.codec !== undefined) {
      this.codec.receive(bytes);
      return;
    }
    if (this.done) return;
    this.buffered.push(bytes);
    this.bufferedLength += bytes.length;
    const all = concatBytes(this.buffered);
    const end = indexOfBlankLine(all);
    if (end < 0) {
      if (this.bufferedLength > MAX_HEAD_BYTES) {
        this.done = true;
        this.sink.end();
        this.handlers.refused?.(new Error(`HTTP head over ${MAX_HEAD_BYTES} bytes`));
      }
      return;
    }
    this.buffered = [];
    this.done = true;
    const lines = decoder.decode(all.subarray(0, end)).split('\r\n');
    const headers: [string, string][] = [];
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      if (colon > 0) headers.push([line.slice(0, colon).trim(), line.slice(colon + 1).trim()]);
    }
    this.codec = this.onHead({ startLine: lines[0], headers }, all.subarray(end + 4));
  }

  transportClosed(): void {
    this.done = true;
    this.codec?.destroy();
  }
}

function indexOfBlankLine(bytes: Uint8Array): number {
  for (let i = 0; i + 3 < bytes.length; i++) {
    if (bytes[i] === 13 && bytes[i + 1] === 10 && bytes[i + 2] === 13 && bytes[i + 3] === 10) return i;
  }
  return -1;
}

function formatHead(startLine: string, headers: readonly (readonly [string, string])[]): string {
  return `${startLine}\r\n${headers.map(([name, value]) => `${name}: ${value}\r\n`).join('')}\r\n`;
}

/** A codec event as one line of text, for the examples' output. */
export function describeEvent(event: ConnectionEvent): string {
  switch (event.type) {
    case 'message':
      return event.binary ? `binary ${[...event.data].join(',')}` : `text ${decoder.decode(event.data)}`;
    case 'close':
      return `close ${event.code} ${event.reason}`;
    case 'fail':
      return `fail ${event.error.message}`;
    default:
      return event.type;
  }
}
