/**
 * A WebSocket adapter over a pair of WHATWG byte streams: the shape of Deno's `Deno.Conn`, of
 * Cloudflare's `connect()`, and of Node's `Duplex.toWeb(socket)`. The codec (`Connection`) speaks the
 * protocol; this file does what only a runtime can: read the HTTP head, move bytes between the streams
 * and the codec, own the timers, and apply backpressure. docs/adapter-guide.md walks through it.
 */
import {
  acceptClientHandshake,
  type ClientExtensionNegotiator,
  Connection,
  type ConnectionEvent,
  createClientHandshake,
  type Extension,
  type ServerExtensionNegotiator,
  upgrade,
} from '@wsts/protocol';

/** The part of a `{ readable, writable }` stream pair this adapter uses. */
export interface ByteStreams {
  readable: { getReader(): ByteReader };
  writable: { getWriter(): ByteWriter };
}
interface ByteReader {
  read(): Promise<{ done: boolean; value?: Uint8Array }>;
  cancel(reason?: unknown): Promise<void>;
}
interface ByteWriter {
  write(chunk: Uint8Array): Promise<void>;
  close(): Promise<void>;
  abort(reason?: unknown): Promise<void>;
}

export interface AdapterOptions {
  /** Milliseconds the closing handshake may take before the transport is aborted. Default 10 s. */
  closeTimeout?: number;
  /** Ping every this many milliseconds; abort when nothing arrived since the last ping. Default 0 (off). */
  heartbeatInterval?: number;
  /** Bytes accepted by `send` and not yet written, past which the connection is aborted. Default 16 MiB. */
  maxBufferedAmount?: number;
  /** Largest incoming message (1009 past it). Default: the codec's 64 MiB. */
  maxMessageSize?: number;
}

export interface ServerOptions extends AdapterOptions {
  selectProtocol?: (offered: readonly string[]) => string | undefined;
  extensions?: readonly ServerExtensionNegotiator[];
}

export interface ClientOptions extends AdapterOptions {
  protocols?: readonly string[];
  extensions?: readonly ClientExtensionNegotiator[];
}

/** How a connection ended: the peer's close code (1006 when none arrived), and why if it failed. */
export interface CloseInfo {
  code: number;
  reason: string;
  wasClean: boolean;
  error?: Error;
}

/** Bytes held by an asynchronous extension decode past which reading stops until it drains. */
const MAX_BUFFERED_INCOMING = 1024 * 1024;
const MAX_HEAD_BYTES = 16 * 1024;
const STATUS_TEXT: Record<number, string> = { 400: 'Bad Request', 405: 'Method Not Allowed', 426: 'Upgrade Required' };
const noop = (): void => {};
const random = (bytes: Uint8Array): void => void crypto.getRandomValues(bytes);

/** Server role: reads the request head, answers it, and returns the open connection (undefined after a refusal). */
export async function acceptWebSocket(streams: ByteStreams, options: ServerOptions = {}): Promise<StreamWebSocket | undefined> {
  const reader = streams.readable.getReader();
  const writer = streams.writable.getWriter();
  const head = await readHead(reader);
  if (head === undefined) {
    void reader.cancel().catch(noop);
    void writer.abort().catch(noop);
    return undefined;
  }
  // The codec checks the headers; the method and the HTTP version are the adapter's to check.
  const result = head.lines[0]!.startsWith('GET ')
    ? upgrade(head.headers, { selectProtocol: options.selectProtocol, extensions: options.extensions })
    : {
        ok: false as const,
        status: 405,
        reason: 'a WebSocket handshake is a GET',
        headers: [['Allow', 'GET']] as [string, string][],
      };
  if (!result.ok) {
    const body = new TextEncoder().encode(`${result.reason}\n`);
    const status = `HTTP/1.1 ${result.status} ${STATUS_TEXT[result.status] ?? 'Error'}`;
    void writer
      .write(encodeHead(status, [...result.headers, ['Connection', 'close'], ['Content-Length', String(body.length)]]))
      .catch(noop);
    void writer.write(body).catch(noop);
    void writer.close().catch(noop);
    void reader.cancel().catch(noop);
    return undefined;
  }
  void writer.write(encodeHead('HTTP/1.1 101 Switching Protocols', result.headers)).catch(noop);
  return new StreamWebSocket(reader, writer, 'server', result.protocol, result.extensions, head.rest, options);
}

