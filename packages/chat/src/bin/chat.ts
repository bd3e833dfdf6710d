#!/usr/bin/env node
/**
 * The chat server (`pnpm chat`): the page at http://HOST:PORT/, rooms at ws://HOST:PORT/room/NAME.
 * Alone, or as `--workers N` node:cluster workers, or as one of many machines, sharing rooms through
 * `--redis`. Prints `listening on ws://HOST:PORT` once every worker listens; SIGINT and SIGTERM close
 * every member with 1001 and exit 0.
 *
 *   node dist/bin/chat.js [--port 8080] [--host 127.0.0.1] [--workers N] [--redis redis://127.0.0.1:6379]
 */
import cluster from 'node:cluster';
import { type ChatArgs, parseChatArgs, USAGE, urlHost } from '../args.js';
import { createChatServer } from '../chat-server.js';
import { runPrimary } from '../cluster.js';

let parsed: ChatArgs | 'help';
try {
  parsed = parseChatArgs(process.argv.slice(2));
} catch (error) {
  console.error(`chat: ${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
  process.exit(2);
}
if (parsed === 'help') {
  console.log(USAGE);
  process.exit(0);
}
const args = parsed;
const printUrl = (port: number): void => console.log(`listening on ws://${urlHost(args.host)}:${port}`);

if (args.workers > 1 && cluster.isPrimary) {
  runPrimary(args.workers, printUrl);
} else {
  await runServer(args, cluster.isWorker);
}

/** One chat process: the whole server, or one worker of the cluster. */
async function runServer(options: ChatArgs, isWorker: boolean): Promise<void> {
  const who = isWorker ? `worker ${process.pid}` : 'chat';
  const chat = createChatServer({
    redis: options.redis,
    maxMessageBytes: options.maxMessageBytes,
    maxRoomLength: options.maxRoomLength,
    maxNameLength: options.maxNameLength,
    onBrokerEvent: (event) => {
      const detail = event.type === 'connect' ? '' : `: ${event.error.message}`;
      console.error(`${who}: redis ${event.connection} ${event.type}${detail}`);
    },
  });

  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    // Each member's close is bounded by the server's close timeout; this bounds the whole.
    setTimeout(() => process.exit(1), 15_000).unref();
    void chat.close().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);

  try {
    const address = await chat.listen(options.port, options.host);
    // A worker's port is announced by the primary, once all workers listen.
    if (!isWorker) printUrl(address.port);
  } catch (error) {
    console.error(`${who}: cannot listen on ${options.host}:${options.port}: ${(error as Error).message}`);
    process.exit(1);
  }
}
