// Two WebSocket endpoints on one existing HTTP server, chosen by path, with an async authorization
// hook and subprotocol selection. Plain HTTP requests keep working on the same port.
import * as http from 'node:http';
import { WebSocketServer } from '@wsts/server';

const server = http.createServer((_request, response) => response.end('plain HTTP still works here\n'));

// /chat: needs ?token=secret and speaks "chat.v1"; every message goes to every chat client.
const chat = new WebSocketServer({
  server,
  path: '/chat',
  selectProtocol: (offered) => (offered.includes('chat.v1') ? 'chat.v1' : undefined),
  authorize: async (request, { origin }) => {
    const token = new URL(request.url ?? '/', 'http://localhost').searchParams.get('token');
    if (token !== 'secret') return { status: 401, reason: 'token required', headers: [['WWW-Authenticate', 'Bearer']] };
    if (origin !== undefined && origin !== 'https://chat.example') return { status: 403, reason: 'origin not allowed' };
    return true;
  },
});
chat.on('connection', (connection) => {
  connection.on('message', (data, isBinary) => {
    for (const client of chat.clients) void client.send(data, { binary: isBinary });
  });
});

// /time: pushes the time every 100 ms until the client goes away.
const time = new WebSocketServer({ server, path: '/time' });
time.on('connection', (connection) => {
  const timer = setInterval(() => void connection.send(new Date().toISOString()), 100);
  connection.on('close', () => clearInterval(timer));
});

server.listen(Number(process.argv[2] ?? 8080), '127.0.0.1', () => {
  const { port } = server.address() as { port: number };
  console.log(`listening on ws://127.0.0.1:${port}`);
});

process.on('SIGTERM', async () => {
  await Promise.all([chat.close(), time.close()]);
  server.close(() => process.exit(0));
});
