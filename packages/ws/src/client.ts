/**
 * The client's opening handshake as ws performs it, on `node:http`/`node:https`: ws's options, URL
 * rules, redirects, events ('upgrade', 'unexpected-response', 'redirect') and error messages. The
 * request's handshake headers and the check of the response come from the codec
 * (`createClientHandshake`, `acceptClientHandshake`); permessage-deflate is @wsts/server's.
 * @module
 */
import { Buffer } from 'node:buffer';
import * as http from 'node:http';
import * as https from 'node:https';
import * as netModule from 'node:net';
import type { Duplex } from 'node:stream';
import * as tlsModule from 'node:tls';
import {
  acceptClientHandshake,
  type ClientExtensionNegotiator,
  type ClientHandshake,
  computeAccept,
  createClientHandshake,
  HandshakeError,
  isToken,
} from '@wsts/protocol';
import { DEFAULT_HANDSHAKE_TIMEOUT, PerMessageDeflateClient, secureRandom, type WebSocketConnectionOptions } from '@wsts/server';
import { CONNECTING, EMPTY_BUFFER } from './constants.js';
import { deflateOptions, type WsPerMessageDeflateOptions } from './deflate-options.js';
import { connectionLimits, type ConnectionLimitOptions } from './limits.js';
import { kAttach, kFailHandshake, kHandshake, kRequest, type WebSocket } from './websocket.js';

/**
 * ws's client options. The `http.request()` / `https.request()` options are passed on as ws does
 * (`agent`, `ca`, `cert`, `key`, `rejectUnauthorized`, `servername`, `family`, `lookup`, ...), except
 * those the handshake sets itself (`method`, `path`, `protocol`, `hostname`, `timeout`: accepted and
 * ignored, as in ws). Any other name is a type error in an object literal, as with `@types/ws`.
 */
export interface ClientOptions extends ConnectionLimitOptions, https.RequestOptions {
  /** 13 (default) or 8. */
  protocolVersion?: number;
  /** Milliseconds for the whole opening handshake. Default 30 s (ws: none). */
  handshakeTimeout?: number;
  /** Offer permessage-deflate (default true), or its options. */
  perMessageDeflate?: boolean | WsPerMessageDeflateOptions;
  /** Follow redirects (default false). */
  followRedirects?: boolean;
  /** Most redirects followed (default 10). */
  maxRedirects?: number;
  /** The `Origin` header. */
  origin?: string;
  /** Called with the request instead of `request.end()`, to write a body or headers first. */
  finishRequest?: (request: http.ClientRequest, websocket: WebSocket) => void;
  /** Fills a 4-byte masking key; default: a pooled cryptographically secure source. */
  generateMask?: (mask: Buffer) => void;
}

/** ws's own option names: not passed to `http.request()`. */
const OWN = new Set([
  'protocolVersion',
  'handshakeTimeout',
  'perMessageDeflate',
  'followRedirects',
  'maxRedirects',
  'origin',
  'finishRequest',
  'generateMask',
  'autoPong',
  'allowSynchronousEvents',
  'closeTimeout',
  'maxPayload',
  'maxFragments',
  'maxBufferedChunks',
  'skipUTF8Validation',
  'maxBufferedAmount',
  'messageTimeout',
  'sendHighWaterMark',
  'heartbeatInterval',
]);

const PROTOCOL_VERSIONS = [8, 13];

/**
 * The modules' own objects (ESM's `default`), not the namespaces: `net.connect`/`tls.connect` are looked
 * up at each call, so a process that wraps them (instrumentation, tests) is honoured as it is by ws.
 */
const net = ((netModule as { default?: typeof netModule }).default ?? netModule) as typeof netModule;
const tls = ((tlsModule as { default?: typeof tlsModule }).default ?? tlsModule) as typeof tlsModule;

/** What one attempt needs from the previous hop of a redirect chain. */
interface Chain {
  redirects: number;
  originalSecure: boolean;
  originalHost: string;
  originalIpc: boolean;
}

function netConnect(options: netModule.NetConnectOpts & { socketPath?: string }): netModule.Socket {
  return net.connect({ ...options, path: options.socketPath } as netModule.NetConnectOpts);
}

function tlsConnect(options: tlsModule.ConnectionOptions & { host?: string }): tlsModule.TLSSocket {
  const servername = options.servername ?? (net.isIP(options.host ?? '') ? '' : options.host);
  return tls.connect({ ...options, path: undefined, servername } as tlsModule.ConnectionOptions);
}

function maskSource(generateMask: (mask: Buffer) => void): (bytes: Uint8Array) => void {
  // The codec draws keys from a pool it refills through this: every 4 bytes are one ws mask.
  return (bytes) => {
    for (let at = 0; at + 4 <= bytes.length; at += 4) {
      generateMask(Buffer.from(bytes.buffer, bytes.byteOffset + at, 4));
    }
  };
}

