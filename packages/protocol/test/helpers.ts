/**
 * Test helpers written independently of src/: a byte-level frame builder following RFC 6455 section 5.2
 * directly, and a harness that runs a Connection over fixed input and records what it emits and writes.
 */
import { Connection, type ConnectionEvent, type ConnectionOptions, FrameDecoder } from '../src/index.js';

export interface FrameSpec {
  opcode: number;
  payload?: Uint8Array | string | number[];
  fin?: boolean;
  /** The three RSV bits as a number 0-7 (RSV1 = 4). */
  rsv?: number;
  /** Masking key; `null` sends the frame unmasked. Default: a fixed non-trivial key. */
  mask?: number[] | null;
}

const MASK = [0x37, 0xfa, 0x21, 0x3d];

export function bytes(payload: Uint8Array | string | number[] | undefined): Uint8Array {
  if (payload === undefined) return new Uint8Array(0);
  if (typeof payload === 'string') return new TextEncoder().encode(payload);
  return payload instanceof Uint8Array ? payload : Uint8Array.from(payload);
}

/** Builds one frame byte by byte from the RFC's layout. */
export function frame(spec: FrameSpec): Uint8Array {
  const payload = bytes(spec.payload);
  const mask = spec.mask === undefined ? MASK : spec.mask;
  const length = payload.length;
  const head: number[] = [((spec.fin ?? true) ? 0x80 : 0) | ((spec.rsv ?? 0) << 4) | spec.opcode];
  const maskBit = mask ? 0x80 : 0;
  if (length < 126) head.push(maskBit | length);
  else if (length < 65536) head.push(maskBit | 126, length >> 8, length & 255);
  else {
    head.push(maskBit | 127, 0, 0, 0, 0);
    head.push((length >>> 24) & 255, (length >>> 16) & 255, (length >>> 8) & 255, length & 255);
  }
  if (mask) head.push(...mask);
  const out = new Uint8Array(head.length + length);
  out.set(head);
  for (let i = 0; i < length; i++) out[head.length + i] = payload[i]! ^ (mask ? mask[i % 4]! : 0);
  return out;
}

export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

export function hex(data: Uint8Array): string {
  return Buffer.from(data).toString('hex');
}

/** A compact, comparable description of an event. */
export function describeEvent(event: ConnectionEvent): string {
  switch (event.type) {
    case 'message':
      return event.binary ? `binary:${hex(event.data)}` : `text:${new TextDecoder().decode(event.data)}`;
    case 'ping':
    case 'pong':
      return `${event.type}:${hex(event.data)}`;
    case 'close':
      return `close:${event.code}:${event.reason}`;
    case 'fail':
      return `fail:${event.error.code}`;
    case 'closed':
      return 'closed';
  }
}

/** Decodes frames a connection wrote, as `opcode:hex` (close frames as `close:code`). */
export function describeWritten(written: Uint8Array, writerRole: 'server' | 'client'): string[] {
  const out: string[] = [];
  const decoder = new FrameDecoder({ role: writerRole === 'server' ? 'client' : 'server', allowedRsv: 7 });
  let opcode = 0;
  decoder.push(written.slice(), {
    frameStart: (_fin, _rsv, op) => {
      opcode = op;
    },
    frameData: () => {},
    frameEnd: (payload) => {
      if (opcode === 8) out.push(payload.length >= 2 ? `close:${(payload[0]! << 8) | payload[1]!}` : 'close');
      else out.push(`${['cont', 'text', 'binary'][opcode] ?? (opcode === 9 ? 'ping' : 'pong')}:${hex(payload)}`);
    },
  });
  return out;
}

export interface RunResult {
  events: string[];
  written: string[];
  raw: ConnectionEvent[];
  connection: Connection;
}

/** Feeds `input` to a fresh connection split into chunks of `chunkSize` bytes (0: one chunk). */
export function run(
  input: Uint8Array,
  options: { role?: 'server' | 'client'; chunkSize?: number } & Partial<ConnectionOptions> = {},
): RunResult {
  const role = options.role ?? 'server';
  const writes: Uint8Array[] = [];
  const raw: ConnectionEvent[] = [];
  const connection = new Connection({
    random: (b) => b.fill(9),
    ...options,
    role,
    onWrite: (chunks, done) => {
      for (const chunk of chunks) writes.push(chunk.slice());
      done?.();
    },
    onEvent: (event) => {
      raw.push(event);
    },
  });
  const data = input.slice();
  const size = options.chunkSize && options.chunkSize > 0 ? options.chunkSize : data.length || 1;
  for (let i = 0; i < data.length; i += size) connection.receive(data.subarray(i, i + size));
  return { events: raw.map(describeEvent), written: describeWritten(concatBytes(writes), role), raw, connection };
}

/** The RFC 6455 section 1.3 sample opening request as lower-cased headers, plus or over `extra`. */
export function upgradeRequest<V extends string | string[] = string>(extra: Record<string, V> = {}): Record<string, string | V> {
  return {
    host: 'example.com',
    upgrade: 'websocket',
    connection: 'Upgrade',
    'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
    'sec-websocket-version': '13',
    ...extra,
  };
}
