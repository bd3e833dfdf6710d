/**
 * A few lines of RESP2 over a fresh TCP connection per command: the tests' "separate client", which
 * shares no code with either Redis library, for PING, PUBSUB CHANNELS and publishing raw bytes.
 * @module
 */
import { connect } from 'node:net';

export type Reply = string | number | null | Buffer | Reply[];

/** Parses one reply at `offset`; undefined while incomplete. Bulk strings come back as Buffers. */
function parse(buffer: Buffer, offset: number): { value: Reply; end: number } | undefined {
  const lineEnd = buffer.indexOf('\r\n', offset);
  if (lineEnd === -1) return undefined;
  const type = String.fromCharCode(buffer[offset]!);
  const line = buffer.toString('utf8', offset + 1, lineEnd);
  const next = lineEnd + 2;
  switch (type) {
    case '+':
      return { value: line, end: next };
    case '-':
      throw new Error(`Redis error: ${line}`);
    case ':':
      return { value: Number(line), end: next };
    case '$': {
      const length = Number(line);
      if (length < 0) return { value: null, end: next };
      if (buffer.length < next + length + 2) return undefined;
      return { value: buffer.subarray(next, next + length), end: next + length + 2 };
    }
    case '*': {
      const count = Number(line);
      if (count < 0) return { value: null, end: next };
      const items: Reply[] = [];
      let at = next;
      for (let i = 0; i < count; i++) {
        const item = parse(buffer, at);
        if (item === undefined) return undefined;
        items.push(item.value);
        at = item.end;
      }
      return { value: items, end: at };
    }
    default:
      throw new Error(`unexpected RESP type ${JSON.stringify(type)}`);
  }
}

function encode(args: ReadonlyArray<string | Uint8Array>): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const arg of args) {
    const bytes = typeof arg === 'string' ? Buffer.from(arg) : Buffer.from(arg.buffer, arg.byteOffset, arg.byteLength);
    parts.push(Buffer.from(`$${bytes.length}\r\n`), bytes, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

/** Sends one command to Redis on 127.0.0.1:`port` and resolves with its reply. */
export function command(port: number, args: ReadonlyArray<string | Uint8Array>, timeoutMs = 5_000): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let received = Buffer.alloc(0);
    const timer = setTimeout(() => finish(new Error(`no reply to ${String(args[0])} within ${timeoutMs} ms`)), timeoutMs);
    const finish = (error: Error | undefined, value?: Reply): void => {
      clearTimeout(timer);
      socket.destroy();
      if (error === undefined) resolve(value!);
      else reject(error);
    };
    socket.on('error', (error) => finish(error));
    socket.on('connect', () => socket.write(encode(args)));
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      try {
        const reply = parse(received, 0);
        if (reply !== undefined) finish(undefined, reply.value);
      } catch (error) {
        finish(error as Error);
      }
    });
    socket.on('close', () => finish(new Error('connection closed before a reply')));
  });
}

/** The channels with at least one subscriber (`PUBSUB CHANNELS pattern`), sorted. */
export async function channels(port: number, pattern = '*'): Promise<string[]> {
  const reply = await command(port, ['PUBSUB', 'CHANNELS', pattern]);
  return (reply as Buffer[]).map((name) => name.toString('utf8')).sort();
}
