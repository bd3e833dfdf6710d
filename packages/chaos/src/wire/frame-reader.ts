/**
 * Parses what a server sends back: frames, reassembled messages and its close code. Lenient on purpose
 * (a server that sends masked or oversized frames is recorded, not trusted), and bounded: a reply larger
 * than `maxMessage` stops the parse instead of buffering without end in the attacker.
 */

export interface Frame {
  fin: boolean;
  rsv: number;
  opcode: number;
  payload: Buffer;
}

export interface FrameSink {
  /** A complete data message (fragments joined), with the opcode of its first frame. */
  message?(opcode: number, data: Buffer): void;
  ping?(payload: Buffer): void;
  pong?(payload: Buffer): void;
  /** The server's close frame: code 1005 when it carried none. */
  close?(code: number, reason: string): void;
  /** The stream cannot be parsed any further (the reason says why). */
  broken?(reason: string): void;
}

export class FrameReader {
  private buffered: Buffer[] = [];
  private bufferedLength = 0;
  private fragments: Buffer[] = [];
  private fragmentOpcode = -1;
  private fragmentLength = 0;
  private stopped = false;
  /** Frames parsed so far (of every kind). */
  frames = 0;

  constructor(
    private readonly sink: FrameSink,
    private readonly maxMessage = 64 * 1024 * 1024,
  ) {}

  push(chunk: Buffer): void {
    if (this.stopped) return;
    this.buffered.push(chunk);
    this.bufferedLength += chunk.length;
    this.drain();
  }

  private drain(): void {
    while (!this.stopped && this.bufferedLength >= 2) {
      const head = this.peek(Math.min(this.bufferedLength, 14));
      const b0 = head[0]!;
      const b1 = head[1]!;
      const masked = (b1 & 0x80) !== 0;
      let length = b1 & 0x7f;
      let offset = 2;
      if (length === 126) {
        if (head.length < 4) return;
        length = head.readUInt16BE(2);
        offset = 4;
      } else if (length === 127) {
        if (head.length < 10) return;
        const big = head.readBigUInt64BE(2);
        if (big > BigInt(this.maxMessage)) {
          this.stop(`frame of ${big} bytes declared`);
          return;
        }
        length = Number(big);
        offset = 10;
      }
      if (masked) offset += 4;
      if (length > this.maxMessage) {
        this.stop(`frame of ${length} bytes declared`);
        return;
      }
      if (this.bufferedLength < offset + length) return;
      const whole = this.take(offset + length);
      const payload = whole.subarray(offset);
      if (masked) {
        const key = whole.subarray(offset - 4, offset);
        for (let i = 0; i < payload.length; i++) payload[i] = payload[i]! ^ key[i & 3]!;
      }
      this.frames++;
      this.deliver({ fin: (b0 & 0x80) !== 0, rsv: b0 & 0x70, opcode: b0 & 0x0f, payload });
    }
  }

  private deliver(f: Frame): void {
    switch (f.opcode) {
      case 0x8: {
        const code = f.payload.length >= 2 ? f.payload.readUInt16BE(0) : 1005;
        this.sink.close?.(code, f.payload.subarray(2).toString('utf8'));
        return;
      }
      case 0x9:
        this.sink.ping?.(f.payload);
        return;
      case 0xa:
        this.sink.pong?.(f.payload);
        return;
      case 0x0:
        if (this.fragmentOpcode < 0) {
          this.stop('continuation frame without a message');
          return;
        }
        this.fragments.push(f.payload);
        this.fragmentLength += f.payload.length;
        if (this.fragmentLength > this.maxMessage) {
          this.stop('reassembled message too large');
          return;
        }
        if (f.fin) {
          const data = Buffer.concat(this.fragments, this.fragmentLength);
          const opcode = this.fragmentOpcode;
          this.fragments = [];
          this.fragmentLength = 0;
          this.fragmentOpcode = -1;
          this.sink.message?.(opcode, data);
        }
        return;
      case 0x1:
      case 0x2:
        if (this.fragmentOpcode >= 0) {
          this.stop('new message inside a fragmented one');
          return;
        }
        if (f.fin) this.sink.message?.(f.opcode, f.payload);
        else {
          this.fragmentOpcode = f.opcode;
          this.fragments = [f.payload];
          this.fragmentLength = f.payload.length;
        }
        return;
      default:
        this.stop(`reserved opcode ${f.opcode}`);
    }
  }

  private stop(reason: string): void {
    this.stopped = true;
    this.buffered = [];
    this.bufferedLength = 0;
    this.sink.broken?.(reason);
  }

  /** The first `n` buffered bytes as one buffer (copies only when they span chunks). */
  private peek(n: number): Buffer {
    const first = this.buffered[0]!;
    if (first.length >= n) return first.subarray(0, n);
    const parts: Buffer[] = [];
    let have = 0;
    for (const chunk of this.buffered) {
      if (have >= n) break;
      parts.push(chunk);
      have += chunk.length;
    }
    return Buffer.concat(parts, have).subarray(0, n);
  }

  /** Removes and returns the first `n` buffered bytes (a private copy: payloads are unmasked in place). */
  private take(n: number): Buffer {
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const first = this.buffered[0]!;
      const want = n - filled;
      if (first.length <= want) {
        out.set(first, filled);
        filled += first.length;
        this.buffered.shift();
      } else {
        out.set(first.subarray(0, want), filled);
        this.buffered[0] = first.subarray(want);
        filled += want;
      }
    }
    this.bufferedLength -= n;
    return out;
  }
}
