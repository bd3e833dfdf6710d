/**
 * The Node floor: a deliberately trivial echo on a raw `net` server, with no WebSocket library, so the
 * echo rows can say how far each contender is from the cost of Node's own I/O. With `--fanout` it is
 * the fan-out rows' floor instead (see fanout-server.ts for the contract): the connection on `/pub`
 * publishes, every other one subscribes, and each read of the publisher's, turned into server frames
 * as below, is written once to every subscriber. Per read it walks the
 * frame headers, unmasks the payload in place, turns each client frame into the server frame in the same
 * buffer (the server header is the client header minus its 4-byte mask key, so it fits where the key
 * was) and answers with one `write` of the result. `node node-floor.js --port 0`; prints
 * `listening on ws://127.0.0.1:N` like the other servers.
 *
 * Correct for the load generators' traffic (masked frames of any length up to 2^53, binary or text,
 * split across reads anywhere, several per read) and no more. What it skips, on purpose:
 * - validation: no UTF-8 check of text, no check of RSV bits, opcodes or control-frame sizes, no limit
 *   on payload length; an unmasked client frame drops the connection, an upgrade without a key gets 400;
 * - messages: frames are echoed one by one with their own FIN bit and opcode, so a fragmented message
 *   comes back fragmented, and a ping comes back as a ping (not a pong);
 * - closing: a close frame is echoed like any frame, then the socket is ended; no close codes;
 * - extensions and subprotocols: none negotiated (it never joins the deflate rows);
 * - backpressure: replies are written whatever `write` returns (the generators bound what is in flight).
 */
import { createServer, type Socket } from 'node:net';
import { endianness } from 'node:os';
import { acceptUpgrade, readUpgradeHead, refuseUpgrade } from './raw-upgrade.js';
import { announceListening, exitOnSignals, hasFlag, numberFlag, portOf } from './server-cli.js';

if (endianness() !== 'LE') {
  // The word-wise unmask below builds its 32-bit key for a little-endian machine.
  process.stderr.write('node-floor: little-endian machines only\n');
  process.exit(2);
}

/**
 * XORs buf[start, end) with the 4-byte key, where `phase` is the key index of the byte at `start`.
 * Bytes up to a 4-byte boundary one at a time, then 32-bit words: a plain loop a program without a
 * library would write, not a tuned kernel (large payloads are still dominated by it).
 */
function unmask(buf: Buffer, start: number, end: number, key: Uint8Array, phase: number): void {
  let i = start;
  let k = phase;
  while (i < end && (buf.byteOffset + i) & 3) {
    buf[i++]! ^= key[k]!;
    k = (k + 1) & 3;
  }
  const words = (end - i) >> 2;
  if (words > 0) {
    const word = key[k]! | (key[(k + 1) & 3]! << 8) | (key[(k + 2) & 3]! << 16) | (key[(k + 3) & 3]! << 24);
    const view = new Int32Array(buf.buffer, buf.byteOffset + i, words);
    for (let w = 0; w < words; w++) view[w]! ^= word;
    i += words * 4;
  }
  while (i < end) {
    buf[i++]! ^= key[k]!;
    k = (k + 1) & 3;
  }
}

/** Bytes of a server (unmasked) frame header for a payload of this length. */
function serverHeaderLength(length: number): number {
  return length < 126 ? 2 : length < 65536 ? 4 : 10;
}

/** Writes a server frame header ending at `end` (so it sits right before its payload); returns its start. */
function writeHeaderBefore(out: Buffer, end: number, first: number, length: number): number {
  const start = end - serverHeaderLength(length);
  out[start] = first;
  if (length < 126) out[start + 1] = length;
  else if (length < 65536) {
    out[start + 1] = 126;
    out.writeUInt16BE(length, start + 2);
  } else {
    out[start + 1] = 127;
    out.writeUInt32BE(Math.floor(length / 2 ** 32), start + 2);
    out.writeUInt32BE(length >>> 0, start + 6);
  }
  return start;
}

/** The frame parser of one connection: state carried between reads. */
class FloorConnection {
  /** Header bytes of a frame whose header was split across reads. */
  private readonly pending = Buffer.alloc(14);
  private pendingLength = 0;
  private readonly key = new Uint8Array(4);
  /** Payload bytes of the current frame still to come, and how many were unmasked already. */
  private left = 0;
  private done = 0;

  /**
   * `deliver` takes each read's server frames: the socket's own `write` for the echo, every
   * subscriber's for the fan-out publisher.
   */
  constructor(
    private readonly socket: Socket,
    private readonly deliver: (reply: Buffer) => void,
  ) {}

