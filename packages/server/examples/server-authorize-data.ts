// authorize accepts with data: the user a token names travels to the connection as `connection.data`,
// typed by the server's type argument. Refused handshakes are reported on 'handshakeRefused', and
// close() says how the shutdown went.
import { WebSocketServer } from '@wsts/server';

interface User {
  name: string;
  admin: boolean;
}

// Stands in for a session store. The token comes in the query: a browser cannot set headers on a WebSocket.
const sessions = new Map<string, User>([
  ['t-ada', { name: 'ada', admin: true }],
  ['t-bob', { name: 'bob', admin: false }],
]);

const wss = new WebSocketServer<User>({
  port: Number(process.argv[2] ?? 8080),
  host: '127.0.0.1',
  authorize: async (request) => {
    const token = new URL(request.url ?? '/', 'http://localhost').searchParams.get('token');
    const user = token === null ? undefined : sessions.get(token);
    return user === undefined ? { status: 401, reason: 'unknown token' } : { data: user };
  },
});

wss.on('listening', () => console.log(`listening on ws://127.0.0.1:${wss.port}`));

wss.on('connection', (connection) => {
  const user = connection.data; // a User, as WebSocketServer<User> says
  void connection.send(`welcome ${user.name}${user.admin ? ' (admin)' : ''}`);
  connection.on('message', (data) => {
    for (const client of wss.clients) void client.send(`${user.name}: ${data.toString()}`);
  });
});

wss.on('handshakeRefused', (error) => console.log(`refused ${error.status} ${error.reason} (${error.kind})`));

process.on('SIGTERM', async () => {
  const { clean, terminated } = await wss.close({ timeout: 2_000 });
  console.log(`closed: ${clean} clean, ${terminated} terminated`);
  process.exit(0);
});
