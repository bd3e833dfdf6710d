/**
 * Incremental frame decoder (RFC 6455 section 5.2). The parser state lives in plain fields so any
 * chunking - one byte per call or many frames per call - yields the same frames. Every header rule that
 * does not depend on message context is enforced here; message sequencing is the Connection's job.
 * @module
 */

import { messageTooBig, protocolViolation } from '../errors.js';
import { applyMaskKey, maskInto } from '../bytes/mask.js';
import { allocateZeroed, EMPTY_BYTES } from '../bytes/buffers.js';
import { Pieces } from '../bytes/pieces.js';

/** Frame opcodes (RFC 6455 section 5.2). */
export const Opcode = {
  CONTINUATION: 0x0,
  TEXT: 0x1,
  BINARY: 0x2,
  CLOSE: 0x8,
  PING: 0x9,
  PONG: 0xa,
} as const;

/** RSV bit values as used in `rsv` arguments (bits 6..4 of the first header byte, shifted down). */
export const RSV1 = 4;
export const RSV2 = 2;
export const RSV3 = 1;

/** Receives decoded frames. Any method may throw a ProtocolError to stop decoding. */
export interface FrameSink {
  /**
   * A complete, validated header; `length` is the payload length. Called before any payload is held.
   * Returning exactly `false` says the sink needs no {@link FrameSink.frameData} calls for this frame: a
   * payload spread over chunks is then kept masked and unmasked while it is joined (one pass fewer).
   * Any other return value (typed `unknown` so existing sinks returning something else still fit) keeps
   * the frameData calls.
   */
  frameStart(fin: boolean, rsv: number, opcode: number, length: number): unknown;
  /** The next piece of the current frame's payload, already unmasked (not called for empty payloads). */
  frameData(chunk: Uint8Array): void;
  /**
   * The whole payload: a subarray of the input when it arrived in one chunk, a view spanning chunks
   * that continue each other in the same memory (slices of one buffer, handed over in order), else an
   * assembled copy.
   */
  frameEnd(payload: Uint8Array): void;
}

/** Options for {@link FrameDecoder}. */
export interface FrameDecoderOptions {
  /** 'server' requires masked frames (from a client); 'client' forbids them. */
  role: 'server' | 'client';
  /** RSV bits a negotiated extension claims (RSV1 = 4); any other bit set is a 1002. Default 0. */
  allowedRsv?: number;
  /** Largest payload accepted, checked from the header (1009). Default: no limit beyond 2^53 - 1. */
  maxPayload?: number;
  /**
   * Allocates the buffer a payload spread over several chunks is assembled in (fully overwritten).
   * Default `new Uint8Array(size)`; Node adapters can pass Node's `allocUnsafe` to skip the zero-fill.
   */
  allocate?: (size: number) => Uint8Array;
}

const HEADER = 0;
const PAYLOAD = 1;
const STOPPED = 2;

/**
 * A payload spread over chunks gets its final buffer up front when its first piece is at least
 * 1/PREALLOCATE_RATIO of it: a peer must send a quarter of what it announces before we allocate it all.
 */
const PREALLOCATE_RATIO = 4;

/** {@link FrameDecoderOptions} with their defaults applied. */
type DecoderConfig = Readonly<Required<FrameDecoderOptions>>;

const configs = new WeakMap<FrameDecoderOptions, DecoderConfig>();

/**
 * The options with their defaults applied. WHY shared: a server's decoders all have the same options,
 * and each field a decoder holds costs every idle connection 8 bytes. A frozen options object cannot
 * change: one that gives every option is used as it is (a Connection's settings make theirs that way),
 * and the resolution of one that leaves some out is kept and reused.
 */
