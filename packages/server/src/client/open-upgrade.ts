import * as http from 'node:http';
import * as https from 'node:https';
import { isIP, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import * as tls from 'node:tls';
import {
  acceptClientHandshake,
  computeAccept,
  createClientHandshake,
  type ClientExtensionNegotiator,
  type ClientHandshake,
  type Extension,
} from '@wsts/protocol';
import { WebSocketConnectError } from './errors.js';
import { secureRandom } from '../random.js';
import { socketAddress } from './url.js';
import type { ProxySetting, ResolvedClientOptions } from './options.js';
import { proxyFromEnv } from './proxy-env.js';
import { openTunnel, parseProxyUrl, proxyLabel } from './proxy-tunnel.js';

/**
 * A completed opening handshake: the raw socket (or, over HTTP/2, the stream), the bytes after the 101
 * response, what was agreed.
 */
export interface OpenedUpgrade {
  readonly socket: Duplex;
  /** Bytes the server sent right after its 101 response (already frames); fed to the connection first. */
  readonly head: Buffer;
  /** The selected subprotocol, '' when none. */
  readonly protocol: string;
  /** The live extensions, in the order the server listed them. */
  readonly extensions: Extension[];
  /** The server's `Sec-WebSocket-Extensions` value as sent ('' when absent): the WHATWG `extensions`. */
  readonly extensionsHeader: string;
  /** The URL finally connected to, after redirects. */
  readonly url: URL;
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/** Response headers as [name, value] pairs, from Node's flat rawHeaders list. */
function headerPairs(raw: readonly string[]): [string, string][] {
  const pairs: [string, string][] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) pairs.push([raw[i] as string, raw[i + 1] as string]);
  return pairs;
}

/** Node's request headers object from pairs; repeated names become arrays so none is lost. */
function headerObject(pairs: readonly (readonly [string, string])[]): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  const keyByLower = new Map<string, string>();
  for (const [name, value] of pairs) {
    const lower = name.toLowerCase();
    const key = keyByLower.get(lower);
    if (key === undefined) {
      keyByLower.set(lower, name);
      out[name] = value;
    } else {
      const prev = out[key] as string | string[];
      out[key] = Array.isArray(prev) ? [...prev, value] : [prev, value];
    }
  }
  return out;
}

/**
 * Names which RFC 6455 section 4.2.2 / 4.1 check a 101 response failed. The codec's
 * `acceptClientHandshake` is the validator; this only classifies its rejection into a `kind`.
 */
function classifyRejection(
  handshake: ClientHandshake,
  headers: http.IncomingHttpHeaders,
): 'invalid-upgrade' | 'invalid-accept' | 'invalid-protocol' | 'invalid-extension' {
  const upgrade = headers.upgrade?.toLowerCase();
  const connection = (headers.connection ?? '')
    .toLowerCase()
    .split(',')
    .map((t) => t.trim());
  if (upgrade !== 'websocket' || !connection.includes('upgrade')) return 'invalid-upgrade';
  if (headers['sec-websocket-accept'] !== computeAccept(handshake.key)) return 'invalid-accept';
  const chosen = headers['sec-websocket-protocol'];
  if (chosen !== undefined) {
    const offered = handshake.headers
      .filter(([name]) => name.toLowerCase() === 'sec-websocket-protocol')
      .flatMap(([, value]) => value.split(',').map((p) => p.trim()));
    if (!offered.includes(chosen)) return 'invalid-protocol';
  }
  return 'invalid-extension';
}

/** The proxy `target` goes through under `setting`, or undefined for a direct connection. */
function proxyFor(target: URL, setting: ProxySetting): URL | undefined {
  if (setting.mode === 'none') return undefined;
  if (setting.mode === 'url') return setting.url;
  const chosen = proxyFromEnv(target, setting.env);
  // Already checked when the options were resolved; parsed again here only to get the URL.
  return chosen === undefined ? undefined : parseProxyUrl(chosen.value, chosen.variable);
}

/**
 * TLS to the target over an open tunnel, with the same trust settings as a direct wss:// connection.
 * The certificate is checked against the target's name, never the proxy's.
 */
function secureTunnel(socket: Socket, target: URL, options: ResolvedClientOptions): tls.TLSSocket {
  const host = target.hostname.startsWith('[') ? target.hostname.slice(1, -1) : target.hostname;
  const secure = tls.connect({
    ...options.tls,
    ...(options.ca === undefined ? {} : { ca: options.ca }),
    rejectUnauthorized: options.rejectUnauthorized,
    // `host` is what the certificate is checked against when no servername is set; SNI may not carry an
    // IP address (RFC 6066 section 3), so an IP target sends none.
    host,
    servername: options.tls.servername ?? (isIP(host) === 0 ? host : undefined),
    socket,
  });
  // The TLS socket owns the tunnel from now on: whoever ends it ends both.
  secure.once('close', () => socket.destroy());
  return secure;
}