/** Client role: sends the request, checks the answer (throws HandshakeError), returns the open connection. */
export async function connectWebSocket(
  streams: ByteStreams,
  target: { host: string; path: string },
  options: ClientOptions = {},
): Promise<StreamWebSocket> {
  const reader = streams.readable.getReader();
  const writer = streams.writable.getWriter();
  try {
    const handshake = createClientHandshake({ ...target, protocols: options.protocols, extensions: options.extensions, random });
    void writer.write(encodeHead(`GET ${target.path} HTTP/1.1`, handshake.headers)).catch(noop);
    const head = await readHead(reader);
    if (head === undefined) throw new Error('the server closed the connection before answering');
    const status = Number(head.lines[0]!.split(' ')[1]);
    const { protocol, extensions } = acceptClientHandshake(handshake, status, head.headers);
    return new StreamWebSocket(reader, writer, 'client', protocol, extensions, head.rest, options);
  } catch (error) {
    void reader.cancel().catch(noop);
    void writer.abort().catch(noop);
    throw error;
  }
}

/** One open WebSocket connection over a stream pair. */
export class StreamWebSocket {
  /** Called with every message; text is already validated UTF-8. */
  onmessage: ((data: Uint8Array, binary: boolean) => void) | undefined;
  /** Settles once, when the transport is gone. */
  readonly closed: Promise<CloseInfo>;
  /** Payload bytes accepted by `send` and not yet written. */
  bufferedAmount = 0;

  private readonly codec: Connection;
  private readonly closeTimeout: number;
  private readonly maxBufferedAmount: number;
  private resolveClosed!: (info: CloseInfo) => void;
  private closeTimer: ReturnType<typeof setTimeout> | undefined;
  private heartbeat: ReturnType<typeof setInterval> | undefined;
  private alive = true;
  private peerClose: { code: number; reason: string } | undefined;
  private error: Error | undefined;
  private finished = false;
  private userPaused = false;
  private wakeReader: (() => void) | undefined;

  constructor(
    private readonly reader: ByteReader,
    private readonly writer: ByteWriter,
    readonly role: 'server' | 'client',
    readonly protocol: string | undefined,
    extensions: readonly Extension[],
    head: Uint8Array,
    options: AdapterOptions,
  ) {
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
    this.closeTimeout = options.closeTimeout ?? 10_000;
    this.maxBufferedAmount = options.maxBufferedAmount ?? 16 * 1024 * 1024;
    this.codec = new Connection({
      role,
      extensions,
      maxMessageSize: options.maxMessageSize,
      random: role === 'client' ? random : undefined,
      onWrite: (chunks, done) => this.write(chunks, done),
      onEvent: (event) => this.onEvent(event),
    });
    const interval = options.heartbeatInterval ?? 0;
    if (interval > 0) this.heartbeat = setInterval(() => this.beat(), interval);
    void this.readLoop(head);
  }

  /** Sends a message (a string as text). Resolves once written: await it for backpressure. */
  send(data: string | Uint8Array): Promise<void> {
    if (this.finished || this.codec.state !== 'open') return Promise.reject(new Error('the connection is not open'));
    const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
    const size = bytes.length;
    if (this.bufferedAmount > 0 && this.bufferedAmount + size > this.maxBufferedAmount) {
      this.abort(new Error('the peer is not reading'));
      return Promise.reject(this.error);
    }
    this.bufferedAmount += size;
    return new Promise((resolve, reject) => {
      // A Uint8Array is written as it is (server role): do not modify it before this settles.
      this.codec.send(bytes, typeof data !== 'string', (error) => {
        this.bufferedAmount -= size;
        if (error) reject(error);
        else resolve();
      });
    });
  }

  /** Starts the closing handshake; the transport is aborted if the peer does not finish it in time. */
  close(code?: number, reason?: string): void {
    if (this.finished || this.codec.state !== 'open') return;
    this.codec.close(code, reason);
    this.armCloseTimer();
  }

  /** Stops reading (the peer is slowed down by TCP) until `resume()`. */
  pause(): void {
    this.userPaused = true;
  }

  resume(): void {
    this.userPaused = false;
    this.updateFlow();
  }

  // ---- transport -> codec ----------------------------------------------------------------------

  private async readLoop(head: Uint8Array): Promise<void> {
    try {
      if (head.length > 0) this.onBytes(head);
      for (;;) {
        while (this.mustPause() && !this.finished) await new Promise<void>((wake) => (this.wakeReader = wake));
        const { done, value } = await this.reader.read();
        if (done || this.finished) break;
        // The codec takes ownership of `value` (it unmasks in place): never reuse a buffer passed to it.
        if (value !== undefined && value.length > 0) this.onBytes(value);
      }
    } catch (error) {
      this.error ??= error instanceof Error ? error : new Error(String(error));
    }
    this.transportEnded();
  }

  private onBytes(bytes: Uint8Array): void {
    this.alive = true;
    this.codec.receive(bytes);
  }