function configOf(options: FrameDecoderOptions): DecoderConfig {
  const frozen = Object.isFrozen(options);
  if (frozen && options.allowedRsv !== undefined && options.maxPayload !== undefined && options.allocate !== undefined) {
    return options as DecoderConfig;
  }
  const known = configs.get(options);
  if (known !== undefined) return known;
  const config: DecoderConfig = {
    role: options.role,
    allowedRsv: options.allowedRsv ?? 0,
    maxPayload: options.maxPayload ?? Number.MAX_SAFE_INTEGER,
    allocate: options.allocate ?? allocateZeroed,
  };
  if (frozen) configs.set(options, config);
  return config;
}

/** Header size implied by the second header byte. */
function headerSize(b1: number): number {
  const len7 = b1 & 0x7f;
  return 2 + (len7 === 126 ? 2 : len7 === 127 ? 8 : 0) + (b1 & 0x80 ? 4 : 0);
}

/**
 * Push-style frame decoder. Server-side unmasking happens in place on the received bytes and payloads
 * are handed out as subarrays, so the caller gives up ownership of each chunk passed to {@link push}.
 */
export class FrameDecoder {
  /** The options, resolved: shared by every decoder made with the same frozen options object. */
  private readonly config: DecoderConfig;

  private state = HEADER;
  /** Header bytes gathered so far when a header straddles chunks (created the first time one does). */
  private header: Uint8Array | undefined = undefined;
  private headerLength = 0;

  // Current frame.
  private masked = false;
  /** The masking key as one big-endian int32 (see maskKey in mask.ts): no per-connection array. */
  private maskKey = 0;
  private payloadLength = 0;
  /** Whether the sink wants frameData for the current frame (see FrameSink.frameStart). */
  private wantData = true;
  /** Payload bytes of the current frame consumed so far. */
  private received = 0;
  /**
   * A payload spread over several chunks (see Pieces: memory follows the bytes actually received);
   * created the first time a payload straddles chunks.
   */
  private parts: Pieces | undefined = undefined;
  /** The payload's final buffer when it is assembled in place (see PREALLOCATE_RATIO). */
  private target: Uint8Array | undefined = undefined;
  /**
   * The payload so far, as a view of the input, while it is one run of memory: its first piece ended
   * its chunk but not the memory under it. WHY: an adapter that cuts one read into slices (the Node adapter does, to bound what one
   * turn delivers) hands over chunks that continue each other in the same buffer; a frame across a cut
   * is then widened to a view of both instead of assembled in a copy. A piece from elsewhere (the next
   * read) ends it: it is then kept like any first piece (see `store`). One view at a time: it pins at
   * most one chunk beyond the bytes received.
   */
  private held: Uint8Array | undefined = undefined;

  /** A frozen `options` object is resolved once for every decoder made with it (see {@link configOf}). */
  constructor(options: FrameDecoderOptions) {
    this.config = configOf(options);
  }

  /** Stops decoding: later input, and the rest of the current chunk, are ignored. */
  stop(): void {
    this.state = STOPPED;
    this.parts?.reset();
    this.target = undefined;
    this.held = undefined;
  }

  /** Whether {@link stop} was called or a protocol error ended decoding. */
  get stopped(): boolean {
    return this.state === STOPPED;
  }

  /** True between the first byte of a frame and the end of its payload. */
  get midFrame(): boolean {
    return this.state === PAYLOAD || this.headerLength > 0;
  }

  /** Bytes of a partially received frame held by the decoder. */
  get bufferedBytes(): number {
    if (this.state !== PAYLOAD) return this.headerLength;
    // An assembled-in-place payload holds its whole buffer already.
    return this.target !== undefined ? this.payloadLength : this.received;
  }

  /**
   * Decodes `chunk`, calling `sink` for every frame event. Throws the ProtocolError of the first violation
   * (or whatever the sink throws); the decoder is stopped afterwards.
   */
  push(chunk: Uint8Array, sink: FrameSink): void {
    try {
      this.run(chunk, sink);
    } catch (error) {
      this.stop();
      throw error;
    }
  }

