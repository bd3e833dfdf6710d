import type * as http from 'node:http';

/** Our own server's answer to plain HTTP requests: this port speaks WebSocket only. */
export function answerPlainRequest(request: http.IncomingMessage, response: http.ServerResponse): void {
  const get = request.method === 'GET' || request.method === 'HEAD';
  response.writeHead(get ? 400 : 405, {
    'Content-Type': 'text/plain; charset=utf-8',
    // HTTP/2 (our server with the http2 option) forbids connection-specific headers.
    ...(request.httpVersionMajor >= 2 ? {} : { Connection: 'close' }),
    ...(get ? {} : { Allow: 'GET' }),
  });
  response.end(get ? 'Expected a WebSocket handshake (Upgrade: websocket)\n' : `Method ${request.method ?? ''} not allowed\n`);
}
