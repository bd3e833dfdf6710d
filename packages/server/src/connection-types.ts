/**
 * The public types of a {@link WebSocketConnection}: its options, events, state and what `send` takes.
 * Only what a user may set or observe; what a server adds to its connections is in membership.ts.
 * @module
 */
import type { Buffer } from 'node:buffer';
import type { Extension } from '@wsts/protocol';
import type { WebSocketConnection } from './websocket-connection.js';

/** Anything `send` accepts. Strings go out as text, everything else as binary unless told otherwise. */
export type WebSocketData = string | Uint8Array | ArrayBuffer | ArrayBufferView;

/** Options for {@link WebSocketConnection.send}. */
export interface SendOptions {
  /** Frame type. Default: false for strings, true for bytes. Bytes sent as text must be valid UTF-8. */
  binary?: boolean;
}

/** Called once the message's bytes were handed to the kernel, or with the reason they never will be. */
export type SendCallback = (error?: Error) => void;

/** Options of a {@link WebSocketConnection}. Every limit has a safe default (see `DEFAULTS`). */
export interface WebSocketConnectionOptions {
  /** 'server' expects masked frames and sends unmasked ones; 'client' the other way round. */
  role: 'server' | 'client';
  /** The subprotocol agreed in the handshake (shown by `protocol`). */
  protocol?: string | undefined;
  /** Live extensions agreed in the handshake, in negotiation order. Disposed when the connection ends. */
  extensions?: readonly Extension[] | undefined;
  /** The `Sec-WebSocket-Extensions` value agreed in the handshake (shown by `extensions`). */
  extensionsHeader?: string | undefined;
  /** Largest incoming message in bytes (after decompression). Default 64 MiB. Larger ones fail with 1009. */
  maxMessageSize?: number | undefined;
  /**
   * Cap on what is queued for a peer that does not read (default 16 MiB): payload bytes plus an
   * estimate of what each queued write and send costs in memory (see `WRITE_COST`), so a flood of
   * tiny frames is counted for what it holds, not for its few payload bytes. A `send` that would pass
   * it terminates the connection instead of growing memory. One message is always accepted when
   * nothing is queued, so the largest message you can send is bounded by your own data, not by this cap.
   */
  maxBufferedAmount?: number | undefined;
  /**
   * When more than this is queued for the peer (counted as for `maxBufferedAmount`), reading from the
   * peer stops until the queue has drained to half of it: input that would make more output waits in
   * the kernel, and TCP slows the peer down. Default 1 MiB for the server role; never (Infinity) for
   * the client role, since two ends that both stop reading while their output waits can wait on each
   * other forever.
   */
  sendHighWaterMark?: number | undefined;
  /**
   * Milliseconds one message may take to arrive, from the first byte of its first frame to its last
   * byte; past it the connection is closed with 1008. Time while we are not reading (paused by you,
   * by backpressure or by the memory budget) does not count. Default 60 s; 0 turns it off.
   */
  messageTimeout?: number | undefined;
  /** Most frames one incoming message may arrive in; more fail with 1008. Default 131,072. */
  maxFragments?: number | undefined;
  /** Milliseconds the closing handshake may take before the socket is destroyed. Default 10 s. */
  closeTimeout?: number | undefined;
  /**
   * Ping every this many milliseconds and terminate when no traffic at all (a pong or anything else)
   * arrived since the previous ping. Default 0 (off) for a bare connection; servers pass their own.
   */
  heartbeatInterval?: number | undefined;
  /** Answer pings automatically. Default true. */
  autoPong?: boolean | undefined;
  /** Split outgoing data messages into frames of at most this many payload bytes. Default: never split. */
  fragmentSize?: number | undefined;
  /** Mask source for the client role. Default: a pooled `crypto.randomFillSync`. */
  random?: ((bytes: Uint8Array) => void) | undefined;
}

/** The typed events of a {@link WebSocketConnection}. */
export interface WebSocketConnectionEvents {
  /** A complete message. `data` is a view, not a copy: keep it or copy it as you like. */
  message: [data: Buffer, isBinary: boolean];
  ping: [data: Buffer];
  pong: [data: Buffer];
  /**
   * The TCP connection is gone. `code`/`reason` come from the peer's close frame (1005 when it had no
   * code), or 1006 when no close frame arrived. `wasClean` is true only when both close frames were
   * exchanged and no error occurred. Emitted exactly once.
   */
  close: [code: number, reason: string, wasClean: boolean];
  /**
   * A protocol violation by the peer (`ProtocolError`, its `code` was sent in our close frame), a socket
   * error, or a `ConnectionError` (buffer overflow, heartbeat or close timeout). Only emitted when a
   * listener exists: an unobserved peer error must not crash a server.
   */
  error: [error: Error];
}

/** `readyState`-like view of the connection. */
export type WebSocketConnectionState = 'open' | 'closing' | 'closed';
