/**
 * Target "ws": the same echo on ws 8, written as a careful ws user would, with the knobs ws has an
 * equivalent for: maxPayload for maxMessageSize, the HTTP server's header timeouts for handshakeTimeout,
 * and the ping/terminate loop from ws's README for heartbeatInterval. ws has no server-wide budget, no
 * per-connection output cap, no message timeout, no fragment cap, and a fixed 30 s closing timeout; the
 * knobs it cannot take are listed in its banner rather than silently dropped.
 */
import { createServer } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import { KNOB_NAMES, parseKnobArgs } from './knobs.js';
import { announce, openSockets, processMemory, serveIpc } from './serve-ipc.js';

const knobs = parseKnobArgs(process.argv.slice(2));

const server = createServer({
  headersTimeout: knobs.handshakeTimeout,
  requestTimeout: knobs.handshakeTimeout,
  // Node checks the two timeouts above only this often (30 s by default): without it they would not bite.
  connectionsCheckingInterval: Math.max(100, Math.min(1000, Math.floor(knobs.handshakeTimeout / 2))),
});
server.on('request', (_request, response) => {
  response.writeHead(426, { 'content-type': 'text/plain' });
  response.end('WebSocket only\n');
});

const wss = new WebSocketServer({ server, maxPayload: knobs.maxMessageSize, perMessageDeflate: true });
const alive = new WeakSet<WebSocket>();

wss.on('connection', (socket) => {
  alive.add(socket);
  socket.on('pong', () => alive.add(socket));
  socket.on('message', (data, isBinary) => socket.send(data as Buffer, { binary: isBinary }));
  socket.on('error', () => {});
});

// ws's own heartbeat recipe: a client that did not answer the previous ping is terminated.
const heartbeat = setInterval(() => {
  for (const socket of wss.clients) {
    if (!alive.has(socket)) {
      socket.terminate();
      continue;
    }
    alive.delete(socket);
    try {
      socket.ping();
    } catch {
      socket.terminate();
    }
  }
}, knobs.heartbeatInterval);
heartbeat.unref();

const equivalents: Record<(typeof KNOB_NAMES)[number], string> = {
  memoryBudget: 'no equivalent in ws (ignored)',
  maxBufferedAmount: 'no equivalent in ws (ignored)',
  maxMessageSize: 'as maxPayload',
  maxFragments: 'no equivalent in ws (ignored)',
  handshakeTimeout: 'as the HTTP server headersTimeout and requestTimeout',
  closeTimeout: 'not configurable in ws (fixed 30 s)',
  heartbeatInterval: 'as a ping/terminate loop (pong-based)',
  messageTimeout: 'no equivalent in ws (ignored)',
};

serveIpc(async () => ({ clients: wss.clients.size, sockets: await openSockets(server), ...processMemory() }));

server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  announce(port, KNOB_NAMES.map((name) => `${name}=${knobs[name]}: ${equivalents[name]}`).concat('perMessageDeflate=true'));
});
