/**
 * Bun's built-in WebSocket server as the fan-out server (see fanout-server.ts for the contract): the
 * connection on path `/pub` is the publisher, every other connection subscribes to one topic in `open`,
 * and each message from the publisher goes out with `server.publish(topic, message)`, uWebSockets'
 * own pub/sub. Run by the bun binary: `bun dist/servers/bun-fanout.js`. No compression, no pings, no idle
 * timeout (as ws and ours), payload limit 64 MiB as ws's.
 */
import { announceListening, exitOnSignals } from './server-cli.js';

interface Role {
  publisher: boolean;
}

const server = Bun.serve<Role>({
  hostname: '127.0.0.1',
  port: 0,
  fetch(request, server) {
    const publisher = new URL(request.url).pathname === '/pub';
    if (server.upgrade<Role>(request, { data: { publisher } })) return undefined;
    return new Response('WebSocket only\n', { status: 426 });
  },
  websocket: {
    open(ws) {
      if (!ws.data.publisher) ws.subscribe('room');
    },
    message(_ws, message) {
      server.publish('room', message);
    },
    perMessageDeflate: false,
    maxPayloadLength: 64 * 1024 * 1024,
    idleTimeout: 0,
    sendPings: false,
  },
});
announceListening(server.port);
exitOnSignals();
