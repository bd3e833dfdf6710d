/**
 * The fan-out servers: one publisher connection (path `/pub`), every other connection a subscriber;
 * each message from the publisher goes to every subscriber. `--impl ours` uses `server.publish` on a
 * topic; `--impl ws` is what a ws user writes, a loop over `clients` calling `send`. No compression and
 * no heartbeat on either side. Prints `listening on ws://127.0.0.1:N` like the echo servers.
 *
 * `--impl ours --redis URL` adds `@wsts/redis`'s broker, for the rows with several server processes:
 * each publish then also goes to Redis, and what other processes publish arrives from it. Such a server
 * prints its `listening` line only once both of the broker's connections are up, so the bench never
 * publishes into a broker that would drop the message.
 */
import { redisBroker } from '@wsts/redis';
import { WebSocketServer as OurServer } from '@wsts/server';
import { WebSocketServer as WsServer } from 'ws';
import { announceListening, exitOnSignals, portOf } from './server-cli.js';

/** ws's `WebSocket.OPEN`. */
const OPEN = 1;

const args = process.argv.slice(2);
const impl = args[args.indexOf('--impl') + 1];
const redisUrl = args.includes('--redis') ? args[args.indexOf('--redis') + 1] : undefined;

if (impl === 'ours') {
  const broker = redisUrl === undefined ? undefined : redisBroker({ url: redisUrl });
  const server = new OurServer({
    host: '127.0.0.1',
    port: 0,
    perMessageDeflate: false,
    heartbeatInterval: 0,
    ...(broker ? { broker } : {}),
  });
  server.on('connection', (connection, request) => {
    if (request.url === '/pub') {
      connection.on('message', (data, isBinary) => server.publish('room', data, { binary: isBinary }));
    } else {
      connection.subscribe('room');
    }
  });
  server.on('listening', () => {
    if (broker === undefined) return announceListening(server.port);
    const deadline = Date.now() + 10_000;
    const poll = setInterval(() => {
      if (broker.stats.connected) {
        clearInterval(poll);
        announceListening(server.port);
      } else if (Date.now() > deadline) {
        process.stderr.write(`the Redis broker did not connect to ${redisUrl} within 10 s\n`);
        process.exit(1);
      }
    }, 10);
  });
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
  server.on('listening', () => announceListening(portOf(server.address())));
} else {
  process.stderr.write('usage: fanout-server --impl ours [--redis URL] | --impl ws\n');
  process.exit(2);
}
exitOnSignals();
