/**
 * A fan-out load generator, in its own process: a shard of the job's raw subscriber sockets and, in the
 * first generator, the publisher socket (hand-written handshakes, no WebSocket library). Subscribers
 * parse only frame boundaries and check each message's length; messages arrive in order on each
 * socket, so a subscriber's n-th message is message n.
 *
 * Two phases. Throughput: pre-built masked binary frames with a window of messages in flight; a message
 * leaves the window once every subscriber of every generator has it. Latency: one message at a time,
 * each write stamped, and each generator stamps the moment the last subscriber of its shard has it;
 * the orchestrator takes, per message, the latest of those stamps minus the send stamp.
 *
 * The clock is `process.hrtime()`: libuv reads CLOCK_MONOTONIC, one clock for every process on a Linux
 * machine, so stamps taken in different generators compare directly. (`performance.timeOrigin + now()`
 * would not: each process's origin is the wall clock at its start, so any step or slew of the wall clock
 * between two starts would show as latency.) A generator reads the clock once per message, when its
 * shard completes it, not once per delivery: the cost does not grow with the subscribers.
 */
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { openMany, openWebSocket, sourceAddress } from '../wire/handshake.js';
import { FrameWalker } from '../wire/frame-walker.js';
import { asciiPayload, BENCH_MASK, buildFrame, OPCODE_BINARY } from '../wire/frames.js';
import type { FanoutJob, FanoutPhase, FanoutRequest, FanoutWorkerMessage } from './fanout-job.js';
import { serverFor } from './fanout-plan.js';

function reply(message: FanoutWorkerMessage): void {
  process.send?.(message);
}

/** Microseconds on CLOCK_MONOTONIC (exact in a double for any uptime). */
function nowUs(): number {
  const [s, ns] = process.hrtime();
  return s * 1e6 + ns / 1e3;
}

interface Shard {
  job: FanoutJob;
  /** Per message index: how many of this shard's subscribers have it. */
  arrivals: Uint32Array;
  /** Per message index: when the shard's last subscriber had it (µs, NaN until then). */
  doneAt: Float64Array;
  /** Messages every subscriber of this shard has (a prefix: each socket receives in order). */
  complete: number;
  deliveries: number;
  error: Error | undefined;
  /** Called once each time `complete` grows. */
  onComplete: () => void;
}

function fail(shard: Shard, error: Error): void {
  if (shard.error !== undefined) return;
  shard.error = error;
  reply({ type: 'failed', error: error.message });
}

/** Counts whole data messages on one subscriber socket, from frame headers alone. */
class Subscriber {
  private readonly frames = new FrameWalker(
    (first, _second, length) => this.frameStarted(first, length),
    () => {
      this.frameEnded();
      // Counted per message in the shard, not per read: the walker's tally is not needed.
      return false;
    },
  );
  private opcode = 0;
  private fin = false;
  private bytes = 0;
  private received = 0;

  constructor(
    socket: Socket,
    private readonly shard: Shard,
  ) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (error: Error) => fail(shard, error));
  }

  onData(chunk: Buffer): void {
    this.frames.push(chunk);
  }

  private frameStarted(first: number, payload: number): void {
    this.opcode = first & 0x0f;
    this.fin = (first & 0x80) !== 0;
    if (this.opcode < 0x8) this.bytes += payload;
  }

  private frameEnded(): void {
    const shard = this.shard;
    if (this.opcode >= 0x8) {
      if (this.opcode === 0x8) fail(shard, new Error('server sent a close frame during the run'));
      return;
    }
    if (!this.fin) return;
    if (this.bytes !== shard.job.size) fail(shard, new Error(`a subscriber got ${this.bytes} bytes, expected ${shard.job.size}`));
    this.bytes = 0;
    const index = this.received++;
    if (index >= shard.arrivals.length) {
      fail(shard, new Error('a subscriber got more messages than were published'));
      return;
    }
    shard.deliveries++;
    if (++shard.arrivals[index]! === shard.job.count) {
      shard.doneAt[index] = nowUs();
      shard.complete++;
      shard.onComplete();
    }
  }
}

interface Publisher {
  socket: Socket;
  frame: Buffer;
  sent: number;
  /** Per latency-phase message: when it was written (µs). */
  sentAt: number[];
  /** Messages every subscriber of every other generator has (Infinity without other generators). */
  othersComplete: number;
  pump: () => void;
}

let shard: Shard | undefined;
let publisher: Publisher | undefined;
const sockets: Socket[] = [];
let cpuStart: NodeJS.CpuUsage | undefined;
let cpuStartMs = 0;
let generatorCpu = 0;

