// Two WebSocket servers (as two processes of one deployment would be) sharing their topics through
// Redis: a client of the first server receives what the second server publishes.
//
//   node dist-examples/two-servers.js [redis://127.0.0.1:6379]
//
// It skips itself (exit 0, with the reason) when Redis is not reachable.
import { connect, WebSocketServer } from '@wsts/server';
import { redisBroker } from '@wsts/redis';

const url = process.argv[2] ?? 'redis://127.0.0.1:6379';

async function startServer(name: string): Promise<WebSocketServer> {
  const broker = redisBroker({
    url,
    onEvent: (event) => console.log(`${name}: redis ${event.type} (${event.connection})`),
  });
  const server = new WebSocketServer({ port: 0, host: '127.0.0.1', broker });
  // Every client of either server joins the "news" topic.
  server.on('connection', (connection) => connection.subscribe('news'));
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  // Wait (bounded) for Redis: without it each server still serves its own subscribers.
  for (let waited = 0; !broker.stats.connected; waited += 50) {
    if (waited > 3_000) {
      await server.close();
      console.log(`skipped: no Redis at ${url}`);
      process.exit(0);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return server;
}

const first = await startServer('first');
const second = await startServer('second');

const client = await connect(`ws://127.0.0.1:${first.port}`, { handshakeTimeout: 5_000 });
const messages = client.messages();
// The subscription reaches Redis in the background; publish until the first message arrives.
const timer = setInterval(() => second.publish('news', 'published by the second server'), 100);
const { value } = await messages.next();
clearInterval(timer);
console.log(`client of the first server received: ${value?.text}`);

client.close(1000, 'done');
await Promise.all([first.close(), second.close()]);
