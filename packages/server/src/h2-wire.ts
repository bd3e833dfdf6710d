/**
 * The HTTP/2 side of a WebSocket handshake (RFC 8441): the extended CONNECT checked by the codec,
 * answered with a 200 (or a refusal) on the stream, and the stream's end once the WebSocket is done.
 * @module
 */
import * as http from 'node:http';
import * as http2 from 'node:http2';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { acceptExtendedConnect } from '@wsts/protocol';
import { debug, debugEnabled } from './debug.js';
import { DEFAULTS } from './defaults.js';
import { type HeaderList, MAX_REASON } from './http-response.js';
import { type HandshakeWire, kindOfStatus } from './server-handshake.js';

const { NGHTTP2_NO_ERROR } = http2.constants;

/** Headers as `stream.respond` takes them: repeated names become arrays, names lower case. */
function headerObject(status: number, headers: HeaderList): http2.OutgoingHttpHeaders {
  const out: http2.OutgoingHttpHeaders = { ':status': status };
  for (let i = 0; i < headers.length; i++) {
    const name = headers[i]![0].toLowerCase();
    const value = headers[i]![1];
    const previous = out[name];
    if (previous === undefined) out[name] = value;
    else out[name] = Array.isArray(previous) ? [...previous, value] : [String(previous), value];
  }
  return out;
}

/** The extended CONNECT's wire: the stream handed over is a `ServerHttp2Stream`. */
export const http2Wire: HandshakeWire = {
  check(request, options) {
    const result = acceptExtendedConnect(request.headers, options);
    if (result.ok) return result;
    const versionRefused = result.headers.some((header) => header[0] === 'sec-websocket-version');
    const kind =
      result.status === 405
        ? 'method'
        : result.status === 501
          ? 'protocol'
          : versionRefused
            ? 'version'
            : kindOfStatus(result.status);
    return { ok: false, kind, status: result.status, reason: result.reason, headers: result.headers };
  },
  accept(socket, headers) {
    // Node validates names and values (and refuses HTTP/2's connection-specific headers) by throwing,
    // which the handshake turns into a 500 like an invalid header on HTTP/1.1.
    (socket as http2.ServerHttp2Stream).respond(headerObject(200, headers), { endStream: false });
  },
  reject: rejectStream,
};

/**
 * Refuses an extended CONNECT: `status` with `reason` as a plain-text body, then the stream ends; one
 * that does not flush within `refusalFlushTimeout` is reset. Other streams of the connection go on.
 */
export function rejectStream(socket: Duplex, status: number, reason: string, headers: HeaderList = []): void {
  const stream = socket as http2.ServerHttp2Stream;
  if (debugEnabled) debug(`HTTP/2 handshake on stream ${String(stream.id)} refused: ${status} ${reason}`);
  stream.on('error', ignore);
  if (stream.destroyed || stream.closed) return;
  if (stream.headersSent || !stream.writable) {
    stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
    return;
  }
  const text = reason.length > MAX_REASON ? `${reason.slice(0, MAX_REASON)}...` : reason;
  const body = text.endsWith('\n') ? text : `${text}\n`;
  const head = headerObject(status, headers);
  head['content-type'] = 'text/plain; charset=utf-8';
  head['content-length'] = Buffer.byteLength(body);
  stream.respond(head);
  resetWhenEnded(stream);
  stream.end(body);
  const timer = setTimeout(() => stream.close(http2.constants.NGHTTP2_CANCEL), DEFAULTS.refusalFlushTimeout);
  timer.unref();
  stream.once('close', () => clearTimeout(timer));
}

function ignore(): void {}

/**
 * Ends a WebSocket's stream once our side of it is ended and flushed (END_STREAM sent, after our close
 * frame): RST_STREAM with NO_ERROR, which RFC 9113 section 8.1 allows after a complete response. WHY:
 * a WebSocket is over once both close frames are exchanged, but some browsers (Firefox) never end
 * their side of the stream; waiting for them would hold the stream (and its slot under
 * SETTINGS_MAX_CONCURRENT_STREAMS) until `closeTimeout`, and report every close as unclean.
 */
export function resetWhenEnded(stream: http2.ServerHttp2Stream): void {
  stream.once('finish', closeFinished);
}

function closeFinished(this: http2.ServerHttp2Stream): void {
  if (!this.closed && !this.destroyed) this.close(NGHTTP2_NO_ERROR);
}

/**
 * The extended CONNECT as an `http.IncomingMessage`, so that `authorize`, `selectProtocol`, 'headers'
 * and 'connection' see one request type whichever HTTP version the WebSocket came over: `httpVersion`
 * '2.0', `method` 'CONNECT', `url` the `:path`, `headers` Node's (pseudo-headers included, `host`
 * filled from `:authority` when absent), `socket` the HTTP/2 session's socket (for `remoteAddress` and
 * `encrypted`; reading or writing it is refused by Node).
 */
export function requestOfStream(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): http.IncomingMessage {
  const socket = stream.session?.socket as Socket | undefined;
  const request = new http.IncomingMessage(socket as Socket);
  request.httpVersion = '2.0';
  request.httpVersionMajor = 2;
  request.httpVersionMinor = 0;
  request.method = String(headers[':method'] ?? '');
  request.url = String(headers[':path'] ?? '/');
  const copy: http.IncomingHttpHeaders = { ...headers };
  const authority = headers[':authority'];
  if (copy.host === undefined && typeof authority === 'string') copy.host = authority;
  request.headers = copy;
  const raw: string[] = [];
  for (const name of Object.keys(copy)) {
    const value = copy[name];
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) raw.push(name, v);
    else raw.push(name, String(value));
  }
  request.rawHeaders = raw;
  request.complete = true;
  // No body: the stream's bytes are the WebSocket's.
  request.push(null);
  return request;
}
