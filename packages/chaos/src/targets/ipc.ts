/**
 * The IPC conversation between the suite and a target process. The suite asks; the target answers with
 * the figures only it can know (how many connections it still holds, its own memory accounting).
 */

/** What a target holds right now. */
export interface ServerStats {
  /** Open WebSocket connections (the server's `clients` set). */
  clients: number;
  /** TCP sockets the HTTP server still holds, handshaking or upgraded (`server.getConnections`). */
  sockets: number;
  /** Resident set size as the target sees it (process.memoryUsage). */
  rss: number;
  /** V8 heap in use and reserved, and memory outside it (Buffers), from process.memoryUsage: what the RSS is made of. */
  heapUsed: number;
  heapTotal: number;
  external: number;
  /** The server's own memory accounting (our `wss.memory`), numeric fields only; absent for ws. */
  memory?: Record<string, number>;
}

export type Request = { type: 'stats'; id: number } | { type: 'gc'; id: number };

export type Reply =
  | { type: 'listening'; port: number; applied: string[] }
  | { type: 'stats'; id: number; stats: ServerStats }
  | { type: 'gc-done'; id: number; collected: boolean };

export function isRequest(value: unknown): value is Request {
  if (typeof value !== 'object' || value === null) return false;
  const type: unknown = Reflect.get(value, 'type');
  return (type === 'stats' || type === 'gc') && typeof Reflect.get(value, 'id') === 'number';
}

export function isReply(value: unknown): value is Reply {
  if (typeof value !== 'object' || value === null) return false;
  const type: unknown = Reflect.get(value, 'type');
  return type === 'listening' || type === 'stats' || type === 'gc-done';
}
