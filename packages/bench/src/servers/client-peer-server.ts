/**
 * The client rows' peer as a process: `node client-peer-server.js --port 0`; prints
 * `listening on ws://127.0.0.1:N` like the other servers. See client-peer.ts for what it serves.
 */
import { createClientPeer } from './client-peer.js';
import { announceListening, exitOnSignals, numberFlag, portOf } from './server-cli.js';

const server = createClientPeer();
server.listen(numberFlag('--port', 0), '127.0.0.1', () => announceListening(portOf(server.address())));
exitOnSignals();
