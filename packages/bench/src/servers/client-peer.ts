/**
 * The peers of the client rows: a raw `net` server with no WebSocket library, so that in those rows
 * the client is the only WebSocket code running and the peer costs next to nothing. The upgrade is done
 * by hand; then, by request path:
 *
 * - `/firehose?size=N&count=N`: writes `count` binary messages of `size` bytes as pre-built unmasked
 *   frames, many to a write, whenever the socket has drained (so never more than one batch beyond the
 *   socket's buffer), then a close frame (1000, `sent <count>`). A close frame from the client stops it
 *   at once: it answers with a close frame (1000) and ends the socket.
 * - `/sink`: reads and discards everything, walking frame headers only (payloads are never unmasked) to
 *   count the client's messages and payload bytes; it answers the client's close frame with close 1000
 *   and the reason `received <messages> <bytes>`, so the client learns what arrived. An unmasked frame or
 *   a reserved opcode is answered with close 1002.
 *
 * Neither answers pings (no contender pings within a job), checks UTF-8 or negotiates an extension or
 * subprotocol.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { FrameWalker } from '../wire/frame-walker.js';
import { acceptUpgrade, readUpgradeHead, refuseUpgrade } from './raw-upgrade.js';
import { buildFrame, OPCODE_BINARY } from '../wire/frames.js';

/** Bytes of frames per write: enough small frames per system call that the peer's cost stays negligible. */
const BATCH_BYTES = 64 * 1024;
/** Largest message the firehose builds (the rows go up to 64 KiB). */
export const MAX_FIREHOSE_SIZE = 16 * 1024 * 1024;
const OPCODE_CLOSE = 0x8;

export const FIREHOSE_PATH = '/firehose';
export const SINK_PATH = '/sink';

/** The URL a client opens to receive `count` messages of `size` bytes. */
export function firehoseUrl(port: number, size: number, count: number): string {
  return `ws://127.0.0.1:${port}${FIREHOSE_PATH}?size=${size}&count=${count}`;
}

/** The URL a client opens to send into the sink. */
export function sinkUrl(port: number): string {
  return `ws://127.0.0.1:${port}${SINK_PATH}`;
}

/** The sink's close reason, `received <messages> <bytes>`, read back; undefined for anything else. */
export function parseSinkReason(reason: string): { messages: number; bytes: number } | undefined {
  const m = /^received (\d+) (\d+)$/.exec(reason);
  return m ? { messages: Number(m[1]), bytes: Number(m[2]) } : undefined;
}

/** A server's close frame (unmasked): the code, then the reason in UTF-8. */
export function closeFrame(code: number, reason: string): Buffer {
  const text = Buffer.from(reason, 'utf8');
  const payload = Buffer.allocUnsafe(2 + text.length);
  payload.writeUInt16BE(code, 0);
  text.copy(payload, 2);
  return buildFrame(payload, { opcode: OPCODE_CLOSE });
}

/** One write's worth of identical binary frames of `size`-byte messages, and how many it holds. */
function batchOf(size: number): { batch: Buffer; frameBytes: number; perBatch: number } {
  const payload = Buffer.alloc(size);
  for (let i = 0; i < size; i++) payload[i] = (i * 31 + 7) & 0xff;
  const frame = buildFrame(payload, { opcode: OPCODE_BINARY });
  const perBatch = Math.max(1, Math.floor(BATCH_BYTES / frame.length));
  const batch = Buffer.allocUnsafe(frame.length * perBatch);
  for (let i = 0; i < perBatch; i++) frame.copy(batch, i * frame.length);
  return { batch, frameBytes: frame.length, perBatch };
}

/** Batches already built, by message size: every firehose connection of one size shares its batch. */
const batches = new Map<number, ReturnType<typeof batchOf>>();

class Firehose {
  private sent = 0;
  private stopped = false;
  private readonly batch: Buffer;
  private readonly frameBytes: number;
  private readonly perBatch: number;

  constructor(
    private readonly socket: Socket,
    size: number,
    private readonly count: number,
  ) {
    let built = batches.get(size);
    if (built === undefined) batches.set(size, (built = batchOf(size)));
    this.batch = built.batch;
    this.frameBytes = built.frameBytes;
    this.perBatch = built.perBatch;
  }

  /** Writes batches until the socket's buffer is full (then again on 'drain') or the count is reached. */
  readonly pump = (): void => {
    const socket = this.socket;
    while (!this.stopped && !socket.destroyed) {
      if (this.sent >= this.count) {
        this.stopped = true;
        socket.write(closeFrame(1000, `sent ${this.count}`));
        return;
      }
      const n = Math.min(this.perBatch, this.count - this.sent);
      this.sent += n;
      const room = socket.write(n === this.perBatch ? this.batch : this.batch.subarray(0, n * this.frameBytes));
      if (!room) {
        socket.once('drain', this.pump);
        return;
      }
    }
  };

  readonly onHeader = (first: number): void => {
    if ((first & 0x0f) !== OPCODE_CLOSE) return; // the client's data, if any, is ignored
    const closedFirst = !this.stopped;
    this.stopped = true;
    if (closedFirst) this.socket.write(closeFrame(1000, ''));
    this.socket.end();
  };
}

class Sink {
  private messages = 0;
  private bytes = 0;
  private done = false;

  constructor(private readonly socket: Socket) {}

  readonly onHeader = (first: number, second: number, length: number): void => {
    if (this.done) return;
    const opcode = first & 0x0f;
    if ((second & 0x80) === 0) this.finish(1002, 'unmasked frame');
    else if (opcode === OPCODE_CLOSE) this.finish(1000, `received ${this.messages} ${this.bytes}`);
    else if (opcode <= 0x2) {
      this.bytes += length;
      if (first & 0x80) this.messages++;
    } else if (opcode !== 0x9 && opcode !== 0xa) {
      this.finish(1002, `reserved opcode ${opcode}`);
    }
  };

  private finish(code: number, reason: string): void {
    this.done = true;
    this.socket.end(closeFrame(code, reason));
  }
}

/** What a request asks for: the firehose's size and count, or the sink; an HTTP status when neither. */
function route(target: string): { size: number; count: number } | 'sink' | string {
  const url = new URL(target, 'http://peer');
  if (url.pathname === SINK_PATH) return 'sink';
  if (url.pathname !== FIREHOSE_PATH) return '404 Not Found';
  const size = Number(url.searchParams.get('size'));
  const count = Number(url.searchParams.get('count'));
  if (!Number.isInteger(size) || size < 0 || size > MAX_FIREHOSE_SIZE || !Number.isSafeInteger(count) || count < 1) {
    return '400 Bad Request';
  }
  return { size, count };
}

function onConnection(socket: Socket): void {
  socket.setNoDelay(true);
  // A client that resets the connection is not the peer's problem.
  socket.on('error', () => {});
  readUpgradeHead(socket, ({ target, key, rest }) => {
    if (target === undefined || key === undefined) {
      refuseUpgrade(socket, '400 Bad Request');
      return;
    }
    const wanted = route(target);
    if (typeof wanted === 'string' && wanted !== 'sink') {
      refuseUpgrade(socket, wanted);
      return;
    }
    acceptUpgrade(socket, key);
    const peer = wanted === 'sink' ? new Sink(socket) : new Firehose(socket, wanted.size, wanted.count);
    const walker = new FrameWalker(peer.onHeader);
    socket.on('data', (data: Buffer) => walker.push(data));
    if (rest.length > 0) walker.push(rest);
    if (peer instanceof Firehose) peer.pump();
  });
}

/** The peer server (not yet listening). */
export function createClientPeer(): Server {
  return createServer(onConnection);
}