/** Starts the opening handshake of `websocket` (called by its constructor, and again for each redirect). */
export function openClient(
  websocket: WebSocket,
  address: string | URL,
  protocols: readonly string[],
  options: ClientOptions,
  chain?: Chain,
): void {
  const version = options.protocolVersion ?? 13;
  if (!PROTOCOL_VERSIONS.includes(version)) {
    throw new RangeError(`Unsupported protocol version: ${version} (supported versions: ${PROTOCOL_VERSIONS.join(', ')})`);
  }
  const limits = connectionLimits(options, 'client');

  let url: URL;
  if (address instanceof URL) url = new URL(address.href);
  else {
    try {
      url = new URL(address);
    } catch {
      throw new SyntaxError(`Invalid URL: ${address}`);
    }
  }
  if (url.protocol === 'http:') url.protocol = 'ws:';
  else if (url.protocol === 'https:') url.protocol = 'wss:';
  websocket[kHandshake](url.href, '', '');

  const secure = url.protocol === 'wss:';
  const ipc = url.protocol === 'ws+unix:';
  let invalid: string | undefined;
  if (url.protocol !== 'ws:' && !secure && !ipc) {
    invalid = 'The URL\'s protocol must be one of "ws:", "wss:", "http:", "https:", or "ws+unix:"';
  } else if (ipc && !url.pathname) invalid = "The URL's pathname is empty";
  else if (url.hash) invalid = 'The URL contains a fragment identifier';
  if (invalid !== undefined) {
    const error = new SyntaxError(invalid);
    if (chain === undefined) throw error;
    websocket[kFailHandshake](error, true);
    return;
  }

  const seen = new Set<string>();
  for (const protocol of protocols) {
    if (typeof protocol !== 'string' || !isToken(protocol) || seen.has(protocol)) {
      throw new SyntaxError('An invalid or duplicated subprotocol was specified');
    }
    seen.add(protocol);
  }

  const deflate = deflateOptions(options.perMessageDeflate ?? true);
  const negotiators: ClientExtensionNegotiator[] = deflate === undefined ? [] : [new PerMessageDeflateClient(deflate)];
  const hostname = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  let path = url.pathname + url.search;
  let socketPath: string | undefined;
  if (ipc) {
    const colon = path.indexOf(':');
    socketPath = colon === -1 ? path : path.slice(0, colon);
    path = colon === -1 ? '/' : path.slice(colon + 1);
  }
  const handshake: ClientHandshake = createClientHandshake({
    host: url.host,
    path,
    protocols,
    extensions: negotiators,
    random: secureRandom,
  });

  const headers: Record<string, string | string[] | number> = {};
  const given = (options.headers ?? {}) as Record<string, string | string[] | number>;
  for (const [name, value] of Object.entries(given))
    headers[options.followRedirects === true ? name.toLowerCase() : name] = value;
  for (const [name, value] of handshake.headers) {
    if (name === 'Host') continue; // node:http writes it (without a default port)
    headers[name] = value;
  }
  headers['Sec-WebSocket-Version'] = String(version);
  if (protocols.length > 0) headers['Sec-WebSocket-Protocol'] = protocols.join(',');
  if (options.origin !== undefined && options.origin !== '') {
    headers[version < 13 ? 'Sec-WebSocket-Origin' : 'Origin'] = options.origin;
  }

  let auth = options.auth as string | undefined;
  if (url.username || url.password) auth = `${url.username}:${url.password}`;

  const request: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(options)) if (!OWN.has(name)) request[name] = value;
  Object.assign(request, {
    createConnection: options.createConnection ?? (secure ? tlsConnect : netConnect),
    defaultPort: options.defaultPort ?? (secure ? 443 : 80),
    port: url.port || (secure ? 443 : 80),
    host: hostname,
    headers,
    path,
    method: 'GET',
    socketPath,
    hostname: undefined,
    protocol: undefined,
    timeout: undefined,
  });

  let current: Chain;
  if (options.followRedirects === true) {
    if (chain === undefined) {
      current = { redirects: 0, originalSecure: secure, originalHost: ipc ? (socketPath ?? '') : url.host, originalIpc: ipc };
    } else {
      current = chain;
      if (websocket.listenerCount('redirect') === 0) {
        const sameHost = ipc
          ? chain.originalIpc && socketPath === chain.originalHost
          : !chain.originalIpc && url.host === chain.originalHost;
        if (!sameHost || (chain.originalSecure && !secure)) {
          delete headers.authorization;
          delete headers.cookie;
          if (!sameHost) delete headers.host;
          auth = undefined;
        }
      }
    }
    if (auth !== undefined && headers.authorization === undefined) {
      headers.authorization = `Basic ${Buffer.from(auth).toString('base64')}`;
    }
    request.auth = undefined;
  } else {
    current = chain ?? { redirects: 0, originalSecure: secure, originalHost: url.host, originalIpc: ipc };
    request.auth = auth;
  }

  const send = secure ? https.request : http.request;
  const req = send(request as https.RequestOptions);
  websocket[kRequest] = req;
  if (current.redirects > 0) websocket.emit('redirect', websocket.url, req);

  const timeout = options.handshakeTimeout ?? DEFAULT_HANDSHAKE_TIMEOUT;
  let timer: NodeJS.Timeout | undefined;
  if (timeout > 0) {
    timer = setTimeout(() => {
      if (websocket[kRequest] === req) websocket[kFailHandshake](new Error('Opening handshake has timed out'));
    }, timeout);
  }
  const stop = (): void => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
  };

  req.on('error', (error) => {
    stop();
    if (websocket[kRequest] !== req) return; // abandoned already: its error was reported
    websocket[kFailHandshake](error, true);
  });

  req.on('response', (response) => {
    stop();
    const location = response.headers.location;
    const status = response.statusCode ?? 0;
    if (location !== undefined && options.followRedirects === true && status >= 300 && status < 400) {
      if (++current.redirects > (options.maxRedirects ?? 10)) {
        websocket[kFailHandshake](new Error('Maximum redirects exceeded'));
        return;
      }
      websocket[kRequest] = undefined;
      req.destroy();
      let next: URL;
      try {
        next = new URL(location, address);
      } catch {
        websocket[kFailHandshake](new SyntaxError(`Invalid URL: ${location}`), true);
        return;
      }
      openClient(websocket, next, protocols, options, current);
    } else if (!websocket.emit('unexpected-response', req, response)) {
      websocket[kFailHandshake](new Error(`Unexpected server response: ${status}`));
    }
  });

  req.on('upgrade', (response: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    stop();
    websocket.emit('upgrade', response);
    if (websocket.readyState !== CONNECTING) {
      socket.destroy();
      return;
    }
    const failure = checkResponse(response, handshake, protocols, negotiators.length > 0);
    if (typeof failure === 'string') {
      websocket[kRequest] = undefined;
      socket.destroy();
      websocket[kFailHandshake](new Error(failure));
      return;
    }
    websocket[kHandshake](
      undefined,
      failure.protocol ?? '',
      failure.extensions.length > 0 ? String(response.headers['sec-websocket-extensions']) : '',
    );
    const connection: WebSocketConnectionOptions = {
      role: 'client',
      protocol: failure.protocol,
      extensions: failure.extensions,
      extensionsHeader: failure.extensions.length > 0 ? String(response.headers['sec-websocket-extensions']) : undefined,
      ...limits,
    };
    if (options.generateMask !== undefined) connection.random = maskSource(options.generateMask);
    websocket[kAttach](socket, head ?? EMPTY_BUFFER, connection);
  });

  if (options.finishRequest !== undefined) options.finishRequest(req, websocket);
  else req.end();
}

