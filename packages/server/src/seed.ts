import type { Duplex } from 'node:stream';
import type { WebSocketConnectionOptions } from './connection-types.js';
import { WebSocketConnection } from './websocket-connection.js';

/**
 * The OCaml seed's API, in TypeScript. `isWebSocketUpgrade` and `upgrade` are the codec's functions
 * (re-exported from the package index); `handleServer` is the seed's `handle_server`.
 */

/** The seed's `send`: a message, or `undefined` to close the connection (1000). */
export type Send = (message: string | undefined) => void;

/**
 * The seed's handler: receives `send` once the connection is open and returns the function called
 * with each received message and, once, with `undefined` when the connection has closed.
 */
export type Handler = (send: Send) => (message: string | undefined) => void;

/**
 * Turns a seed handler into a function that runs it on an upgraded socket (after you wrote the 101
 * with the headers `upgrade()` returned). Binary messages are handed to the handler decoded as UTF-8,
 * as the seed only knows strings. Returns the connection for anything beyond the seed's API.
 */
export function handleServer(
  handler: Handler,
  options: Omit<WebSocketConnectionOptions, 'role'> = {},
): (socket: Duplex, head?: Uint8Array) => WebSocketConnection {
  return (socket, head) => {
    const connection = new WebSocketConnection(socket, head, { ...options, role: 'server' });
    const send: Send = (message) => {
      if (message === undefined) connection.close(1000);
      else if (connection.state === 'open') void connection.send(message);
    };
    const receive = handler(send);
    connection.on('message', (data) => receive(data.toString('utf8')));
    connection.once('close', () => receive(undefined));
    return connection;
  };
}
