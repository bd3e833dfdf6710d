/**
 * The fan-out servers: one publisher connection (path `/pub`), every other connection a subscriber;
 * each message from the publisher goes to every subscriber. `--impl ours` uses `server.publish` on a
 * topic; `--impl ws` is what a ws user writes, a loop over `clients` calling `send`. No compression and
 * no heartbeat on either side. Prints `listening on ws://127.0.0.1:N` like the echo servers.
 */
import { WebSocketServer as OurServer } from '@wsts/server';
import { WebSocketServer as WsServer } from 'ws';

/** ws's `WebSocket.OPEN`. */
const OPEN = 1;

const args = process.argv.slice(2);
const impl = args[args.indexOf('--impl') + 1];
const listening = (port: number | undefined): void => {
  process.stdout.write(`listening on ws://127.0.0.1:${port}\n`);
};

if (impl === 'ours') {
  const server = new OurServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false, heartbeatInterval: 0 });
  server.on('connection', (connection, request) => {
    if (request.url === '/pub') {
      connection.on('message', (data, isBinary) => server.publish('room', data, { binary: isBinary }));
    } else {
      connection.subscribe('room');
    }
  });
  server.on('listening', () => listening(server.port));
} else if (impl === 'ws') {
  const server = new WsServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false, maxPayload: 64 * 1024 * 1024 });
  server.on('connection', (socket, request) => {
    socket.on('error', () => {});
    if (request.url !== '/pub') return;
    socket.on('message', (data, isBinary) => {
      for (const client of server.clients) {
        if (client !== socket && client.readyState === OPEN) client.send(data, { binary: isBinary });
      }
    });
  });
  server.on('listening', () => {
    const address = server.address();
    listening(typeof address === 'string' ? undefined : address.port);
  });
} else {
  process.stderr.write('usage: fanout-server --impl ours|ws\n');
  process.exit(2);
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => process.exit(0));