  /** One read: every complete or partial frame in it, answered with a single write. */
  onData(chunk: Buffer): void {
    // Output segments [start, end) inside `chunk`, each a server frame or a piece of a payload.
    const starts: number[] = [];
    const ends: number[] = [];
    let prefix: Buffer | undefined;
    let closing = false;
    let i = 0;
    const n = chunk.length;
    while (i < n) {
      if (this.left > 0) {
        const take = Math.min(this.left, n - i);
        unmask(chunk, i, i + take, this.key, this.done & 3);
        starts.push(i);
        ends.push(i + take);
        i += take;
        this.left -= take;
        this.done += take;
        continue;
      }
      // A new frame header: read in place, or gathered in `pending` when it may be split across reads.
      let head: Buffer;
      let at: number;
      let available: number;
      /** Header bytes that came in earlier reads (then the header starts at offset 0 of this one). */
      let before = 0;
      if (this.pendingLength === 0 && n - i >= 14) {
        head = chunk;
        at = i;
        available = n - i;
      } else {
        before = this.pendingLength;
        const copy = Math.min(14 - before, n - i);
        chunk.copy(this.pending, before, i, i + copy);
        head = this.pending;
        at = 0;
        available = before + copy;
      }
      if (available < 2) {
        this.pendingLength = available;
        break;
      }
      const first = head[at]!;
      const second = head[at + 1]!;
      if ((second & 0x80) === 0) {
        this.socket.destroy();
        return;
      }
      const len7 = second & 0x7f;
      const size = 2 + (len7 === 126 ? 2 : len7 === 127 ? 8 : 0) + 4;
      if (available < size) {
        // Only when the rest of this read was copied: the header continues in the next read.
        this.pendingLength = available;
        break;
      }
      const length =
        len7 < 126
          ? len7
          : len7 === 126
            ? head.readUInt16BE(at + 2)
            : head.readUInt32BE(at + 2) * 2 ** 32 + head.readUInt32BE(at + 6);
      for (let b = 0; b < 4; b++) this.key[b] = head[at + size - 4 + b]!;
      const payloadStart = i + size - before;
      this.pendingLength = 0;
      const take = Math.min(length, n - payloadStart);
      unmask(chunk, payloadStart, payloadStart + take, this.key, 0);
      const outHeader = serverHeaderLength(length);
      if (payloadStart - outHeader >= (ends.length ? ends[ends.length - 1]! : 0)) {
        starts.push(writeHeaderBefore(chunk, payloadStart, first, length));
      } else {
        // The header began in an earlier read and too little of it is here to hold the server header:
        // it goes in front of this read's output (a rare small copy).
        prefix = Buffer.allocUnsafe(outHeader);
        writeHeaderBefore(prefix, outHeader, first, length);
        starts.push(payloadStart);
      }
      ends.push(payloadStart + take);
      i = payloadStart + take;
      this.left = length - take;
      this.done = take;
      if ((first & 0x0f) === 0x8) {
        closing = true;
        break;
      }
    }
    this.flush(chunk, starts, ends, prefix, closing);
  }

  /** Moves the segments together (left, in place) and writes them with one call. */
  private flush(chunk: Buffer, starts: number[], ends: number[], prefix: Buffer | undefined, closing: boolean): void {
    if (starts.length > 0) {
      const start = starts[0]!;
      let end = ends[0]!;
      for (let s = 1; s < starts.length; s++) {
        if (starts[s] !== end) chunk.copyWithin(end, starts[s]!, ends[s]!);
        end += ends[s]! - starts[s]!;
      }
      let reply = chunk.subarray(start, end);
      if (prefix) reply = Buffer.concat([prefix, reply]);
      if (reply.length > 0) this.deliver(reply);
    }
    if (closing) this.socket.end();
  }
}

/** Reads the upgrade request by hand and answers 101; the bytes after the request are the first frames. */
function onConnection(socket: Socket): void {
  socket.setNoDelay(true);
  socket.on('error', () => socket.destroy());
  readUpgradeHead(socket, ({ target, key, rest }) => {
    if (key === undefined) {
      refuseUpgrade(socket, '400 Bad Request');
      return;
    }
    acceptUpgrade(socket, key);
    if (fanout && target !== '/pub') {
      // A fan-out subscriber: sends nothing the floor has to read (its close ends the socket).
      subscribers.add(socket);
      socket.on('close', () => subscribers.delete(socket));
      socket.on('data', () => {});
      return;
    }
    const deliver = fanout ? publish : (reply: Buffer): void => void socket.write(reply);
    const connection = new FloorConnection(socket, deliver);
    socket.on('data', (data: Buffer) => connection.onData(data));
    if (rest.length > 0) connection.onData(rest);
  });
}

/** Fan-out: one write of each publisher read's frames to every subscriber, whatever `write` returns. */
function publish(reply: Buffer): void {
  for (const subscriber of subscribers) subscriber.write(reply);
}

const fanout = hasFlag('--fanout');
const subscribers = new Set<Socket>();
const server = createServer(onConnection);
server.listen(numberFlag('--port', 0), '127.0.0.1', () => announceListening(portOf(server.address())));
exitOnSignals();
