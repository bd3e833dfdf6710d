/**
 * @wsts/protocol on Bun's own TCP API (Bun.listen / Bun.connect), no Node compatibility layer:
 *
 *   bun runtimes/bun.ts serve [port]        an echo server on 127.0.0.1
 *   bun runtimes/bun.ts connect ws://...    one round trip against a server
 *
 * Bun's sockets are callback-based: `data` feeds the session, and `write` may take only part of what
 * it is given, so the rest waits in a queue until `drain`.
 */
import { type ByteSink, clientSession, describeEvent, type Session, serverSession } from './websocket-session.ts';

/** The part of Bun's API this file uses (declared here so the workspace type-checks without Bun's types). */
interface BunSocket {
  data: Binding;
  /** Bytes taken now (possibly fewer than given; -1 once closed). */
  write(bytes: Uint8Array): number;
  end(): void;
}
interface SocketHandlers {
  open?(socket: BunSocket): void;
  data(socket: BunSocket, bytes: Uint8Array): void;
  drain(socket: BunSocket): void;
  close(socket: BunSocket): void;
  error?(socket: BunSocket, error: Error): void;
}
declare const Bun: {
  argv: string[];
  listen(options: { hostname: string; port: number; socket: SocketHandlers; data?: Binding }): {
    port: number;
    stop(closeActiveConnections?: boolean): void;
  };
  connect(options: { hostname: string; port: number; socket: SocketHandlers; data?: Binding }): Promise<BunSocket>;
};
declare const process: { on(signal: 'SIGTERM', handler: () => void): void; exit(code: number): never };

/** What each socket carries: its session and its write queue. */
interface Binding {
  session?: Session;
  sink?: QueuedSink;
}

/** Writes in order on a Bun socket, keeping what the socket did not take until it drains. */
class QueuedSink implements ByteSink {
  private readonly queue: Uint8Array[] = [];
  private ending = false;

  constructor(private readonly socket: BunSocket) {}

  write(bytes: Uint8Array): void {
    if (this.queue.length === 0) {
      const taken = this.socket.write(bytes);
      if (taken < 0 || taken === bytes.length) return;
      bytes = bytes.subarray(taken);
    }
    this.queue.push(bytes);
  }

  end(): void {
    this.ending = true;
    if (this.queue.length === 0) this.socket.end();
  }

  /** The socket can take more: write what waited, then end if asked to. */
  drain(): void {
    while (this.queue.length > 0) {
      const next = this.queue[0]!;
      const taken = this.socket.write(next);
      if (taken < 0) {
        this.queue.length = 0;
        return;
      }
      if (taken < next.length) {
        this.queue[0] = next.subarray(taken);
        return;
      }
      this.queue.shift();
    }
    if (this.ending) this.socket.end();
  }
}

/** The socket handlers shared by both roles; `start` makes the session when the socket opens. */
function handlers(
  start: (sink: ByteSink) => Session,
  onOpen: (binding: Binding) => void,
  onClose: (binding: Binding) => void,
): SocketHandlers {
  return {
    open(socket) {
      const sink = new QueuedSink(socket);
      socket.data = { sink, session: start(sink) };
      onOpen(socket.data);
    },
    // Copied: the codec keeps (and unmasks in place) the bytes it is given, and the buffer Bun hands
    // to this callback is not promised to stay ours after it returns.
    data: (socket, bytes) => socket.data.session?.receive(new Uint8Array(bytes)),
    drain: (socket) => socket.data.sink?.drain(),
    close(socket) {
      socket.data.session?.transportClosed();
      onClose(socket.data);
    },
    error: () => {
      // A reset: `close` follows and releases the session.
    },
  };
}

function serve(port: number): void {
  const open = new Set<Binding>();
  let stopping = false;
  const exitWhenIdle = (): void => {
    if (stopping && open.size === 0) process.exit(0);
  };
  const listener = Bun.listen({
    hostname: '127.0.0.1',
    port,
    data: {},
    socket: handlers(
      (sink) =>
        serverSession(sink, {
          event: (event, codec) => {
            if (event.type === 'message') codec.send(event.data, event.binary);
          },
        }),
      (binding) => open.add(binding),
      (binding) => {
        open.delete(binding);
        exitWhenIdle();
      },
    ),
  });
  process.on('SIGTERM', () => {
    stopping = true;
    listener.stop();
    for (const binding of open) {
      if (binding.session?.codec !== undefined) binding.session.codec.close(1001, 'server shutting down');
      else binding.sink?.end();
    }
    setTimeout(() => process.exit(0), 5000);
    exitWhenIdle();
  });
  console.log(`listening on ws://127.0.0.1:${listener.port}`);
}

async function connect(url: URL): Promise<void> {
  let closedCleanly = false;
  await Bun.connect({
    hostname: url.hostname,
    port: Number(url.port || 80),
    data: {},
    socket: handlers(
      (sink) =>
        clientSession(sink, url, {
          open: (codec) => {
            codec.send('hello from bun', false);
            codec.send(new Uint8Array([1, 2, 3]), true);
          },
          event: (event, codec) => {
            console.log(describeEvent(event));
            if (event.type === 'message' && event.binary) codec.close(1000, 'done');
            if (event.type === 'closed') closedCleanly = true;
          },
          refused: (error) => console.log(`refused ${error.message}`),
        }),
      () => {},
      () => process.exit(closedCleanly ? 0 : 1),
    ),
  });
}

const [mode = 'serve', arg] = Bun.argv.slice(2);
if (mode === 'serve') serve(Number(arg ?? 8080));
else if (mode === 'connect' && arg !== undefined) await connect(new URL(arg));
else {
  console.log('usage: bun.ts serve [port] | bun.ts connect ws://host:port/path');
  process.exit(2);
}
