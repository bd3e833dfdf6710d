import { disposeExtensions } from '@wsts/protocol';
import { WebSocketConnection } from '../websocket-connection.js';
import { WebSocketConnectError } from './errors.js';
import { clientExtensionNegotiators } from './extensions-option.js';
import type { OpenedUpgrade } from './open-upgrade.js';
import { openWebSocket } from './open-http2.js';
import { resolveClientOptions, type ClientOptions, type ConnectOptions } from './options.js';
import { type InvalidInputError, parseProtocols, parseWebSocketUrl } from './url.js';

/**
 * Wraps an upgraded client socket in the same connection class the server uses. If that throws, the
 * socket and the negotiated extensions are released before the error propagates.
 */
export function clientConnection(upgrade: OpenedUpgrade, options: ClientOptions): WebSocketConnection {
  try {
    return createConnection(upgrade, options);
  } catch (error) {
    upgrade.socket.destroy();
    disposeExtensions(upgrade.extensions);
    throw error;
  }
}

function createConnection(upgrade: OpenedUpgrade, options: ClientOptions): WebSocketConnection {
  return new WebSocketConnection(upgrade.socket, upgrade.head, {
    role: 'client',
    protocol: upgrade.protocol,
    extensions: upgrade.extensions,
    extensionsHeader: upgrade.extensionsHeader,
    maxMessageSize: options.maxMessageSize,
    maxBufferedAmount: options.maxBufferedAmount,
    sendHighWaterMark: options.sendHighWaterMark,
    messageTimeout: options.messageTimeout,
    maxFragments: options.maxFragments,
    closeTimeout: options.closeTimeout,
    heartbeatInterval: options.heartbeatInterval,
    autoPong: options.autoPong,
    fragmentSize: options.fragmentSize,
  });
}

/** Checks the URL and subprotocols like the WHATWG constructor does, as a {@link WebSocketConnectError}. */
function checkInput(url: string | URL, protocols: string | readonly string[] | undefined): { url: URL; protocols: string[] } {
  let target: URL;
  try {
    target = parseWebSocketUrl(url);
  } catch (error) {
    throw new WebSocketConnectError('invalid-url', (error as InvalidInputError).message, { url: String(url) });
  }
  try {
    return { url: target, protocols: parseProtocols(protocols) };
  } catch (error) {
    throw new WebSocketConnectError('invalid-protocols', (error as InvalidInputError).message, { url: target.href });
  }
}

/**
 * Opens a WebSocket connection and resolves once the server accepted it, with the same
 * `WebSocketConnection` a `WebSocketServer` hands to its handlers: `send()` returns a promise,
 * `for await (const message of connection)` reads messages, `ping()`, `close(code, reason)`.
 *
 * Rejects with a {@link WebSocketConnectError} whose `kind` names the step that failed.
 *
 * @example
 * const connection = await connect('ws://127.0.0.1:8080', { protocols: ['chat'] });
 * await connection.send('hello');
 * for await (const message of connection) console.log(message.text);
 */
export async function connect(url: string | URL, options: ConnectOptions = {}): Promise<WebSocketConnection> {
  const input = checkInput(url, options.protocols);
  const resolved = resolveClientOptions(options, input.protocols);
  const negotiators = clientExtensionNegotiators(options.perMessageDeflate, options.extensions);
  const upgrade = await openWebSocket(input.url, resolved, negotiators);
  return clientConnection(upgrade, options);
}
