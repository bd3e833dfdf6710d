/**
 * Hand-built RFC 6455 frames for the attackers and the canary. Written here, independently of both servers
 * under test, so that no library smooths over what an attacker sends: every field can be set to a lie.
 */

export const Opcode = {
  continuation: 0x0,
  text: 0x1,
  binary: 0x2,
  close: 0x8,
  ping: 0x9,
  pong: 0xa,
} as const;

export const RSV1 = 0x40;

/** A fixed non-zero masking key: the servers must unmask whatever key they get, so any key tests the same path. */
export const DEFAULT_MASK: Readonly<Buffer> = Buffer.from([0x37, 0xfa, 0x21, 0x3d]);

export interface FrameOptions {
  /** FIN bit. Default true. */
  fin?: boolean;
  /** RSV bits already shifted into place (RSV1 = 0x40, RSV2 = 0x20, RSV3 = 0x10). Default 0. */
  rsv?: number;
  /** Masking key; null sends an unmasked frame (a protocol error from a client). Default DEFAULT_MASK. */
  mask?: Uint8Array | null;
  /**
   * The payload length written in the header, when it must differ from the payload actually appended
   * (a length lie). Up to 2^64 - 1, hence a bigint.
   */
  declaredLength?: bigint;
}

/** Bytes of header a frame with this declared length needs (without the masking key). */
function lengthFieldSize(length: bigint): number {
  if (length < 126n) return 2;
  if (length < 65536n) return 4;
  return 10;
}

/** One frame: header, masking key, then the payload masked with it (payload left untouched). */
export function frame(opcode: number, payload: Uint8Array = Buffer.alloc(0), options: FrameOptions = {}): Buffer {
  const mask = options.mask === undefined ? DEFAULT_MASK : options.mask;
  const declared = options.declaredLength ?? BigInt(payload.length);
  const base = lengthFieldSize(declared);
  const header = base + (mask === null ? 0 : 4);
  const out = Buffer.allocUnsafe(header + payload.length);
  out[0] = ((options.fin ?? true) ? 0x80 : 0) | ((options.rsv ?? 0) & 0x70) | (opcode & 0x0f);
  const maskBit = mask === null ? 0 : 0x80;
  if (base === 2) out[1] = maskBit | Number(declared);
  else if (base === 4) {
    out[1] = maskBit | 126;
    out.writeUInt16BE(Number(declared), 2);
  } else {
    out[1] = maskBit | 127;
    out.writeBigUInt64BE(declared, 2);
  }
  if (mask === null) {
    out.set(payload, header);
  } else {
    out.set(mask.subarray(0, 4), base);
    for (let i = 0; i < payload.length; i++) out[header + i] = payload[i]! ^ mask[i & 3]!;
  }
  return out;
}

/** A close frame with a status code and a reason (client to server, so masked). */
export function closeFrame(code: number, reason = ''): Buffer {
  const text = Buffer.from(reason, 'utf8');
  const payload = Buffer.allocUnsafe(2 + text.length);
  payload.writeUInt16BE(code, 0);
  text.copy(payload, 2);
  return frame(Opcode.close, payload);
}

/** `count` copies of one frame back to back: floods write this block over and over. */
export function repeated(one: Uint8Array, count: number): Buffer {
  const out = Buffer.allocUnsafe(one.length * count);
  for (let i = 0; i < count; i++) out.set(one, i * one.length);
  return out;
}
