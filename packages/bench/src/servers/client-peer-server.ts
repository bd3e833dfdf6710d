/**
 * The client rows' peer as a process: `node client-peer-server.js --port 0`; prints
 * `listening on ws://127.0.0.1:N` like the other servers. See client-peer.ts for what it serves.
 */
import { createClientPeer } from './client-peer.js';

const args = process.argv.slice(2);
const portIndex = args.indexOf('--port');
const server = createClientPeer();
server.listen(portIndex >= 0 ? Number(args[portIndex + 1]) : 0, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`listening on ws://127.0.0.1:${typeof address === 'object' && address ? address.port : ''}\n`);
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => process.exit(0));