async function open(job: FanoutJob): Promise<void> {
  const total = job.messages + job.latencyMessages;
  const s: Shard = {
    job,
    arrivals: new Uint32Array(total),
    doneAt: new Float64Array(total).fill(Number.NaN),
    complete: 0,
    deliveries: 0,
    error: undefined,
    onComplete: () => {},
  };
  shard = s;
  const subscribers = await openMany(job.count, job.concurrency, async (i) => {
    const index = job.first + i;
    const o = await openWebSocket({
      port: job.ports[serverFor(index, job.ports.length)]!,
      deflate: false,
      timeoutMs: job.timeoutMs,
      path: '/sub',
      localAddress: sourceAddress(index, job.addressBlock),
    });
    sockets.push(o.socket);
    const subscriber = new Subscriber(o.socket, s);
    if (o.leftover.length > 0) subscriber.onData(o.leftover);
    return subscriber;
  });
  if (subscribers.length !== job.count) throw new Error('not every subscriber opened');
  if (job.publisher) {
    const pub = await openWebSocket({ port: job.ports[0]!, deflate: false, timeoutMs: job.timeoutMs, path: '/pub' });
    pub.socket.on('error', (error: Error) => fail(s, error));
    sockets.push(pub.socket);
    publisher = {
      socket: pub.socket,
      frame: buildFrame(asciiPayload(job.size), { opcode: OPCODE_BINARY, mask: BENCH_MASK }),
      sent: 0,
      sentAt: [],
      othersComplete: job.others ? 0 : Number.POSITIVE_INFINITY,
      pump: () => {},
    };
    s.onComplete = () => publisher!.pump();
  } else {
    // Coalesced: at most one progress message per turn of the event loop, however many messages completed.
    let scheduled = false;
    s.onComplete = () => {
      if (scheduled) return;
      scheduled = true;
      setImmediate(() => {
        scheduled = false;
        reply({ type: 'progress', complete: s.complete });
      });
    };
  }
  reply({ type: 'ready' });
}

/** The publisher's side of a phase: send within the window until the phase's messages are all delivered. */
function runPhase(phase: FanoutPhase): void {
  const s = shard!;
  const p = publisher!;
  const job = s.job;
  const throughput = phase === 'throughput';
  const target = throughput ? job.messages : job.messages + job.latencyMessages;
  const window = throughput ? job.window : 1;
  const start = performance.now();
  const deadline = throughput ? Number.POSITIVE_INFINITY : start + job.latencyMs;
  let finished = false;
  const finish = (error?: string): void => {
    if (finished) return;
    finished = true;
    clearTimeout(timer);
    p.pump = () => {};
    const seconds = (performance.now() - start) / 1000;
    const err = error ?? s.error?.message;
    reply({ type: 'phase-done', phase, ok: err === undefined, ...(err ? { error: err } : {}), sent: p.sent, seconds });
  };
  const timer = setTimeout(() => finish(`timed out in the ${phase} phase`), job.timeoutMs);
  p.pump = () => {
    if (s.error !== undefined) return finish();
    const complete = Math.min(s.complete, p.othersComplete);
    // The latency phase ends early (with what it has) at its deadline, once nothing is in flight.
    const sending = p.sent < target && (throughput || performance.now() < deadline);
    if (!sending && complete >= p.sent) return finish();
    let burst = 0;
    while (sending && p.sent < target && p.sent - complete < window) {
      if (burst++ === 0) p.socket.cork();
      if (!throughput) p.sentAt.push(nowUs());
      p.socket.write(p.frame);
      p.sent++;
    }
    if (burst > 0) p.socket.uncork();
  };
  p.pump();
}

process.on('message', (request: FanoutRequest) => {
  switch (request.type) {
    case 'open':
      open(request).catch((error: unknown) => reply({ type: 'failed', error: (error as Error).message }));
      break;
    case 'run':
      if (request.phase === 'throughput') {
        cpuStart = process.cpuUsage();
        cpuStartMs = performance.now();
      } else if (cpuStart !== undefined) {
        const used = process.cpuUsage(cpuStart);
        generatorCpu = (used.user + used.system) / 1000 / Math.max(1, performance.now() - cpuStartMs);
      }
      if (publisher !== undefined) runPhase(request.phase);
      break;
    case 'complete':
      if (publisher !== undefined) {
        publisher.othersComplete = request.complete;
        publisher.pump();
      }
      break;
    case 'report': {
      const s = shard!;
      reply({
        type: 'report',
        deliveries: s.deliveries,
        generatorCpu,
        doneAt: Array.from(s.doneAt.subarray(s.job.messages)),
        sentAt: publisher?.sentAt ?? [],
      });
      break;
    }
  }
});
process.on('disconnect', () => {
  for (const socket of sockets) socket.destroy();
  process.exit(0);
});
