/**
 * What went wrong while opening a client connection. Each value names one failure so callers can
 * branch on it without parsing messages.
 */
export type ConnectFailure =
  /** The URL is not ws:, wss:, http: or https:, has a fragment, or cannot be parsed. */
  | 'invalid-url'
  /** A subprotocol is not an RFC 7230 token or is offered twice. */
  | 'invalid-protocols'
  /** DNS, TCP or TLS failed before a response arrived (see `cause`). */
  | 'network'
  /** No complete handshake within `handshakeTimeout` milliseconds. */
  | 'timeout'
  /** The server answered with a status other than 101 (and not a redirect we follow). */
  | 'unexpected-status'
  /** The server redirected more than `maxRedirects` times, or to a URL we cannot follow. */
  | 'redirect'
  /** 101 without `Upgrade: websocket` / `Connection: upgrade`. */
  | 'invalid-upgrade'
  /** `Sec-WebSocket-Accept` is missing or does not match our key. */
  | 'invalid-accept'
  /** `Sec-WebSocket-Protocol` names a subprotocol we did not offer (or several). */
  | 'invalid-protocol'
  /** `Sec-WebSocket-Extensions` names an extension we did not offer, or parameters we cannot accept. */
  | 'invalid-extension'
  /** The attempt was cancelled (AbortSignal, or WebSocket.close() while connecting). */
  | 'aborted'
  /** The proxy could not be reached, or dropped the connection before answering `CONNECT` (see `cause`). */
  | 'proxy-unreachable'
  /** The proxy answered `CONNECT` with a status other than 2xx (407: authentication; see `status`). */
  | 'proxy-refused'
  /** The proxy's answer to `CONNECT` was not a well-formed HTTP/1.x response, or data followed it. */
  | 'proxy-protocol';

/** Details carried by a {@link WebSocketConnectError}. */
export interface ConnectErrorDetails {
  /** The URL being connected to when the failure happened (after redirects). */
  readonly url?: string;
  /** The HTTP status of the server's (or, for `proxy-refused`, the proxy's) response, when one arrived. */
  readonly status?: number;
  /** The HTTP status text of the server's response, when one arrived. */
  readonly statusMessage?: string;
  /** The response headers, as [name, value] pairs, when a response arrived. */
  readonly headers?: [string, string][];
  /** The underlying error (socket error, codec HandshakeError...). */
  readonly cause?: unknown;
  /** The proxy the connection went through (scheme, host and port; never credentials). */
  readonly proxy?: string;
}

/**
 * A client connection that could not be opened. `kind` says which step failed; the message says what
 * exactly was wrong (e.g. the status line the server sent, or the header value it did not match).
 */
export class WebSocketConnectError extends Error {
  override readonly name = 'WebSocketConnectError';
  readonly kind: ConnectFailure;
  readonly url: string | undefined;
  readonly status: number | undefined;
  readonly statusMessage: string | undefined;
  readonly headers: [string, string][];
  /** The proxy in use when it failed (`http://host:port`, no credentials); undefined for a direct route. */
  readonly proxy: string | undefined;

  constructor(kind: ConnectFailure, message: string, details: ConnectErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.kind = kind;
    this.url = details.url;
    this.status = details.status;
    this.statusMessage = details.statusMessage;
    this.headers = details.headers ?? [];
    this.proxy = details.proxy;
  }
}
