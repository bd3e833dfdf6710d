// Chat rooms on topics: each connection subscribes to its room, and a message goes to everyone else in it.
import { WebSocketServer } from '@wsts/server';

const wss = new WebSocketServer({
  port: Number(process.argv[2] ?? 8080),
  host: '127.0.0.1',
  // A subscriber with more than 256 KiB queued misses messages instead of slowing its room down.
  publishHighWaterMark: 256 * 1024,
});

wss.on('listening', () => console.log(`listening on ws://127.0.0.1:${wss.port}`));

wss.on('connection', (connection, request) => {
  const url = new URL(request.url ?? '/', 'http://localhost');
  const name = url.searchParams.get('name') ?? 'anonymous';
  let room = `room:${url.searchParams.get('room') ?? 'lobby'}`;
  connection.subscribe(room);
  // From the server: every subscriber of the room, the newcomer included.
  wss.publish(room, `${name} joined ${room}`);

  connection.on('message', (data, isBinary) => {
    const text = data.toString();
    if (!isBinary && text.startsWith('/join ')) {
      connection.unsubscribe(room);
      room = `room:${text.slice('/join '.length)}`;
      connection.subscribe(room);
      wss.publish(room, `${name} joined ${room}`);
      return;
    }
    // From a connection: every subscriber of the room but the sender. Framed once for all of them.
    const report = connection.publish(room, isBinary ? data : `${name}: ${text}`);
    if (report.skipped > 0) console.log(`${report.skipped} slow subscriber(s) missed a message in ${room}`);
  });

  // By now the connection has left its room, so this reaches the others only.
  connection.on('close', () => wss.publish(room, `${name} left`));
});

process.on('SIGTERM', () => void wss.close().then(() => process.exit(0)));
