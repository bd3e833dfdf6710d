/**
 * A client row's contender, alone in its own process (forked per job), so that the process's CPU time
 * is the client's own: one connection to the client peer (client-peer.ts), a warm-up, a measured phase
 * read with `process.cpuUsage()` (user + system, every thread of the process) at its edges, then a
 * clean close. Each contender is driven the way its documentation has a user drive it:
 *
 * - receive: a 'message' listener (`connect()`, ws, and ws with `binaryType = 'arraybuffer'`) or a
 *   'message' event listener with `binaryType = 'arraybuffer'` (the WHATWG classes); every message's
 *   type and size is checked.
 * - send: as fast as the API allows without unbounded memory: `connect()` keeps `window` send promises
 *   in flight, ws `window` send callbacks; the WHATWG classes send while `bufferedAmount` is under
 *   `window` messages' worth. Each refills its window once per turn of the event loop (`setImmediate`;
 *   see `refillOnce`); the WHATWG senders, which learn of completions only by polling, poll every
 *   millisecond while their window is full. The sink's count, in its close reason, must match what was
 *   sent.
 *
 * Only the contender's own library is loaded into the process.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { firehoseUrl, parseSinkReason, sinkUrl } from '../servers/client-peer.js';
import { bufferedBound, type ClientJob, type ClientReply } from './client-job.js';

/** What the measured phase reads: messages so far, and the first thing that went wrong. */
interface Tally {
  messages: number;
  error: Error | undefined;
}

/** One open connection of a contender, as the harness drives it. */
interface Session {
  /** Send rows: stop handing messages to `send` (what is in flight still goes). */
  stop(): void;
  /** Closes with 1000 and resolves with the peer's close reason once the connection is closed. */
  close(): Promise<string>;
  /** Resolves with the peer's close reason if the connection closes on the peer's initiative. */
  readonly peerClosed: Promise<string>;
}

/** The parts of a WHATWG `WebSocket` the harness uses: ours and undici's both have them. */
interface WhatwgSocket {
  binaryType: string;
  readonly bufferedAmount: number;
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: string, listener: (event: Event) => void): void;
}
type WhatwgConstructor = new (url: string) => WhatwgSocket;

function wrongMessage(job: ClientJob, what: string): Error {
  return new Error(`${job.client}: expected binary messages of ${job.size} bytes, got ${what}`);
}

/** A settable promise: resolved from an event listener. */
function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/**
 * A completion callback for a window of sends: it counts the send done (`settle`) and refills the window
 * (`pump`) once per turn of the event loop. WHY not refill from the callback itself: completions run on
 * `process.nextTick` or as microtasks, and a send made there completes there too, so the chain would
 * never let the event loop turn while the kernel takes the bytes: timers (the measured phase's end)
 * and reads (the peer's close) would wait. The WHATWG senders wait the same way (`setImmediate`).
 */
function refillOnce(pump: () => void, settle: () => void): () => void {
  let scheduled = false;
  const refill = (): void => {
    scheduled = false;
    pump();
  };
  return () => {
    settle();
    if (!scheduled) {
      scheduled = true;
      setImmediate(refill);
    }
  };
}

/**
 * The closing half of a {@link Session}, the same for every contender: `closedWith` goes in the
 * contender's close listener; `session` builds the Session, whose `close` closes with 1000 and waits
 * for that listener. A close that comes first from the peer resolves `peerClosed` too.
 */
function closeTracking(closeWith1000: () => void): {
  closedWith(reason: string): void;
  session(stop: () => void): Session;
} {
  const closed = deferred<string>();
  const peerClosed = deferred<string>();
  let closing = false;
  return {
    closedWith(reason) {
      closed.resolve(reason);
      if (!closing) peerClosed.resolve(reason);
    },
    session: (stop) => ({
      stop,
      close: () => {
        closing = true;
        closeWith1000();
        return closed.promise;
      },
      peerClosed: peerClosed.promise,
    }),
  };
}

function payloadOf(size: number): Buffer {
  const payload = Buffer.alloc(size);
  for (let i = 0; i < size; i++) payload[i] = (i * 7 + 3) & 0xff;
  return payload;
}

