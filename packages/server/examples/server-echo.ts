// A WebSocket server on its own port that echoes every message, read with the async iterator.
import { WebSocketServer } from '@wsts/server';

const wss = new WebSocketServer({ port: Number(process.argv[2] ?? 8080), host: '127.0.0.1' });

wss.on('listening', () => console.log(`listening on ws://127.0.0.1:${wss.port}`));

wss.on('connection', async (connection, request) => {
  console.log(`connected: ${request.url}`);
  // Reading pauses while this loop lags behind, so a fast sender cannot make us buffer without bound.
  for await (const message of connection) {
    // Awaiting the send is backpressure: it resolves once the bytes are handed to the kernel.
    await connection.send(message.data, { binary: message.binary });
  }
  console.log(`disconnected, ${wss.clients.size} left`);
});

// server.close() sends 1001 (Going Away) to every client and resolves when all are gone.
process.on('SIGTERM', () => void wss.close().then(() => process.exit(0)));
