/**
 * Target "ours": an echo server on @wsts/server's WebSocketServer, every limit set from the command line
 * (see knobs.ts), answering the suite's IPC requests. Echoes text as text and binary as binary.
 *
 *   node dist/targets/ours.js --memoryBudget N --heartbeatInterval MS ...   (all knobs required)
 */
import { WebSocketServer, type WebSocketServerOptions } from '@wsts/server';
import { KNOB_NAMES, parseKnobArgs, type TargetKnobs } from './knobs.js';
import { announce, openSockets, processMemory, serveIpc } from './serve-ipc.js';

const knobs = parseKnobArgs(process.argv.slice(2));

// Every knob is passed under our option names, including those a given build of the server may not
// know yet: the lead adds them on main, and this target must not need editing when they land.
const options: WebSocketServerOptions & Partial<TargetKnobs> = {
  port: 0,
  host: '127.0.0.1',
  perMessageDeflate: true,
  ...knobs,
};
const wss = new WebSocketServer(options);

wss.on('connection', (connection) => {
  connection.on('message', (data, isBinary) => {
    void connection.send(data, { binary: isBinary });
  });
});

/** The server's memory accounting, when this build has one: its numeric fields only. */
function memoryReport(): Record<string, number> | undefined {
  const memory: unknown = Reflect.get(wss, 'memory');
  if (typeof memory !== 'object' || memory === null) return undefined;
  const out: Record<string, number> = {};
  for (const [key, value] of Object.entries(memory)) if (typeof value === 'number') out[key] = value;
  return out;
}

/** One line per knob, saying how the server took it. */
function applied(): string[] {
  const hasMemory = memoryReport() !== undefined;
  return KNOB_NAMES.map((name) => {
    if (name === 'memoryBudget' && !hasMemory)
      return `${name}=${knobs[name]} (this build has no wss.memory: the budget is probably ignored)`;
    return `${name}=${knobs[name]}`;
  }).concat('perMessageDeflate=true');
}

serveIpc(async () => ({
  clients: wss.clients.size,
  sockets: wss.httpServer === undefined ? -1 : await openSockets(wss.httpServer),
  ...processMemory(),
  ...(memoryReport() === undefined ? {} : { memory: memoryReport() }),
}));

wss.on('listening', () => announce(wss.port ?? 0, applied()));
wss.on('error', (error) => {
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
});