  private run(chunk: Uint8Array, sink: FrameSink): void {
    const length = chunk.length;
    let pos = 0;
    while (pos < length) {
      const state = this.state;
      if (state === HEADER) {
        if (this.headerLength === 0 && length - pos >= 2) {
          // Fast path: the whole header is in this chunk.
          const b0 = chunk[pos]!;
          const b1 = chunk[pos + 1]!;
          this.checkFirstBytes(b0, b1);
          const size = headerSize(b1);
          if (length - pos >= size) {
            this.parseHeader(chunk, pos, sink);
            pos += size;
            continue;
          }
        }
        // Slow path: gather the header byte by byte across chunks.
        const gathered = (this.header ??= new Uint8Array(14));
        gathered[this.headerLength++] = chunk[pos++]!;
        if (this.headerLength === 1) {
          this.checkFirstByte(gathered[0]!); // opcode and RSV rules need only the first byte
          continue;
        }
        if (this.headerLength === 2) this.checkFirstBytes(gathered[0]!, gathered[1]!);
        if (this.headerLength === headerSize(gathered[1]!)) {
          this.headerLength = 0;
          this.parseHeader(gathered, 0, sink);
        }
        continue;
      }
      if (state !== PAYLOAD) return; // stopped, possibly by the sink during this chunk

      const remaining = this.payloadLength - this.received;
      const available = length - pos;
      if (this.received === 0 && available >= remaining) {
        // The whole payload is inside this chunk: hand out a subarray, no copy.
        const payload = chunk.subarray(pos, pos + remaining);
        pos += remaining;
        if (this.masked) applyMaskKey(payload, this.maskKey, 0);
        this.state = HEADER;
        if (this.wantData) sink.frameData(payload);
        sink.frameEnd(payload);
        continue;
      }
      const take = Math.min(available, remaining);
      const part = chunk.subarray(pos, pos + take);
      pos += take;
      const at = this.received;
      this.received = at + take;
      // Unmask now only when the sink looks at the pieces; otherwise once, while copying or at the end.
      const deferUnmask = this.masked && !this.wantData;
      if (this.masked && !deferUnmask) applyMaskKey(part, this.maskKey, at);
      if (this.wantData) sink.frameData(part);
      const held = this.held;
      if (held !== undefined) {
        if (part.buffer === held.buffer && part.byteOffset === held.byteOffset + held.length) {
          // The next piece starts where the held one ends, in the same memory: the caller cut one read
          // into slices. Widen the view instead of copying.
          const joined = new Uint8Array(held.buffer, held.byteOffset, held.length + take);
          if (this.received < this.payloadLength) {
            this.held = joined;
            continue;
          }
          this.held = undefined;
          if (deferUnmask) applyMaskKey(joined, this.maskKey, 0);
          this.state = HEADER;
          sink.frameEnd(joined);
          continue;
        }
        this.held = undefined;
        this.store(held, 0);
      } else if (at === 0 && part.byteOffset + take < part.buffer.byteLength) {
        // A first piece that ends its chunk but not its memory: held as a view until the next piece
        // shows whether it continues there (see `held`). A piece at the end of its memory cannot be
        // continued in it (a whole socket read, say): it is stored at once, while still in cache.
        this.held = part;
        continue;
      }
      this.store(part, at);
      if (this.received === this.payloadLength) {
        const target = this.target;
        let payload: Uint8Array;
        if (target !== undefined) {
          this.target = undefined;
          payload = target;
        } else {
          payload = deferUnmask ? this.parts!.joinUnmasking(this.maskKey) : this.parts!.join();
        }
        this.state = HEADER;
        sink.frameEnd(payload);
      }
    }
  }

