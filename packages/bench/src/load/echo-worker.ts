/**
 * The echo load generator, run in its own process (forked by the orchestrator, one job per process).
 *
 * Built so that it is not the bottleneck: raw TCP sockets, each message a pre-built masked frame (a batch
 * of them is one pre-built buffer, so refilling the window is one write of a subarray), replies parsed
 * only as far as frame boundaries, and latency from one timestamp per message kept in a ring per socket.
 */
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { constants, deflateRawSync } from 'node:zlib';
import { fairness, percentileSorted } from '../report/stats.js';
import { openMany, openWebSocket } from '../wire/handshake.js';
import { FrameWalker } from '../wire/frame-walker.js';
import { asciiPayload, BENCH_MASK, buildFrame, OPCODE_BINARY, OPCODE_TEXT, textPayload } from '../wire/frames.js';
import { type EchoJob, type EchoResult, type EchoWorkerMessage, emptyEchoResult } from './echo-job.js';

/** Latencies kept for percentiles; past this, reservoir sampling keeps a uniform sample. */
const MAX_SAMPLES = 400_000;

class Recorder {
  readonly samples = new Float64Array(MAX_SAMPLES);
  count = 0;
  seen = 0;
  add(ms: number): void {
    this.seen++;
    if (this.count < MAX_SAMPLES) this.samples[this.count++] = ms;
    else {
      const j = Math.floor(Math.random() * this.seen);
      if (j < MAX_SAMPLES) this.samples[j] = ms;
    }
  }
  sorted(): Float64Array {
    return this.samples.slice(0, this.count).sort();
  }
}

interface Shared {
  /** Sockets whose whole first window has come back. */
  warmSockets: number;
  measuring: boolean;
  sending: boolean;
  counted: number;
  maxMessages: number;
  recorder: Recorder;
  onLimit: () => void;
  error: Error | undefined;
  inFlight: number;
  onDrained: (() => void) | undefined;
}

/** One client socket: sends pre-built frames, counts whole reply messages. */
class EchoClient {
  private readonly frames = new FrameWalker(
    (first, _second, length) => this.frameStarted(first, length),
    () => this.frameEnded(),
  );
  private opcode = 0;
  private fin = false;
  /** Opcode of the first frame of the reply being received, and its payload bytes so far. */
  private messageOpcode = 0;
  private messageBytes = 0;
  private readonly sentAt: Float64Array;
  private head = 0;
  private tail = 0;
  /** Replies this socket received in the measured phase: how evenly the server shared its time. */
  measured = 0;
  /** Replies this socket received since the start, until its first window is back (then no longer counted). */
  private firstWindow = 0;

  constructor(
    private readonly socket: Socket,
    private readonly batch: Buffer,
    private readonly frameBytes: number,
    private readonly window: number,
    private readonly shared: Shared,
    /** What every reply must be: the opcode sent, and (without compression) the payload length sent. */
    private readonly expectOpcode: number,
    private readonly expectBytes: number | undefined,
  ) {
    this.sentAt = new Float64Array(window);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (error: Error) => {
      shared.error ??= error;
    });
    socket.on('close', () => {
      if (shared.sending) shared.error ??= new Error('server closed a connection during the run');
    });
  }

  start(leftover: Buffer): void {
    if (leftover.length > 0) this.onData(leftover);
    this.send(this.window);
  }

  private send(count: number): void {
    const now = performance.now();
    for (let i = 0; i < count; i++) {
      this.sentAt[this.tail] = now;
      this.tail = (this.tail + 1) % this.window;
    }
    this.shared.inFlight += count;
    if (this.batch.length >= count * this.frameBytes) {
      this.socket.write(this.batch.subarray(0, count * this.frameBytes));
    } else {
      // Large frames: the batch holds one frame, written once per message (no copy either way).
      this.socket.cork();
      for (let i = 0; i < count; i++) this.socket.write(this.batch);
      this.socket.uncork();
    }
  }

  private onData(chunk: Buffer): void {
    const shared = this.shared;
    const replies = this.frames.push(chunk);
    if (replies > 0) {
      const now = performance.now();
      for (let r = 0; r < replies; r++) {
        const sent = this.sentAt[this.head]!;
        this.head = (this.head + 1) % this.window;
        if (this.firstWindow < this.window && ++this.firstWindow === this.window) shared.warmSockets++;
        if (shared.measuring) {
          this.measured++;
          shared.recorder.add(now - sent);
          if (++shared.counted >= shared.maxMessages) shared.onLimit();
        }
      }
      shared.inFlight -= replies;
      if (shared.sending) this.send(replies);
      else if (shared.inFlight === 0) shared.onDrained?.();
    }
  }

  /** A frame's header is in: what the reply check needs of it. */
  private frameStarted(first: number, payload: number): void {
    this.opcode = first & 0x0f;
    this.fin = (first & 0x80) !== 0;
    if (this.opcode < 0x8) {
      if (this.opcode !== 0) {
        this.messageOpcode = this.opcode;
        this.messageBytes = 0;
      }
      this.messageBytes += payload;
    }
  }

  /** A frame's payload is consumed: true when it completed a data message (the echo of one of ours). */
  private frameEnded(): boolean {
    const op = this.opcode;
    if (op === 0x8) {
      this.shared.error ??= new Error('server sent a close frame during the run');
      return false;
    }
    if (op >= 0x8) return false; // ping/pong: not ours to count
    if (!this.fin) return false;
    // A cheap check that the server echoed what it got, so a broken server cannot post a fast figure.
    if (this.messageOpcode !== this.expectOpcode || (this.expectBytes !== undefined && this.messageBytes !== this.expectBytes)) {
      this.shared.error ??= new Error(
        `reply was opcode ${this.messageOpcode} with ${this.messageBytes} bytes, sent opcode ${this.expectOpcode} with ${this.expectBytes ?? '?'} bytes`,
      );
    }
    return true;
  }
}

