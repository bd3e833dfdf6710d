// Minimal typings for the parts of `ws` and its native add-ons the benchmarks touch. Written here rather
// than pulling @types/ws because the benches also reach ws's Receiver/Sender classes, which those
// typings do not describe.

declare module 'ws' {
  import type { EventEmitter } from 'node:events';
  import type { Server as HttpServer, IncomingMessage } from 'node:http';
  import type { Writable } from 'node:stream';

  export interface ReceiverOptions {
    isServer?: boolean;
    maxPayload?: number;
    skipUTF8Validation?: boolean;
    allowSynchronousEvents?: boolean;
    binaryType?: 'nodebuffer' | 'arraybuffer' | 'fragments';
    extensions?: Record<string, unknown>;
  }
  export class Receiver extends Writable {
    constructor(options?: ReceiverOptions);
    on(event: 'message', listener: (data: Buffer, isBinary: boolean) => void): this;
    on(event: 'error', listener: (error: Error) => void): this;
    on(event: string, listener: (...args: unknown[]) => void): this;
  }

  /** The slice of a socket that ws's Sender writes to. */
  export interface SenderSocket {
    cork(): void;
    uncork(): void;
    write(chunk: Buffer | string, cb?: (error?: Error | null) => void): boolean;
    destroyed?: boolean;
  }
  export interface FrameOptions {
    fin: boolean;
    opcode: number;
    mask: boolean;
    readOnly: boolean;
    rsv1: boolean;
    generateMask?: (mask: Buffer) => void;
  }
  export interface SendOptions {
    binary: boolean;
    compress: boolean;
    fin: boolean;
    mask: boolean;
  }
  export class Sender {
    constructor(socket: SenderSocket, extensions?: Record<string, unknown>, generateMask?: (mask: Buffer) => void);
    static frame(data: Buffer | string, options: FrameOptions): (Buffer | string)[];
    send(data: Buffer | string, options: SendOptions, cb?: (error?: Error | null) => void): void;
  }

  export interface WebSocket extends EventEmitter {
    /** 0 connecting, 1 open, 2 closing, 3 closed. */
    readonly readyState: number;
    /** `cb` runs once the frame was written (or failed): a sender's signal to send more. */
    send(
      data: Buffer | string,
      options?: { binary?: boolean; compress?: boolean; fin?: boolean },
      cb?: (error?: Error | null) => void,
    ): void;
    ping(data?: Buffer | string): void;
    /** The extensions the server accepted, as in its Sec-WebSocket-Extensions header (client side). */
    readonly extensions: string;
    /** What a binary message is handed out as: 'nodebuffer' (the default), 'arraybuffer' or 'fragments'. */
    binaryType: 'nodebuffer' | 'arraybuffer' | 'fragments';
    close(code?: number, reason?: string): void;
    terminate(): void;
    on(event: 'message', listener: (data: Buffer, isBinary: boolean) => void): this;
    on(event: string, listener: (...args: unknown[]) => void): this;
  }
  export interface ClientOptions {
    perMessageDeflate?: boolean | Record<string, unknown>;
    maxPayload?: number;
  }
  /** ws's client (the tests use it as an independent peer of the servers under test). */
  export const WebSocket: new (address: string, options?: ClientOptions) => WebSocket;
  export default WebSocket;
  export interface ServerOptions {
    host?: string;
    port?: number;
    server?: HttpServer;
    perMessageDeflate?: boolean | Record<string, unknown>;
    maxPayload?: number;
    clientTracking?: boolean;
  }
  export class WebSocketServer extends EventEmitter {
    constructor(options: ServerOptions, callback?: () => void);
    readonly clients: Set<WebSocket>;
    address(): { port: number; address: string; family: string } | string;
    on(event: 'connection', listener: (socket: WebSocket, request: IncomingMessage) => void): this;
    on(event: 'listening', listener: () => void): this;
    on(event: string, listener: (...args: unknown[]) => void): this;
    close(cb?: (error?: Error) => void): void;
  }
}

declare module 'bufferutil' {
  export function mask(source: Buffer, mask: Buffer, output: Buffer, offset: number, length: number): void;
  export function unmask(buffer: Buffer, mask: Buffer): void;
}

declare module 'utf-8-validate' {
  function isValidUTF8(buffer: Uint8Array): boolean;
  export default isValidUTF8;
}
