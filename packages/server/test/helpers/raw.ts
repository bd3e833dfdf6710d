import { randomBytes } from 'node:crypto';
import * as net from 'node:net';

/**
 * A hand-written client for feeding the server bad input. It shares nothing with the codec: frames
 * are assembled byte by byte here, so a bug in the codec cannot hide a bug in the test.
 */
export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  socket: net.Socket;
  /** Bytes after the response head (the start of the WebSocket stream, or the body). */
  rest: Buffer;
}

export function validKey(): string {
  return randomBytes(16).toString('base64');
}

export function upgradeRequest(
  port: number,
  overrides: Record<string, string | undefined> = {},
  method = 'GET',
  path = '/',
): string {
  const headers: Record<string, string | undefined> = {
    Host: `127.0.0.1:${port}`,
    Upgrade: 'websocket',
    Connection: 'Upgrade',
    'Sec-WebSocket-Key': validKey(),
    'Sec-WebSocket-Version': '13',
    ...overrides,
  };
  let text = `${method} ${path} HTTP/1.1\r\n`;
  for (const [name, value] of Object.entries(headers)) if (value !== undefined) text += `${name}: ${value}\r\n`;
  return `${text}\r\n`;
}

/** Sends `request` and resolves once the response head (and, for non-101, the body) arrived. */
export function rawRequest(port: number, request: string, timeoutMs = 5000): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let buffered = Buffer.alloc(0);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no complete response within ${timeoutMs} ms; got ${JSON.stringify(buffered.toString('latin1'))}`));
    }, timeoutMs);
    const finish = (): boolean => {
      const end = buffered.indexOf('\r\n\r\n');
      if (end === -1) return false;
      const lines = buffered.subarray(0, end).toString('latin1').split('\r\n');
      const status = Number(lines[0]!.split(' ')[1]);
      const headers: Record<string, string> = {};
      for (const line of lines.slice(1)) {
        const colon = line.indexOf(':');
        headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      const rest = buffered.subarray(end + 4);
      const length = headers['content-length'];
      if (status !== 101 && length !== undefined && rest.length < Number(length)) return false;
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('end', onEnd);
      resolve({ status, headers, body: status === 101 ? '' : rest.toString('utf8'), socket, rest });
      return true;
    };
    const onData = (chunk: Buffer): void => {
      buffered = Buffer.concat([buffered, chunk]);
      finish();
    };
    const onEnd = (): void => {
      if (!finish()) {
        clearTimeout(timer);
        reject(new Error(`connection ended before a response: ${JSON.stringify(buffered.toString('latin1'))}`));
      }
    };
    socket.on('data', onData);
    socket.on('end', onEnd);
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.write(request);
  });
}

/** A client frame: masked unless `mask` is false. Lengths use the 7/16/64-bit forms. */
export function clientFrame(
  opcode: number,
  payload: Buffer | string,
  options: { fin?: boolean; mask?: boolean; rsv?: number } = {},
): Buffer {
  const data = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const fin = options.fin ?? true;
  const masked = options.mask ?? true;
  const head: number[] = [(fin ? 0x80 : 0) | ((options.rsv ?? 0) << 4) | opcode];
  const maskBit = masked ? 0x80 : 0;
  if (data.length < 126) head.push(maskBit | data.length);
  else if (data.length < 65536) head.push(maskBit | 126, data.length >> 8, data.length & 0xff);
  else {
    head.push(maskBit | 127, 0, 0, 0, 0);
    head.push((data.length >>> 24) & 0xff, (data.length >>> 16) & 0xff, (data.length >>> 8) & 0xff, data.length & 0xff);
  }
  if (!masked) return Buffer.concat([Buffer.from(head), data]);
  const key = randomBytes(4);
  const body = Buffer.alloc(data.length);
  for (let i = 0; i < data.length; i++) body[i] = data[i]! ^ key[i & 3]!;
  return Buffer.concat([Buffer.from(head), key, body]);
}

/** One server frame as read off the wire. */
export interface ServerFrame {
  fin: boolean;
  opcode: number;
  payload: Buffer;
}

/** Parses unmasked server frames from `bytes`; returns complete frames and the leftover. */
export function parseServerFrames(bytes: Buffer): { frames: ServerFrame[]; rest: Buffer } {
  const frames: ServerFrame[] = [];
  let offset = 0;
  for (;;) {
    if (bytes.length - offset < 2) break;
    const b0 = bytes[offset]!;
    const b1 = bytes[offset + 1]!;
    let length = b1 & 0x7f;
    let header = 2;
    if (length === 126) {
      if (bytes.length - offset < 4) break;
      length = bytes.readUInt16BE(offset + 2);
      header = 4;
    } else if (length === 127) {
      if (bytes.length - offset < 10) break;
      length = Number(bytes.readBigUInt64BE(offset + 2));
      header = 10;
    }
    if (bytes.length - offset < header + length) break;
    frames.push({
      fin: (b0 & 0x80) !== 0,
      opcode: b0 & 0x0f,
      payload: bytes.subarray(offset + header, offset + header + length),
    });
    offset += header + length;
  }
  return { frames, rest: bytes.subarray(offset) };
}

/** Collects server frames on an upgraded raw socket until a close frame or the socket ends. */
export function readUntilClose(
  socket: net.Socket,
  initial: Buffer,
  timeoutMs = 5000,
): Promise<{ frames: ServerFrame[]; closeCode: number | undefined; ended: boolean }> {
  return new Promise((resolve, reject) => {
    let buffered = initial;
    const frames: ServerFrame[] = [];
    const timer = setTimeout(() => reject(new Error(`no close frame within ${timeoutMs} ms`)), timeoutMs);
    const done = (ended: boolean): void => {
      clearTimeout(timer);
      const close = frames.find((f) => f.opcode === 8);
      resolve({
        frames,
        closeCode: close !== undefined && close.payload.length >= 2 ? close.payload.readUInt16BE(0) : undefined,
        ended,
      });
    };
    const take = (): boolean => {
      const parsed = parseServerFrames(buffered);
      frames.push(...parsed.frames);
      buffered = parsed.rest;
      return parsed.frames.some((f) => f.opcode === 8);
    };
    if (take()) {
      socket.once('close', () => done(true));
      return;
    }
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      take();
    });
    socket.once('close', () => done(true));
  });
}