/** ws's checks of the 101, in ws's order and words; then the codec's full check and the extensions. */
function checkResponse(
  response: http.IncomingMessage,
  handshake: ClientHandshake,
  protocols: readonly string[],
  offeredExtensions: boolean,
): string | { protocol: string | undefined; extensions: import('@wsts/protocol').Extension[] } {
  const upgrade = response.headers.upgrade;
  if (upgrade === undefined || upgrade.toLowerCase() !== 'websocket') return 'Invalid Upgrade header';
  if (response.headers['sec-websocket-accept'] !== computeAccept(handshake.key)) return 'Invalid Sec-WebSocket-Accept header';
  const selected = response.headers['sec-websocket-protocol'];
  if (selected !== undefined) {
    if (protocols.length === 0) return 'Server sent a subprotocol but none was requested';
    if (!protocols.includes(selected)) return 'Server sent an invalid subprotocol';
  } else if (protocols.length > 0) return 'Server sent no subprotocol';
  const extensions = response.headers['sec-websocket-extensions'];
  if (extensions !== undefined && !offeredExtensions) {
    return 'Server sent a Sec-WebSocket-Extensions header but no extension was requested';
  }
  try {
    return acceptClientHandshake(handshake, 101, response.headers);
  } catch (error) {
    if (!(error instanceof HandshakeError)) throw error;
    if (/not offered/.test(error.message) && /extension/i.test(error.message))
      return 'Server indicated an extension that was not requested';
    if (extensions !== undefined) return 'Invalid Sec-WebSocket-Extensions header';
    return error.message;
  }
}