  /**
   * Keeps `part`, the payload's bytes from `at` on, until the payload is complete: copied into the
   * payload's final buffer, or among the pieces joined at the end. It is still masked exactly when the
   * unmasking is deferred (the sink wants no frameData).
   */
  private store(part: Uint8Array, at: number): void {
    if (this.target !== undefined || (at === 0 && !this.wantData && part.length * PREALLOCATE_RATIO >= this.payloadLength)) {
      // At least a quarter of the payload is here: assemble straight into its final buffer, unmasking
      // while copying, as each piece arrives (still in cache), with no join pass at the end. Every read
      // buffer is released at once instead of being held until the last piece. The ratio bounds what
      // a peer can make us allocate ahead of the bytes it actually sent.
      const target = (this.target ??= this.config.allocate(this.payloadLength));
      if (this.masked) maskInto(part, target, at, this.maskKey, at);
      else target.set(part, at);
      return;
    }
    (this.parts ??= new Pieces(this.config.allocate)).push(part, this.payloadLength - at);
  }

  /** Rules decidable from the first byte alone: opcode, FIN on control frames, RSV bits. */
  private checkFirstByte(b0: number): void {
    const rsv = (b0 >> 4) & 7;
    const opcode = b0 & 0x0f;
    if ((opcode >= 3 && opcode <= 7) || opcode >= 0xb) {
      throw protocolViolation(`Reserved opcode 0x${opcode.toString(16)}`);
    }
    if (opcode >= 8) {
      if ((b0 & 0x80) === 0) throw protocolViolation('Fragmented control frame');
      if (rsv !== 0) throw protocolViolation('RSV bits set on a control frame');
    } else if ((rsv & ~this.config.allowedRsv) !== 0) {
      throw protocolViolation(`RSV bits 0x${rsv.toString(16)} set without a negotiated extension`);
    }
  }

  /** Rules decidable from the first two bytes, checked as soon as they arrive. */
  private checkFirstBytes(b0: number, b1: number): void {
    this.checkFirstByte(b0);
    if ((b0 & 0x0f) >= 8 && (b1 & 0x7f) > 125) throw protocolViolation('Control frame payload longer than 125 bytes');
    if ((b1 & 0x80) === 0) {
      if (this.config.role === 'server') throw protocolViolation('Unmasked frame from a client');
    } else if (this.config.role !== 'server') {
      throw protocolViolation('Masked frame from a server');
    }
  }

  private parseHeader(bytes: Uint8Array, at: number, sink: FrameSink): void {
    const b0 = bytes[at]!;
    const b1 = bytes[at + 1]!;
    let length = b1 & 0x7f;
    let next = at + 2;
    if (length === 126) {
      length = (bytes[at + 2]! << 8) | bytes[at + 3]!;
      next += 2;
    } else if (length === 127) {
      const high = ((bytes[at + 2]! << 24) | (bytes[at + 3]! << 16) | (bytes[at + 4]! << 8) | bytes[at + 5]!) >>> 0;
      const low = ((bytes[at + 6]! << 24) | (bytes[at + 7]! << 16) | (bytes[at + 8]! << 8) | bytes[at + 9]!) >>> 0;
      if (high >= 0x80000000) throw protocolViolation('64-bit payload length with the most significant bit set');
      // Beyond 2^53 a length cannot be represented exactly, and no limit allows it anyway.
      if (high >= 0x200000) throw messageTooBig('Frame payload length too large');
      length = high * 0x100000000 + low;
      next += 8;
    }
    if (length > this.config.maxPayload)
      throw messageTooBig(`Frame payload of ${length} bytes exceeds the ${this.config.maxPayload}-byte limit`);
    this.masked = (b1 & 0x80) !== 0;
    if (this.masked) this.maskKey = (bytes[next]! << 24) | (bytes[next + 1]! << 16) | (bytes[next + 2]! << 8) | bytes[next + 3]!;
    this.payloadLength = length;
    this.received = 0;
    this.wantData = sink.frameStart((b0 & 0x80) !== 0, (b0 >> 4) & 7, b0 & 0x0f, length) !== false;
    if (this.state === STOPPED) return;
    if (length === 0) {
      sink.frameEnd(EMPTY_BYTES);
    } else {
      this.state = PAYLOAD;
    }
  }
}
