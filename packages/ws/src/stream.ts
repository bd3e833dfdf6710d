/**
 * `createWebSocketStream(ws, options)`: a Duplex over a ws-shaped WebSocket, as ws offers it. Reading
 * the stream reads messages (pausing the socket when the stream's buffer is full); writing sends each
 * chunk as a message; ending the writable side starts the closing handshake.
 * @module
 */
import type { Buffer } from 'node:buffer';
import { Duplex, type DuplexOptions } from 'node:stream';
import { CLOSED, CONNECTING } from './constants.js';
import type { WebSocket } from './websocket.js';

function emitClose(stream: Duplex): void {
  stream.emit('close');
}

function onEnd(this: Duplex): void {
  if (!this.destroyed && this.writableFinished) this.destroy();
}

function onError(this: Duplex, error: Error): void {
  this.removeListener('error', onError);
  this.destroy();
  // Re-emitted only when nobody else listens: an unhandled stream error must still throw.
  if (this.listenerCount('error') === 0) this.emit('error', error);
}

/** A Duplex stream over `ws`. `options` go to the Duplex constructor. */
export function createWebSocketStream(ws: WebSocket, options?: DuplexOptions): Duplex {
  let terminateOnDestroy = true;
  const duplex = new Duplex({
    ...options,
    autoDestroy: false,
    emitClose: false,
    objectMode: false,
    writableObjectMode: false,
  });

  ws.on('message', (message: Buffer, isBinary: boolean) => {
    const data = !isBinary && duplex.readableObjectMode ? message.toString() : message;
    if (!duplex.push(data)) ws.pause();
  });
  ws.once('error', (error: Error) => {
    if (duplex.destroyed) return;
    // The WebSocket failed on its own: destroying the stream must not terminate it a second time.
    terminateOnDestroy = false;
    duplex.destroy(error);
  });
  ws.once('close', () => {
    if (duplex.destroyed) return;
    duplex.push(null);
  });

  duplex._destroy = (error, callback) => {
    if (ws.readyState === CLOSED) {
      callback(error);
      process.nextTick(emitClose, duplex);
      return;
    }
    let called = false;
    ws.once('error', (wsError: Error) => {
      called = true;
      callback(wsError);
    });
    ws.once('close', () => {
      if (!called) callback(error);
      process.nextTick(emitClose, duplex);
    });
    if (terminateOnDestroy) ws.terminate();
  };

  duplex._final = (callback) => {
    if (ws.readyState === CONNECTING) {
      ws.once('open', () => duplex._final(callback));
      return;
    }
    const socket = ws.socket;
    // No socket: the handshake failed, and 'close' ends the stream.
    if (socket === undefined) return;
    if (socket.writableFinished) {
      callback();
      if (duplex.readableEnded) duplex.destroy();
    } else {
      socket.once('finish', () => callback());
      ws.close();
    }
  };

  duplex._read = () => {
    if (ws.isPaused) ws.resume();
  };

  duplex._write = (chunk, _encoding, callback) => {
    if (ws.readyState === CONNECTING) {
      ws.once('open', () => duplex._write(chunk, _encoding, callback));
      return;
    }
    ws.send(chunk, callback);
  };

  duplex.on('end', onEnd);
  duplex.on('error', onError);
  return duplex;
}