  private onEvent(event: ConnectionEvent): void {
    switch (event.type) {
      case 'message':
        this.onmessage?.(event.data, event.binary);
        break;
      case 'close':
        // The peer's close; our reply is already written (or queued behind a message being encoded).
        this.peerClose = { code: event.code, reason: event.reason };
        this.armCloseTimer();
        break;
      case 'fail':
        // Our close frame with the error's code is written: flush it, end our side, wait for the peer's.
        this.error ??= event.error;
        void this.writer.close().catch(noop);
        this.armCloseTimer();
        break;
      case 'closed':
        // Both close frames exchanged. The server closes TCP first; the client waits for it (timer armed).
        if (this.role === 'server') void this.writer.close().catch(noop);
        this.armCloseTimer();
        break;
      // 'ping' needs nothing: the codec has already written the pong.
    }
    this.updateFlow();
  }

  /** Stop reading while the application paused us or an async decode holds too much. */
  private mustPause(): boolean {
    return this.userPaused || this.codec.bufferedIncoming > MAX_BUFFERED_INCOMING;
  }

  private updateFlow(): void {
    if (this.mustPause() || this.wakeReader === undefined) return;
    const wake = this.wakeReader;
    this.wakeReader = undefined;
    wake();
  }

  // ---- codec -> transport ----------------------------------------------------------------------

  private write(chunks: Uint8Array[], done?: (error?: Error) => void): void {
    if (this.finished) {
      done?.(new Error('the transport is closed'));
      return;
    }
    // Chunks are written in order, header and payload separately; `done` follows the last one.
    let last: Promise<void> = Promise.resolve();
    for (const chunk of chunks) {
      last = this.writer.write(chunk);
      last.catch(noop);
    }
    if (done !== undefined)
      last.then(
        () => done(),
        (error: unknown) => done(error instanceof Error ? error : new Error(String(error))),
      );
  }

  // ---- timers and the end ----------------------------------------------------------------------

  private beat(): void {
    if (!this.alive) {
      this.abort(new Error('no traffic from the peer within a heartbeat interval'));
      return;
    }
    this.alive = false;
    this.codec.ping();
  }

  private armCloseTimer(): void {
    if (this.closeTimer !== undefined || this.finished) return;
    this.closeTimer = setTimeout(() => this.abort(new Error('the closing handshake timed out')), this.closeTimeout);
  }

  /** Drops the transport without a closing handshake. */
  private abort(error: Error): void {
    this.error ??= error;
    void this.writer.abort(error).catch(noop);
    void this.reader.cancel(error).catch(noop);
    this.transportEnded();
  }

  /** The transport is gone (end of input, error or abort): report once, release everything. */
  private transportEnded(): void {
    if (this.finished) return;
    this.finished = true;
    clearTimeout(this.closeTimer);
    clearInterval(this.heartbeat);
    this.wakeReader?.();
    const wasClean = this.error === undefined && this.peerClose !== undefined && this.codec.state === 'closed';
    // The codec releases its extensions and fails sends still queued behind an async encode.
    this.codec.destroy();
    // The peer ended its side: end ours (a no-op when it is already closed or aborted).
    void this.writer.close().catch(noop);
    const info: CloseInfo = { code: this.peerClose?.code ?? 1006, reason: this.peerClose?.reason ?? '', wasClean };
    if (this.error !== undefined) info.error = this.error;
    this.resolveClosed(info);
  }
}

// ---- HTTP head ---------------------------------------------------------------------------------

/** Reads up to the blank line ending an HTTP head; `rest` is what followed it (the first frames). */
async function readHead(
  reader: ByteReader,
): Promise<{ lines: string[]; headers: [string, string][]; rest: Uint8Array } | undefined> {
  let buffered = new Uint8Array(0);
  for (;;) {
    const end = blankLine(buffered);
    if (end >= 0) {
      const lines = String.fromCharCode(...buffered.subarray(0, end)).split('\r\n');
      const headers = lines.slice(1).map((line): [string, string] => {
        const colon = line.indexOf(':');
        return [line.slice(0, colon).trim(), line.slice(colon + 1).trim()];
      });
      return { lines, headers, rest: buffered.subarray(end + 4) };
    }
    if (buffered.length > MAX_HEAD_BYTES) return undefined;
    const { done, value } = await reader.read();
    if (done) return undefined;
    if (value === undefined) continue;
    const joined = new Uint8Array(buffered.length + value.length);
    joined.set(buffered);
    joined.set(value, buffered.length);
    buffered = joined;
  }
}

function blankLine(bytes: Uint8Array): number {
  for (let i = 0; i + 3 < bytes.length; i++) {
    if (bytes[i] === 13 && bytes[i + 1] === 10 && bytes[i + 2] === 13 && bytes[i + 3] === 10) return i;
  }
  return -1;
}

function encodeHead(startLine: string, headers: readonly (readonly [string, string])[]): Uint8Array {
  return new TextEncoder().encode(`${startLine}\r\n${headers.map(([name, value]) => `${name}: ${value}\r\n`).join('')}\r\n`);
}
