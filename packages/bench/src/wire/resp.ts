/**
 * Just enough of RESP (Redis's protocol) for the bench to talk to the redis-server it starts: send a
 * command, read one reply. A hand-written client on a raw socket, so that measuring a PING round trip
 * costs no more than the round trip itself (no client library's queueing or parsing in the figure).
 */
import { connect, type Socket } from 'node:net';

/** A parsed reply: simple and bulk strings as strings, integers as numbers, arrays, null. */
export type RespValue = string | number | null | RespValue[];

/** A command as RESP puts it on the wire: an array of bulk strings. */
export function encodeCommand(args: readonly string[]): Buffer {
  const parts = [`*${args.length}\r\n`];
  for (const arg of args) parts.push(`$${Buffer.byteLength(arg)}\r\n${arg}\r\n`);
  return Buffer.from(parts.join(''));
}

/**
 * Parses one reply at `offset`: the value and the offset after it, or undefined when the buffer does
 * not hold the whole reply yet. An error reply throws with Redis's message.
 */
export function parseReply(buffer: Buffer, offset = 0): { value: RespValue; end: number } | undefined {
  const lineEnd = buffer.indexOf('\r\n', offset);
  if (lineEnd < 0) return undefined;
  const kind = String.fromCharCode(buffer[offset]!);
  const line = buffer.toString('utf8', offset + 1, lineEnd);
  const next = lineEnd + 2;
  switch (kind) {
    case '+':
      return { value: line, end: next };
    case '-':
      throw new Error(`redis: ${line}`);
    case ':':
      return { value: Number(line), end: next };
    case '$': {
      const length = Number(line);
      if (length < 0) return { value: null, end: next };
      if (buffer.length < next + length + 2) return undefined;
      return { value: buffer.toString('utf8', next, next + length), end: next + length + 2 };
    }
    case '*': {
      const count = Number(line);
      if (count < 0) return { value: null, end: next };
      const items: RespValue[] = [];
      let at = next;
      for (let i = 0; i < count; i++) {
        const item = parseReply(buffer, at);
        if (item === undefined) return undefined;
        items.push(item.value);
        at = item.end;
      }
      return { value: items, end: at };
    }
    default:
      throw new Error(`redis: unexpected reply type ${JSON.stringify(kind)}`);
  }
}

/** One connection to a Redis on 127.0.0.1, one command at a time. */
export class RespConnection {
  private buffer: Buffer = Buffer.alloc(0);
  private pending: { resolve: (v: RespValue) => void; reject: (e: Error) => void } | undefined;

  private constructor(private readonly socket: Socket) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
      const waiter = this.pending;
      if (waiter === undefined) return;
      try {
        const reply = parseReply(this.buffer);
        if (reply === undefined) return;
        this.buffer = this.buffer.subarray(reply.end);
        this.pending = undefined;
        waiter.resolve(reply.value);
      } catch (error) {
        this.pending = undefined;
        this.buffer = Buffer.alloc(0);
        waiter.reject(error as Error);
      }
    });
    socket.on('error', (error) => this.pending?.reject(error));
    socket.on('close', () => this.pending?.reject(new Error('redis: connection closed')));
  }

  static open(port: number, timeoutMs = 5000): Promise<RespConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`redis: no connection to port ${port} within ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve(new RespConnection(socket));
      });
    });
  }

  /** Sends a command and resolves with its reply (rejects after `timeoutMs`). */
  command(args: readonly string[], timeoutMs = 5000): Promise<RespValue> {
    if (this.pending !== undefined) return Promise.reject(new Error('redis: one command at a time'));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending = undefined;
        reject(new Error(`redis: no reply to ${args[0]} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending = {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      this.socket.write(encodeCommand(args));
    });
  }

  close(): void {
    this.socket.destroy();
  }
}

/** The "used_cpu_sys" plus "used_cpu_user" seconds of an `INFO cpu` reply: Redis's own CPU, all threads. */
export function parseInfoCpu(info: string): number {
  const field = (name: string): number => {
    const m = new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info);
    if (!m) throw new Error(`redis INFO cpu has no ${name}`);
    return Number(m[1]);
  };
  return field('used_cpu_sys') + field('used_cpu_user');
}