/** The frame every message is: payload masked with a fixed key; compressed first when deflate is on. */
function messageFrame(job: EchoJob): Buffer {
  if (!job.deflate)
    return buildFrame(asciiPayload(job.size), { opcode: job.text ? OPCODE_TEXT : OPCODE_BINARY, mask: BENCH_MASK });
  // permessage-deflate (RFC 7692 7.2.1): raw deflate, sync-flushed, minus the trailing 00 00 ff ff. With
  // client_no_context_takeover every message is compressed alone, so one pre-built frame stays valid.
  const compressed = deflateRawSync(textPayload(job.size), { finishFlush: constants.Z_SYNC_FLUSH });
  return buildFrame(compressed.subarray(0, compressed.length - 4), { opcode: OPCODE_TEXT, mask: BENCH_MASK, rsv1: true });
}

export async function runEchoJob(job: EchoJob): Promise<EchoResult> {
  const frame = messageFrame(job);
  const batchCount = frame.length * job.window <= 1024 * 1024 ? job.window : 1;
  const batch = Buffer.concat(Array.from({ length: batchCount }, () => frame));
  const sockets: Socket[] = [];
  const result = emptyEchoResult(job.window, job.deflate);
  const shared: Shared = {
    warmSockets: 0,
    measuring: false,
    sending: false,
    counted: 0,
    maxMessages: job.maxMessages,
    recorder: new Recorder(),
    onLimit: () => {},
    error: undefined,
    inFlight: 0,
    onDrained: undefined,
  };
  try {
    const t0 = performance.now();
    const opened = await openMany(job.connections, 128, async (_i) => {
      const o = await openWebSocket({ port: job.port, deflate: job.deflate, timeoutMs: job.connectTimeoutMs });
      sockets.push(o.socket);
      return o;
    });
    result.connectMs = performance.now() - t0;
    if (job.deflate && !opened.every((o) => o.deflate)) {
      result.deflateNegotiated = false;
      throw new Error('the server did not accept permessage-deflate');
    }
    const clients = opened.map((o) => ({
      client: new EchoClient(
        o.socket,
        batch,
        frame.length,
        job.window,
        shared,
        job.text || job.deflate ? OPCODE_TEXT : OPCODE_BINARY,
        job.deflate ? undefined : job.size,
      ),
      leftover: o.leftover,
    }));
    shared.sending = true;
    for (const { client, leftover } of clients) client.start(leftover);

    // Steady state needs every message of the first window to have made its round trip; with 1,000
    // sockets x 1 MiB that takes far longer than a fixed warm-up on a slow or busy machine. Counted per
    // socket: a total of `round` replies is the same thing only for a server that answers in arrival
    // order, and otherwise lets first-window replies (the start-up queue) into the measured latencies.
    const round = job.connections * job.window;
    await waitPhase(job.warmupMs, shared, false, () => shared.warmSockets >= job.connections);
    shared.measuring = true;
    shared.counted = 0;
    send({ type: 'phase', phase: 'start' });
    const start = performance.now();
    const cpuStart = process.cpuUsage();
    // And the measured phase covers at least one such round, so its latencies are not all one queue.
    await waitPhase(job.durationMs, shared, true, () => shared.counted >= Math.min(round, job.maxMessages));
    const end = performance.now();
    const cpu = process.cpuUsage(cpuStart);
    send({ type: 'phase', phase: 'end' });
    result.generatorCpu = (cpu.user + cpu.system) / 1000 / (end - start);
    shared.measuring = false;
    shared.sending = false;
    if (shared.error) throw shared.error;
    result.messages = shared.counted;
    result.seconds = (end - start) / 1000;
    result.msgPerSec = result.messages / result.seconds;
    result.mbPerSec = (result.messages * job.size) / result.seconds / 1e6;
    const sorted = shared.recorder.sorted();
    result.p50Ms = percentileSorted(sorted, 50);
    result.p99Ms = percentileSorted(sorted, 99);
    result.fairness = fairness(clients.map(({ client }) => client.measured));
    if (result.messages === 0) throw new Error('no reply arrived during the measured phase');
    // Let the replies still in flight come back (bounded), so the server is idle before the next row.
    if (shared.inFlight > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 5000);
        shared.onDrained = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    result.ok = true;
  } catch (error) {
    result.ok = false;
    result.error = (error as Error).message;
  } finally {
    shared.sending = false;
    for (const s of sockets) s.destroy();
  }
  return result;
}

/** Extra time a phase may take past its nominal length while `enough()` is not yet true. */
const PHASE_GRACE_MS = 60_000;

/**
 * Waits at least `ms` and until `enough()` holds (at most PHASE_GRACE_MS longer); ends early when a socket
 * failed or (with `stopOnLimit`) the message limit was reached.
 */
function waitPhase(ms: number, shared: Shared, stopOnLimit: boolean, enough: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const start = performance.now();
    const finish = (): void => {
      clearInterval(poll);
      shared.onLimit = () => {};
      resolve();
    };
    const poll = setInterval(() => {
      const elapsed = performance.now() - start;
      if (shared.error || elapsed >= ms + PHASE_GRACE_MS || (elapsed >= ms && enough())) finish();
    }, 10);
    if (stopOnLimit) shared.onLimit = finish;
  });
}

function send(message: EchoWorkerMessage, then: () => void = () => {}): void {
  process.send?.(message, then);
}

// Run as a forked child: one job in, one result out, then exit.
process.once('message', (job: EchoJob) => {
  void runEchoJob(job).then((result) => send({ type: 'result', result }, () => process.exit(0)));
});