/** Headers that carry credentials; dropped when a redirect leaves the original origin. */
const CREDENTIAL_HEADERS = new Set(['authorization', 'cookie', 'proxy-authorization']);

/**
 * Performs the client opening handshake over HTTP(S): sends the GET with Upgrade, follows at most
 * `maxRedirects` redirects, and validates the 101 response through the codec. Everything (DNS, TCP,
 * TLS, every redirect hop, the response) shares one `handshakeTimeout` deadline.
 */
export function openUpgrade(
  start: URL,
  options: ResolvedClientOptions,
  negotiators: readonly ClientExtensionNegotiator[],
): Promise<OpenedUpgrade> {
  return new Promise<OpenedUpgrade>((resolve, reject) => {
    let settled = false;
    let current: http.ClientRequest | undefined;
    /** The tunnel (or TLS over it) while it is being opened, before a request owns it. */
    let pendingSocket: Socket | undefined;
    let currentUrl = start;
    let currentProxy: string | undefined;
    let redirects = 0;

    const finish = (error: Error | undefined, value?: OpenedUpgrade): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      if (error !== undefined) {
        current?.destroy();
        pendingSocket?.destroy();
        reject(error);
      } else {
        resolve(value as OpenedUpgrade);
      }
    };

    const timer = setTimeout(() => {
      finish(
        new WebSocketConnectError(
          'timeout',
          `opening handshake with ${currentUrl.href}${via()} did not complete within ${options.handshakeTimeout} ms`,
          { url: currentUrl.href, proxy: currentProxy },
        ),
      );
    }, options.handshakeTimeout);
    // A pending handshake must not keep an otherwise finished program alive past its own deadline, but it
    // should keep it alive until then: so the timer stays referenced (the socket is referenced anyway).

    /** ' through proxy http://host:port' while a proxy is in use, for messages. */
    const via = (): string => (currentProxy === undefined ? '' : ` through proxy ${currentProxy}`);

    const onAbort = (): void => {
      finish(
        new WebSocketConnectError('aborted', `connection to ${currentUrl.href} was aborted`, {
          url: currentUrl.href,
          proxy: currentProxy,
          cause: options.signal?.reason,
        }),
      );
    };
    if (options.signal?.aborted === true) {
      onAbort();
      return;
    }
    options.signal?.addEventListener('abort', onAbort, { once: true });

    let userHeaders: [string, string][] = [...options.headers];

    const attempt = (url: URL): void => {
      currentUrl = url;
      let handshake: ClientHandshake;
      try {
        handshake = createClientHandshake({
          host: url.host,
          path: `${url.pathname === '' ? '/' : url.pathname}${url.search}`,
          protocols: options.protocols,
          extensions: negotiators,
          headers: userHeaders,
          random: secureRandom,
        });
      } catch (error) {
        finish(error instanceof Error ? error : new Error(String(error)));
        return;
      }
      // Each hop chooses its own route: a redirect may lead to a host NO_PROXY lists, or to another scheme.
      let proxy: URL | undefined;
      try {
        proxy = proxyFor(url, options.proxy);
      } catch (error) {
        // The variables were checked when the options were resolved; this only keeps a throw inside a
        // response handler from escaping as an uncaught exception.
        finish(error instanceof Error ? error : new Error(String(error)));
        return;
      }
      currentProxy = proxy === undefined ? undefined : proxyLabel(proxy);
      if (proxy === undefined) {
        send(url, handshake, undefined);
        return;
      }
      const tunnel = openTunnel(proxy, url);
      pendingSocket = tunnel.socket;
      tunnel.ready.then(
        () => {
          if (settled) return;
          const socket = url.protocol === 'wss:' ? secureTunnel(tunnel.socket, url, options) : tunnel.socket;
          pendingSocket = socket;
          send(url, handshake, socket);
        },
        (error: unknown) => finish(error as Error),
      );
    };

    /** Sends the upgrade request: over `socket` (a tunnel) when given, else through the agent or directly. */
    const send = (url: URL, handshake: ClientHandshake, socket: Socket | undefined): void => {
      const { host, port } = socketAddress(url);
      const requestOptions: https.RequestOptions = {
        method: 'GET',
        host,
        port,
        path: `${url.pathname === '' ? '/' : url.pathname}${url.search}`,
        headers: headerObject(handshake.headers),
      };
      if (socket !== undefined) {
        // Node uses createConnection only when there is no agent; the socket is already connected.
        requestOptions.createConnection = () => socket;
      } else {
        // Without a user agent, no pooling: an upgraded socket leaves the agent anyway, and a shared
        // agent's socket limit would make unrelated connections queue behind each other.
        requestOptions.agent = options.agent ?? false;
      }
      if (url.protocol === 'wss:' && socket === undefined) {
        Object.assign(requestOptions, options.tls);
        if (options.ca !== undefined) requestOptions.ca = options.ca;
        requestOptions.rejectUnauthorized = options.rejectUnauthorized;
      }
      let request: http.ClientRequest;
      try {
        // Over a tunnel TLS is already set up (or not needed), so plain http writes the request.
        request = (url.protocol === 'wss:' && socket === undefined ? https : http).request(requestOptions);
      } catch (error) {
        // Node refuses an agent for the other scheme (an http.Agent for wss://, say) synchronously.
        const message = error instanceof Error ? error.message : String(error);
        finish(
          new WebSocketConnectError('network', `cannot connect to ${url.href}: ${message}`, {
            url: url.href,
            cause: error,
          }),
        );
        return;
      }
      current = request;

      request.on('error', (error: Error) => {
        if (current !== request) return;
        finish(
          new WebSocketConnectError('network', `cannot connect to ${url.href}${via()}: ${error.message}`, {
            url: url.href,
            proxy: currentProxy,
            cause: error,
          }),
        );
      });

      request.on('response', (response: http.IncomingMessage) => {
        const status = response.statusCode ?? 0;
        const statusMessage = response.statusMessage ?? '';
        const headers = headerPairs(response.rawHeaders);
        // The body is irrelevant; dropping the socket is cheaper than reading it.
        response.destroy();
        request.destroy();
        const location = response.headers.location;
        if (REDIRECT_STATUSES.has(status) && location !== undefined) {
          if (redirects >= options.maxRedirects) {
            finish(
              new WebSocketConnectError(
                'redirect',
                `${url.href} redirected (${status} ${statusMessage}) to ${location}, ` +
                  `but maxRedirects (${options.maxRedirects}) redirects were already followed`,
                { url: url.href, status, statusMessage, headers },
              ),
            );
            return;
          }
          let next: URL;
          try {
            next = new URL(location, url);
          } catch {
            finish(
              new WebSocketConnectError('redirect', `${url.href} redirected to an invalid URL ${JSON.stringify(location)}`, {
                url: url.href,
                status,
                statusMessage,
                headers,
              }),
            );
            return;
          }
          if (next.protocol === 'http:') next.protocol = 'ws:';
          else if (next.protocol === 'https:') next.protocol = 'wss:';
          if (next.protocol !== 'ws:' && next.protocol !== 'wss:') {
            finish(
              new WebSocketConnectError(
                'redirect',
                `${url.href} redirected to ${next.href}, which is not ws:, wss:, http: or https:`,
                {
                  url: url.href,
                  status,
                  statusMessage,
                  headers,
                },
              ),
            );
            return;
          }
          next.hash = '';
          if (next.origin !== url.origin) {
            // Credentials meant for one origin must not leak to wherever a redirect points.
            userHeaders = userHeaders.filter(([name]) => !CREDENTIAL_HEADERS.has(name.toLowerCase()));
          }
          redirects += 1;
          attempt(next);
          return;
        }
        finish(
          new WebSocketConnectError(
            'unexpected-status',
            `${url.href} answered ${status} ${statusMessage} instead of 101 Switching Protocols`,
            { url: url.href, status, statusMessage, headers },
          ),
        );
      });

      request.on('upgrade', (response: http.IncomingMessage, socket: Socket, head: Buffer) => {
        if (settled) {
          socket.destroy();
          return;
        }
        const headers = headerPairs(response.rawHeaders);
        const status = response.statusCode ?? 0;
        const statusMessage = response.statusMessage ?? '';
        if (status !== 101) {
          socket.destroy();
          finish(
            new WebSocketConnectError(
              'unexpected-status',
              `${url.href} answered ${status} ${statusMessage} instead of 101 Switching Protocols`,
              { url: url.href, status, statusMessage, headers },
            ),
          );
          return;
        }
        let agreed: { protocol: string | undefined; extensions: Extension[] };
        try {
          agreed = acceptClientHandshake(handshake, status, headers);
        } catch (error) {
          socket.destroy();
          const message = error instanceof Error ? error.message : String(error);
          finish(
            new WebSocketConnectError(
              classifyRejection(handshake, response.headers),
              `invalid handshake response from ${url.href}: ${message}`,
              { url: url.href, status, statusMessage, headers, cause: error },
            ),
          );
          return;
        }
        const extensionsValue = response.headers['sec-websocket-extensions'];
        finish(undefined, {
          socket,
          head,
          protocol: agreed.protocol ?? '',
          extensions: agreed.extensions,
          extensionsHeader: extensionsValue ?? '',
          url,
        });
      });

      request.end();
    };

    attempt(start);
  });
}
