// The promise API: connect() resolves with the same WebSocketConnection a WebSocketServer hands out.
// Talks to the seed's example server (`pnpm start`, port 8000): it greets, then thanks for each message.
import { connect } from '@wsts/server';

const url = process.argv[2] ?? 'ws://127.0.0.1:8000';
const connection = await connect(url, { handshakeTimeout: 5_000 });
// Start reading before the next await: like an EventEmitter without listeners, a connection that nobody
// reads drops its messages, and this server greets us right away.
const messages = connection.messages();

await connection.send('Hello from Node'); // resolves once the bytes are handed to the kernel

let received = 0;
for await (const message of messages) {
  console.log(`received: ${message.text}`);
  if (++received === 2) break; // the welcome line, then the reply to our message
}

connection.close(1000, 'done');
connection.on('close', (code, _reason, wasClean) => console.log(`closed: ${code} clean=${wasClean}`));
