/**
 * One chat process: an HTTP server that serves the page at `/` and WebSockets at `/room/NAME`, with
 * each room a topic (`room:NAME`) of a {@link WebSocketServer}. With a Redis URL the topics reach
 * every other chat process on the same Redis (other cluster workers, other machines).
 * @module
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { type RedisBroker, type RedisBrokerEvent, redisBroker } from '@wsts/redis';
import { type CloseReport, WebSocketServer } from '@wsts/server';
import { CHAT_DEFAULTS, type ChatLimits, type Member, parseJoin } from './limits.js';
import { chatPage } from './page.js';

/** Options of {@link createChatServer}. */
export interface ChatServerOptions {
  /** Redis URL (`redis://host:port`) to share rooms with every other chat process on it; none: this process alone. */
  redis?: string | undefined;
  /** Largest chat message in bytes (UTF-8); a larger one closes its sender's connection with 1009. Default 4096. */
  maxMessageBytes?: number | undefined;
  /** Longest room name in characters. Default 64. */
  maxRoomLength?: number | undefined;
  /** Longest member name in characters. Default 32. */
  maxNameLength?: number | undefined;
  /** Told of the Redis broker's connects, disconnects and errors (for logs). */
  onBrokerEvent?: ((event: RedisBrokerEvent) => void) | undefined;
}

const OPTION_NAMES: ReadonlySet<string> = new Set<keyof ChatServerOptions>([
  'redis',
  'maxMessageBytes',
  'maxRoomLength',
  'maxNameLength',
  'onBrokerEvent',
]);

/** What a member's message becomes on the wire: JSON text, the same for every member of the room. */
export interface ChatMessage {
  readonly name: string;
  readonly text: string;
}

/** The topic of room `room`. */
export function roomTopic(room: string): string {
  return `room:${room}`;
}

function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  const resolved = value ?? fallback;
  if (!Number.isSafeInteger(resolved) || resolved < 1)
    throw new RangeError(`chat: ${name} must be a positive integer, got ${value}`);
  return resolved;
}

/** A chat process's server: `listen()` it, `close()` it. */
export interface ChatServer {
  readonly http: http.Server;
  readonly wss: WebSocketServer<Member>;
  /** The Redis broker, when running with `redis`. */
  readonly broker: RedisBroker | undefined;
  readonly limits: ChatLimits;
  /** Listens on `port` (0: any free port) and `host`; resolves with the address. */
  listen(port: number, host: string): Promise<AddressInfo>;
  /** Closes every member's connection with 1001 (Going Away), then the broker and the HTTP server. */
  close(): Promise<CloseReport>;
}

/** Creates a chat server. Throws a TypeError for an unknown option and a RangeError for a bad limit. */
export function createChatServer(options: ChatServerOptions = {}): ChatServer {
  for (const name of Object.keys(options)) {
    if (!OPTION_NAMES.has(name)) throw new TypeError(`chat: unknown option ${JSON.stringify(name)}`);
  }
  const limits: ChatLimits = {
    maxMessageBytes: positiveInteger('maxMessageBytes', options.maxMessageBytes, CHAT_DEFAULTS.maxMessageBytes),
    maxRoomLength: positiveInteger('maxRoomLength', options.maxRoomLength, CHAT_DEFAULTS.maxRoomLength),
    maxNameLength: positiveInteger('maxNameLength', options.maxNameLength, CHAT_DEFAULTS.maxNameLength),
  };
  const page = chatPage(limits);

  const server = http.createServer((request, response) => {
    const method = request.method ?? 'GET';
    if (method !== 'GET' && method !== 'HEAD') {
      response.writeHead(405, { 'Content-Type': 'text/plain; charset=utf-8', Allow: 'GET, HEAD' });
      response.end('method not allowed\n');
      return;
    }
    const path = (request.url ?? '/').split('?')[0];
    if (path === '/') {
      response.writeHead(200, page.headers);
      response.end(method === 'HEAD' ? undefined : page.body);
      return;
    }
    const status = path?.startsWith('/room/') ? 426 : 404;
    response.writeHead(status, {
      'Content-Type': 'text/plain; charset=utf-8',
      ...(status === 426 ? { Upgrade: 'websocket' } : {}),
    });
    response.end(status === 426 ? 'rooms are WebSocket endpoints: connect with ws://\n' : 'not found: the chat page is at /\n');
  });

  const broker = options.redis === undefined ? undefined : redisBroker({ url: options.redis, onEvent: options.onBrokerEvent });
  const wss = new WebSocketServer<Member>({
    server,
    maxMessageSize: limits.maxMessageBytes,
    broker,
    authorize: (request) => {
      const verdict = parseJoin(request.url ?? '/', limits);
      return verdict.ok ? { data: verdict.member } : { status: verdict.status, reason: verdict.reason };
    },
  });
  // Which process took the connection: with node:cluster, tells the workers apart (tests, debugging).
  wss.on('headers', (headers) => headers.push(['X-Chat-Process', String(process.pid)]));
  // A failing broker call is reported here; the chat goes on for this process's own members.
  wss.on('error', (error) => console.error(`chat: ${error.message}`));

  wss.on('connection', (connection) => {
    const member = connection.data;
    const topic = roomTopic(member.room);
    connection.subscribe(topic);
    connection.on('message', (data, isBinary) => {
      if (isBinary) {
        connection.close(1003, 'chat messages are text');
        return;
      }
      const message: ChatMessage = { name: member.name, text: data.toString('utf8') };
      // server.publish, not connection.publish: the sender sees its message come back, as everyone does.
      wss.publish(topic, JSON.stringify(message));
    });
  });

  let closing: Promise<CloseReport> | undefined;
  return {
    http: server,
    wss,
    broker,
    limits,
    listen: (port, host) =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          resolve(server.address() as AddressInfo);
        });
      }),
    close: () => {
      closing ??= (async () => {
        const report = await wss.close();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          // Page requests on keep-alive connections must not hold the shutdown.
          server.closeAllConnections();
        });
        return report;
      })();
      return closing;
    },
  };
}
