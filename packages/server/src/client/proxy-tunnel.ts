/**
 * An HTTP/1.1 `CONNECT` tunnel through a proxy (RFC 9110 section 9.3.6): TCP to the proxy, `CONNECT
 * host:port`, and on a 2xx answer the socket is a byte pipe to the target. The WebSocket handshake (and
 * for wss:// the TLS handshake before it) then runs over that socket as if it were direct.
 * @module
 */
import { maxHeaderSize } from 'node:http';
import * as net from 'node:net';
import { WebSocketConnectError } from './errors.js';

/** The proxy as shown in messages and errors: scheme, host and port, never the credentials. */
export function proxyLabel(proxy: URL): string {
  return `${proxy.protocol}//${proxy.host}`;
}

/**
 * Checks a proxy URL and returns it parsed. Only http: proxies are supported: TLS to the proxy itself
 * (an https: proxy URL) is refused with a TypeError saying so, as is any other scheme. `source` names
 * the option or environment variable the value came from. The value is not echoed when it does not
 * parse, since it may hold a password.
 */
export function parseProxyUrl(value: string | URL, source: string): URL {
  let url: URL;
  try {
    url = new URL(String(value));
  } catch {
    throw new TypeError(`${source} is not a valid URL (expected http://[user:password@]host[:port])`);
  }
  if (url.protocol === 'https:') {
    throw new TypeError(
      `${source}: https: proxies (TLS to the proxy itself) are not supported; use an http: proxy URL ` +
        '(wss:// targets are still encrypted end to end through it), or an agent that speaks to that proxy',
    );
  }
  if (url.protocol !== 'http:') {
    throw new TypeError(`${source}: proxy scheme ${url.protocol} is not supported; only http: CONNECT proxies are`);
  }
  if (url.hostname === '') throw new TypeError(`${source}: the proxy URL has no host`);
  return url;
}

/** `Proxy-Authorization: Basic` value from the URL's credentials, or undefined when it carries none. */
function proxyAuthorization(proxy: URL): string | undefined {
  if (proxy.username === '' && proxy.password === '') return undefined;
  const user = decodeURIComponent(proxy.username);
  const password = decodeURIComponent(proxy.password);
  return `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`;
}

/** A tunnel being opened: `socket` is to the proxy (destroy it to give up); `ready` settles once it is usable. */
export interface PendingTunnel {
  readonly socket: net.Socket;
  /** Resolves when the proxy answered 2xx; rejects with a WebSocketConnectError of a `proxy-*` kind. */
  readonly ready: Promise<void>;
}

interface ParsedAnswer {
  readonly status: number;
  readonly statusMessage: string;
  readonly headers: [string, string][];
}

/** Parses the proxy's answer head (status line and headers, without the blank line); undefined if malformed. */
function parseAnswer(head: string): ParsedAnswer | undefined {
  const lines = head.split('\r\n');
  const match = /^HTTP\/1\.[01] (\d{3})(?: (.*))?$/.exec(lines[0] ?? '');
  if (match === null) return undefined;
  const headers: [string, string][] = [];
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0) return undefined;
    headers.push([line.slice(0, colon).trim(), line.slice(colon + 1).trim()]);
  }
  return { status: Number(match[1]), statusMessage: match[2] ?? '', headers };
}

/**
 * Connects to `proxy` and asks it for a tunnel to `target` (a ws: or wss: URL; its port, or the scheme's
 * default). The caller owns the returned socket: it destroys it on timeout or abort, and hands it to the
 * handshake once `ready` resolves.
 */
export function openTunnel(proxy: URL, target: URL): PendingTunnel {
  const label = proxyLabel(proxy);
  const proxyPort = proxy.port === '' ? 80 : Number(proxy.port);
  const proxyHost = proxy.hostname.startsWith('[') ? proxy.hostname.slice(1, -1) : proxy.hostname;
  const targetPort = target.port === '' ? (target.protocol === 'wss:' ? 443 : 80) : Number(target.port);
  // `hostname` keeps IPv6 brackets, which the authority form needs.
  const authority = `${target.hostname}:${targetPort}`;
  const socket = net.connect({ host: proxyHost, port: proxyPort });
  const ready = new Promise<void>((resolve, reject) => {
    let received = Buffer.alloc(0);
    let done = false;
    const fail = (error: WebSocketConnectError): void => {
      if (done) return;
      done = true;
      cleanup();
      socket.destroy();
      reject(error);
    };
    const onConnect = (): void => {
      const lines = [`CONNECT ${authority} HTTP/1.1`, `Host: ${authority}`];
      const authorization = proxyAuthorization(proxy);
      if (authorization !== undefined) lines.push(`Proxy-Authorization: ${authorization}`);
      socket.write(`${lines.join('\r\n')}\r\n\r\n`);
    };
    const onData = (chunk: Buffer): void => {
      received = Buffer.concat([received, chunk]);
      const end = received.indexOf('\r\n\r\n');
      if (end === -1) {
        // Node's own limit for response heads (--max-http-header-size) bounds what a proxy may send.
        if (received.length > maxHeaderSize) {
          fail(
            new WebSocketConnectError(
              'proxy-protocol',
              `proxy ${label} sent an answer to CONNECT longer than ${maxHeaderSize} bytes`,
              {
                url: target.href,
                proxy: label,
              },
            ),
          );
        }
        return;
      }
      const answer = parseAnswer(received.subarray(0, end).toString('latin1'));
      if (answer === undefined) {
        fail(
          new WebSocketConnectError('proxy-protocol', `proxy ${label} did not answer CONNECT with an HTTP/1.x response`, {
            url: target.href,
            proxy: label,
          }),
        );
        return;
      }
      const { status, statusMessage, headers } = answer;
      if (status < 200 || status > 299) {
        const why =
          status === 407
            ? proxyAuthorization(proxy) === undefined
              ? ': it requires authentication; put the credentials in the proxy URL (http://user:password@host:port)'
              : ': it rejected the credentials in the proxy URL'
            : '';
        fail(
          new WebSocketConnectError(
            'proxy-refused',
            `proxy ${label} refused CONNECT ${authority} with ${status} ${statusMessage}${why}`,
            { url: target.href, proxy: label, status, statusMessage, headers },
          ),
        );
        return;
      }
      if (received.length > end + 4) {
        // Neither HTTP nor TLS lets the server speak first, so these bytes can only be the proxy's.
        fail(
          new WebSocketConnectError('proxy-protocol', `proxy ${label} sent data after its ${status} answer to CONNECT`, {
            url: target.href,
            proxy: label,
            status,
            statusMessage,
            headers,
          }),
        );
        return;
      }
      done = true;
      cleanup();
      resolve();
    };
    const onError = (error: Error): void => {
      fail(
        new WebSocketConnectError('proxy-unreachable', `cannot reach proxy ${label}: ${error.message}`, {
          url: target.href,
          proxy: label,
          cause: error,
        }),
      );
    };
    const onClose = (): void => {
      fail(
        new WebSocketConnectError('proxy-unreachable', `proxy ${label} closed the connection before answering CONNECT`, {
          url: target.href,
          proxy: label,
        }),
      );
    };
    const cleanup = (): void => {
      socket.off('connect', onConnect);
      socket.off('data', onData);
      socket.off('error', onError);
      socket.off('close', onClose);
    };
    socket.on('connect', onConnect);
    socket.on('data', onData);
    socket.on('error', onError);
    socket.on('close', onClose);
  });
  return { socket, ready };
}
