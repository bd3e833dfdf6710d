/**
 * The socket end of a connection's byte path: how a socket finds the connection that owns it, and the
 * socket's listeners. What the bytes mean is the connection's business; what it writes goes through
 * its outbox (outbox.ts).
 * @module
 */
import type { Duplex } from 'node:stream';
import type { WebSocketConnectionState } from './connection-types.js';

/** What a bound socket's listeners call: the {@link WebSocketConnection} that owns it. */
export interface SocketOwner {
  /** 'closed' once the socket is gone: bytes delivered late (the head) are then dropped. */
  readonly state: WebSocketConnectionState;
  /** Bytes read from the socket, and first the `head` Node handed over with the upgrade. */
  onData(chunk: Uint8Array): void;
  /** The peer ended its side (FIN). */
  onSocketEnd(): void;
  onSocketError(error: Error): void;
  /** The socket is gone: emitted exactly once, also for a socket that was already destroyed. */
  onSocketClose(): void;
}

/**
 * The owner is stored on the socket under this symbol. WHY: Node calls a listener with the emitting
 * socket as `this`, so the four listeners below are module-level functions shared by every connection
 * and find their connection in one property load. Closures bound per connection would cost four
 * function objects per idle connection; a WeakMap would cost a hash lookup per read.
 */
const owner = Symbol('wsts.owner');

interface OwnedSocket extends Duplex {
  [owner]: SocketOwner;
}

function onSocketData(this: OwnedSocket, chunk: Buffer): void {
  this[owner].onData(chunk);
}

function onSocketEnd(this: OwnedSocket): void {
  this[owner].onSocketEnd();
}

function onSocketError(this: OwnedSocket, error: Error): void {
  this[owner].onSocketError(error);
}

function onSocketClose(this: OwnedSocket): void {
  this[owner].onSocketClose();
}

function deliverHead(connection: SocketOwner, head: Uint8Array): void {
  if (connection.state !== 'closed') connection.onData(head);
}

function reportGone(connection: SocketOwner): void {
  connection.onSocketClose();
}

/**
 * Makes `connection` the owner of `socket`: Nagle off, the HTTP idle timeout off, the listeners on.
 * The `head` bytes were read before the socket was ours; they precede anything read later. Both the
 * head and the first 'data' event are deferred by one tick, in that order (the head is queued before
 * the 'data' listener, whose attaching schedules the stream's first read), so that the creator can
 * attach its listeners before the first message is emitted.
 */
export function bindSocket(socket: Duplex, connection: SocketOwner, head: Uint8Array | undefined): void {
  const socketLike = socket as Partial<{ setNoDelay(v: boolean): void; setTimeout(ms: number): void }>;
  // Small frames must not wait for Nagle; writes are already batched per tick (outbox.ts).
  socketLike.setNoDelay?.(true);
  // The HTTP server may have armed an idle timeout on the socket; WebSocket liveness is the heartbeat's job.
  socketLike.setTimeout?.(0);
  (socket as OwnedSocket)[owner] = connection;
  socket.on('error', onSocketError);
  socket.on('close', onSocketClose);
  socket.on('end', onSocketEnd);
  if (head !== undefined && head.length > 0) process.nextTick(deliverHead, connection, head);
  socket.on('data', onSocketData);
  // A socket that died before we got it will never emit 'close' again: report it ourselves.
  if (socket.destroyed) process.nextTick(reportGone, connection);
}