async function ours(job: ClientJob, url: string, tally: Tally): Promise<Session> {
  const { connect } = await import('@wsts/server');
  const connection = await connect(url, { perMessageDeflate: false, handshakeTimeout: job.timeoutMs });
  const ending = closeTracking(() => connection.close(1000));
  connection.on('error', (error) => (tally.error ??= error));
  connection.on('close', (_code, reason) => ending.closedWith(reason));
  let sending = true;
  if (job.direction === 'receive') {
    const size = job.size;
    connection.on('message', (data, binary) => {
      if (!binary || data.length !== size) tally.error ??= wrongMessage(job, `${binary ? 'binary' : 'text'} of ${data.length}`);
      tally.messages++;
    });
  } else {
    const payload = payloadOf(job.size);
    const window = job.window;
    let inFlight = 0;
    const fail = (error: Error): void => {
      tally.error ??= error;
    };
    const pump = (): void => {
      while (sending && inFlight < window) {
        inFlight++;
        tally.messages++;
        connection.send(payload).then(sent, fail);
      }
    };
    const sent = refillOnce(pump, () => inFlight--);
    pump();
  }
  return ending.session(() => (sending = false));
}

async function whatwg(Socket: WhatwgConstructor, job: ClientJob, url: string, tally: Tally): Promise<Session> {
  const socket = new Socket(url);
  socket.binaryType = 'arraybuffer';
  const opened = deferred<void>();
  const ending = closeTracking(() => socket.close(1000));
  socket.addEventListener('open', () => opened.resolve());
  socket.addEventListener('error', (event) => {
    tally.error ??= new Error(`${job.client}: ${(event as Event & { message?: string }).message ?? 'error event'}`);
    opened.resolve();
  });
  socket.addEventListener('close', (event) => {
    ending.closedWith((event as Event & { reason: string }).reason);
    opened.resolve();
  });
  await opened.promise;
  if (tally.error !== undefined) throw tally.error;
  let sending = true;
  if (job.direction === 'receive') {
    const size = job.size;
    socket.addEventListener('message', (event) => {
      const data = (event as Event & { data: unknown }).data;
      if (!(data instanceof ArrayBuffer) || data.byteLength !== size) tally.error ??= wrongMessage(job, String(data));
      tally.messages++;
    });
  } else {
    const payload = payloadOf(job.size);
    const bound = bufferedBound(job.size, job.window);
    // The standard API reports no completion per send, only `bufferedAmount`, so the sender polls it.
    // WHY a timer once the window is full: polling on every turn of the event loop (`setImmediate`)
    // spins the loop while the kernel drains the window, and that spin was measured as the client's
    // cost per message (run to run, whenever the peer was the slower side).
    const pump = (): void => {
      let sent = 0;
      while (sending && socket.bufferedAmount < bound) {
        socket.send(payload);
        tally.messages++;
        sent++;
      }
      if (!sending) return;
      if (sent > 0) setImmediate(pump);
      else setTimeout(pump, 1);
    };
    pump();
  }
  return ending.session(() => (sending = false));
}

/** Throws unless ws masks and unmasks with bufferutil in this process: the bar is ws with its add-ons. */
function checkBufferutil(): void {
  const require = createRequire(import.meta.url);
  const bufferUtil = require(join(dirname(require.resolve('ws')), 'lib/buffer-util.js')) as { mask: unknown };
  if (!String(bufferUtil.mask).includes('bufferUtil')) {
    throw new Error('ws did not load bufferutil in the client worker (is WS_NO_BUFFER_UTIL set?)');
  }
}

