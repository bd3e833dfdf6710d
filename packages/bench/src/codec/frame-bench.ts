import { isUtf8 } from 'node:buffer';
import { Receiver, Sender, type SenderSocket } from 'ws';
import type { OurProtocol } from '../ours.js';
import { makeRow, type Row } from '../report/row.js';
import { formatSize, KiB, MiB } from '../report/units.js';
import { asciiPayload, BENCH_MASK, buildFrame, OPCODE_BINARY, prng } from '../wire/frames.js';
import { measure, type Contender, type MeasureOptions, scaledRates } from './measure.js';

/**
 * The hooks the Node adapter (packages/server) gives the codec: unzeroed allocation for buffers the codec
 * fully overwrites, and Node's built-in UTF-8 check for whole messages. WHY here too: the codec rows must
 * measure what our server runs, as the ws rows measure what ws runs.
 */
const NODE_HOOKS = { allocate: (size: number) => Buffer.allocUnsafe(size), validateUtf8: isUtf8 } as const;

/** TCP hands a Node server at most this much per 'data' event on loopback; the decode input is cut the same way. */
const READ_SIZE = 64 * KiB;
/** Each decode iteration feeds at least this much, so small messages are measured many to a batch. */
const MIN_STREAM = 256 * KiB;

export interface FrameBenchOptions {
  sizes: readonly number[];
  rounds: number;
  roundMs: number;
}

/** A masked client stream of whole binary frames of `size`, pre-cut into 64 KiB reads. */
export function decodeInput(size: number): { chunks: Buffer[]; messages: number } {
  const frame = buildFrame(asciiPayload(size), { opcode: OPCODE_BINARY, mask: BENCH_MASK });
  const messages = Math.max(1, Math.ceil(MIN_STREAM / frame.length));
  const stream = Buffer.concat(Array.from({ length: messages }, () => frame));
  const chunks: Buffer[] = [];
  for (let at = 0; at < stream.length; at += READ_SIZE) chunks.push(stream.subarray(at, at + READ_SIZE));
  return { chunks, messages };
}

/** ws's decoding path as a ws server runs it: socket data written into a Receiver (a Writable). */
export function wsDecoder(chunks: readonly Buffer[]): Contender & { received: () => number } {
  let received = 0;
  const receiver = new Receiver({ isServer: true, maxPayload: 0 });
  receiver.on('message', (data: Buffer) => {
    received += data.length;
  });
  receiver.on('error', (error: Error) => {
    throw error;
  });
  return {
    id: 'ws',
    received: () => received,
    run(n) {
      for (let i = 0; i < n; i++) for (const c of chunks) receiver.write(c);
      return received;
    },
  };
}

/** Our decoding path: bytes into a server-role Connection, message events out. */
export function ourDecoder(
  protocol: Pick<OurProtocol, 'Connection'>,
  chunks: readonly Buffer[],
): Contender & { received: () => number } {
  let received = 0;
  let failure: Error | undefined;
  const conn = new protocol.Connection({
    role: 'server',
    maxMessageSize: 2 * MiB,
    ...NODE_HOOKS,
    onWrite: () => {},
    onEvent: (event) => {
      if (event.type === 'message') received += event.data.length;
      else if (event.type === 'fail') failure = event.error;
    },
  });
  return {
    id: 'ours',
    received: () => received,
    run(n) {
      for (let i = 0; i < n; i++) for (const c of chunks) conn.receive(c);
      if (failure) throw failure;
      return received;
    },
  };
}

/** A socket that swallows writes, counting bytes so the encoders' output is consumed. */
function nullSocket(): SenderSocket & { bytes: number } {
  return {
    bytes: 0,
    cork() {},
    uncork() {},
    write(chunk: Buffer | string, cb?: (error?: Error | null) => void) {
      this.bytes += chunk.length;
      cb?.();
      return true;
    },
  };
}

/** Cheap, never-zero masking keys, the same generator for both encoders. */
function maskSource(): (bytes: Uint8Array) => void {
  const rnd = prng(7);
  return (bytes) => {
    for (let i = 0; i < 4; i++) bytes[i] = 1 + Math.floor(rnd() * 255);
  };
}

export function wsEncoder(payload: Buffer, masked: boolean): Contender {
  const socket = nullSocket();
  const gen = maskSource();
  const sender = new Sender(socket, {}, masked ? (m: Buffer) => gen(m) : undefined);
  const options = { binary: true, compress: false, fin: true, mask: masked };
  return {
    id: 'ws',
    run(n) {
      for (let i = 0; i < n; i++) sender.send(payload, options);
      return socket.bytes;
    },
  };
}

export function ourEncoder(protocol: Pick<OurProtocol, 'Connection'>, payload: Buffer, masked: boolean): Contender {
  let bytes = 0;
  const conn = new protocol.Connection({
    role: masked ? 'client' : 'server',
    random: maskSource(),
    ...NODE_HOOKS,
    onWrite: (chunks) => {
      for (const c of chunks) bytes += c.length;
    },
    onEvent: () => {},
  });
  return {
    id: 'ours',
    run(n) {
      for (let i = 0; i < n; i++) conn.send(payload, true);
      return bytes;
    },
  };
}

function throughputRow(section: string, size: number, perSecond: Record<string, number[]>, placeholder: boolean): Row {
  const { values, samples } = scaledRates(perSecond, 1e6);
  return makeRow({ section, case: formatSize(size), metric: 'MB/s', better: 'higher', bar: 'ws', values, placeholder, samples });
}

/**
 * Frame decode (server side: masked input, unmask, reassemble, emit) and encode (server: unmasked;
 * client: masked into a new buffer) for each payload size, ours against ws's Receiver and Sender.
 */
export function runFrameBenches(protocol: Partial<OurProtocol>, options: FrameBenchOptions): Row[] {
  const rows: Row[] = [];
  const placeholder = protocol.Connection === undefined;
  const measureOptions = (units: number): MeasureOptions => ({
    rounds: options.rounds,
    roundMs: options.roundMs,
    unitsPerIteration: units,
  });
  for (const size of options.sizes) {
    const { chunks, messages } = decodeInput(size);
    const theirs = wsDecoder(chunks);
    const ours = protocol.Connection
      ? ourDecoder({ Connection: protocol.Connection }, chunks)
      : { ...wsDecoder(chunks), id: 'ours' };
    // One untimed pass each proves both decoders deliver every payload byte before anything is timed.
    ours.run(1);
    theirs.run(1);
    if (ours.received() !== theirs.received() || theirs.received() !== size * messages) {
      throw new Error(
        `decode ${formatSize(size)}: decoders disagree (ours ${ours.received()}, ws ${theirs.received()}, expected ${size * messages})`,
      );
    }
    const result = measure([ours, theirs], measureOptions(size * messages));
    rows.push(throughputRow('codec: frame decode (server, masked input in 64 KiB reads)', size, result, placeholder));
  }
  for (const masked of [false, true]) {
    for (const size of options.sizes) {
      const payload = asciiPayload(size);
      const theirs = wsEncoder(payload, masked);
      const ours = protocol.Connection
        ? ourEncoder({ Connection: protocol.Connection }, payload, masked)
        : { ...wsEncoder(payload, masked), id: 'ours' };
      const result = measure([ours, theirs], measureOptions(size));
      const section = masked ? 'codec: frame encode (client, masked copy)' : 'codec: frame encode (server, unmasked)';
      rows.push(throughputRow(section, size, result, placeholder));
    }
  }
  return rows;
}
