/**
 * @wsts/protocol on Deno's own TCP API (Deno.listen / Deno.connect), no Node compatibility layer:
 *
 *   deno run --allow-net=127.0.0.1 runtimes/deno.ts serve [port]       an echo server on 127.0.0.1
 *   deno run --allow-net=127.0.0.1 runtimes/deno.ts connect ws://...   one round trip against a server
 *
 * A Deno connection is a pair of WHATWG byte streams; reads go into the session, the session's writes
 * go through the stream's writer, which keeps them in order and applies backpressure.
 */
import { type ByteSink, clientSession, describeEvent, type Session, serverSession } from './websocket-session.ts';

/** The part of Deno's API this file uses (declared here so the workspace type-checks without Deno's types). */
interface DenoConn {
  readable: ReadableStream<Uint8Array>;
  writable: WritableStream<Uint8Array>;
}
declare const Deno: {
  args: string[];
  listen(options: { hostname: string; port: number }): AsyncIterable<DenoConn> & {
    addr: { port: number };
    close(): void;
  };
  connect(options: { hostname: string; port: number }): Promise<DenoConn>;
  addSignalListener(signal: 'SIGTERM' | 'SIGINT', handler: () => void): void;
  exit(code: number): never;
};

/** Runs a session over one Deno connection until either side ends it. */
async function pump(conn: DenoConn, start: (sink: ByteSink) => Session): Promise<void> {
  const writer = conn.writable.getWriter();
  let ended = false;
  const sink: ByteSink = {
    // The writer queues in order; a failed write means the peer is gone, which the read loop sees too.
    write: (bytes) => void writer.write(bytes).catch(() => {}),
    end: () => {
      if (ended) return;
      ended = true;
      void writer.close().catch(() => {});
    },
  };
  const session = start(sink);
  const reader = conn.readable.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      session.receive(value);
    }
  } catch {
    // A reset: the same as the end of input for the session.
  } finally {
    session.transportClosed();
    if (!ended) {
      ended = true;
      void writer.abort().catch(() => {});
    }
  }
}

async function serve(port: number): Promise<void> {
  const listener = Deno.listen({ hostname: '127.0.0.1', port });
  const open = new Map<Session, ByteSink>();
  let stopping = false;
  const exitWhenIdle = (): void => {
    if (stopping && open.size === 0) Deno.exit(0);
  };
  Deno.addSignalListener('SIGTERM', () => {
    stopping = true;
    listener.close();
    // 1001 Going Away to every client (a connection still in its handshake is just ended); the
    // process exits when the last one is gone, or after 5 s for peers that never answer.
    for (const [session, sink] of open) {
      if (session.codec !== undefined) session.codec.close(1001, 'server shutting down');
      else sink.end();
    }
    setTimeout(() => Deno.exit(0), 5000);
    exitWhenIdle();
  });
  console.log(`listening on ws://127.0.0.1:${listener.addr.port}`);
  try {
    for await (const conn of listener) {
      let session: Session | undefined;
      void pump(conn, (sink) => {
        session = serverSession(sink, {
          event: (event, codec) => {
            if (event.type === 'message') codec.send(event.data, event.binary);
          },
        });
        open.set(session, sink);
        return session;
      }).finally(() => {
        if (session !== undefined) open.delete(session);
        exitWhenIdle();
      });
    }
  } catch {
    // Closing the listener may end the loop with an error rather than quietly: we are stopping either way.
  }
}

async function connect(url: URL): Promise<void> {
  const conn = await Deno.connect({ hostname: url.hostname, port: Number(url.port || 80) });
  let exitCode = 1;
  await pump(conn, (sink) =>
    clientSession(sink, url, {
      open: (codec) => {
        codec.send('hello from deno', false);
        codec.send(new Uint8Array([1, 2, 3]), true);
      },
      event: (event, codec) => {
        console.log(describeEvent(event));
        if (event.type === 'message' && event.binary) codec.close(1000, 'done');
        if (event.type === 'closed') exitCode = 0;
      },
      refused: (error) => console.log(`refused ${error.message}`),
    }),
  );
  Deno.exit(exitCode);
}

const [mode = 'serve', arg] = Deno.args;
if (mode === 'serve') await serve(Number(arg ?? 8080));
else if (mode === 'connect' && arg !== undefined) await connect(new URL(arg));
else {
  console.log('usage: deno.ts serve [port] | deno.ts connect ws://host:port/path');
  Deno.exit(2);
}