async function ws(job: ClientJob, url: string, tally: Tally, arrayBuffers: boolean): Promise<Session> {
  const { WebSocket } = await import('ws');
  checkBufferutil();
  const socket = new WebSocket(url, { perMessageDeflate: false });
  if (arrayBuffers) socket.binaryType = 'arraybuffer';
  const opened = deferred<void>();
  const ending = closeTracking(() => socket.close(1000));
  socket.on('open', () => opened.resolve());
  socket.on('error', (error) => {
    tally.error ??= error as Error;
    opened.resolve();
  });
  socket.on('close', (_code, reason) => {
    ending.closedWith(String(reason));
    opened.resolve();
  });
  await opened.promise;
  if (tally.error !== undefined) throw tally.error;
  let sending = true;
  if (job.direction === 'receive') {
    const size = job.size;
    // An ArrayBuffer, not a Buffer, with binaryType 'arraybuffer' (the types name only ws's default).
    socket.on('message', (message: Buffer, isBinary: boolean) => {
      const data = message as Buffer | ArrayBuffer;
      if (!isBinary || data.byteLength !== size || data instanceof ArrayBuffer !== arrayBuffers)
        tally.error ??= wrongMessage(job, `${isBinary ? 'binary' : 'text'} ${data.constructor.name} of ${data.byteLength}`);
      tally.messages++;
    });
  } else {
    const payload = payloadOf(job.size);
    const window = job.window;
    const options = { binary: true };
    let inFlight = 0;
    const done = refillOnce(
      () => pump(),
      () => inFlight--,
    );
    const sent = (error?: Error | null): void => {
      if (error) tally.error ??= error;
      done();
    };
    const pump = (): void => {
      while (sending && inFlight < window) {
        inFlight++;
        tally.messages++;
        socket.send(payload, options, sent);
      }
    };
    pump();
  }
  return ending.session(() => (sending = false));
}

async function open(job: ClientJob, tally: Tally): Promise<Session> {
  const url = job.direction === 'receive' ? firehoseUrl(job.port, job.size, job.maxMessages) : sinkUrl(job.port);
  switch (job.client) {
    case 'ours':
      return ours(job, url, tally);
    case 'whatwg': {
      const { WebSocket } = await import('@wsts/server');
      return whatwg(WebSocket, job, url, tally);
    }
    case 'ws':
      return ws(job, url, tally, false);
    case 'ws-arraybuffer':
      return ws(job, url, tally, true);
    case 'undici': {
      const { WebSocket } = await import('undici');
      return whatwg(WebSocket, job, url, tally);
    }
  }
}

function sleepOr<T>(ms: number, early: Promise<T>): Promise<T | undefined> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(undefined), ms);
    void early.then((value) => {
      clearTimeout(timer);
      resolve(value);
    });
  });
}

async function run(job: ClientJob): Promise<ClientReply> {
  const tally: Tally = { messages: 0, error: undefined };
  const session = await open(job, tally);
  const early = (reason: string): Error => new Error(`${job.client}: the peer closed during the run ("${reason}")`);
  let ended = await sleepOr(job.warmupMs, session.peerClosed);
  if (ended !== undefined) throw early(ended);
  const startMessages = tally.messages;
  const startCpu = process.cpuUsage();
  const startTime = performance.now();
  ended = await sleepOr(job.durationMs, session.peerClosed);
  const cpu = process.cpuUsage(startCpu);
  const seconds = (performance.now() - startTime) / 1000;
  const messages = tally.messages - startMessages;
  if (ended !== undefined) throw early(ended);
  session.stop();
  const reason = await session.close();
  if (tally.error !== undefined) throw tally.error;
  if (job.direction === 'receive') return { ok: true, messages, seconds, cpuMicros: cpu.user + cpu.system };
  const counted = parseSinkReason(reason);
  if (counted === undefined) throw new Error(`${job.client}: the sink closed with "${reason}"`);
  if (counted.messages !== tally.messages || counted.bytes !== tally.messages * job.size) {
    throw new Error(
      `${job.client}: sent ${tally.messages} messages of ${job.size} bytes, the sink counted ${counted.messages} (${counted.bytes} bytes)`,
    );
  }
  return {
    ok: true,
    messages,
    seconds,
    cpuMicros: cpu.user + cpu.system,
    peerMessages: counted.messages,
    sentMessages: tally.messages,
  };
}

function reply(message: ClientReply): void {
  if (process.send) process.send(message, () => process.exit(0));
  else {
    process.stdout.write(`${JSON.stringify(message)}\n`);
    process.exit(0);
  }
}

process.once('message', (job: ClientJob) => {
  const watchdog = setTimeout(
    () => reply({ ok: false, error: `${job.client}: the job did not finish within ${job.timeoutMs} ms` }),
    job.timeoutMs,
  );
  run(job).then(
    (result) => {
      clearTimeout(watchdog);
      reply(result);
    },
    (error: unknown) => {
      clearTimeout(watchdog);
      reply({ ok: false, error: (error as Error).message ?? String(error) });
    },
  );
});
