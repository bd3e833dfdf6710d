/**
 * The fan-out load generator, in its own process: N raw subscriber sockets and one publisher socket
 * (hand-written handshakes, no WebSocket library). The publisher sends pre-built masked binary frames
 * with a window of messages in flight: a message leaves the window once every subscriber received it.
 * Subscribers parse only frame boundaries and check each message's length.
 */
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { openMany, openWebSocket } from '../wire/handshake.js';
import { asciiPayload, BENCH_MASK, buildFrame, OPCODE_BINARY } from '../wire/frames.js';
import type { FanoutJob, FanoutRequest, FanoutWorkerMessage } from './fanout-job.js';

function reply(message: FanoutWorkerMessage, then: () => void = () => {}): void {
  process.send?.(message, then);
}

interface Run {
  job: FanoutJob;
  /** Per message index: how many subscribers have it. */
  arrivals: Uint32Array;
  /** Messages every subscriber has. */
  complete: number;
  sent: number;
  deliveries: number;
  error: Error | undefined;
  finished: (() => void) | undefined;
  pump: () => void;
}

/** Counts whole data messages on one subscriber socket, from frame headers alone. */
class Subscriber {
  private readonly header = new Uint8Array(14);
  private headerLen = 0;
  private headerNeed = 2;
  private payloadLeft = 0;
  private opcode = 0;
  private fin = false;
  private bytes = 0;
  private received = 0;

  constructor(
    socket: Socket,
    private readonly run: Run,
  ) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (error: Error) => {
      run.error ??= error;
    });
  }

  onData(chunk: Buffer): void {
    let i = 0;
    const len = chunk.length;
    while (i < len) {
      if (this.payloadLeft > 0) {
        const take = Math.min(this.payloadLeft, len - i);
        i += take;
        this.payloadLeft -= take;
        if (this.payloadLeft === 0) this.frameEnded();
        continue;
      }
      this.header[this.headerLen++] = chunk[i++]!;
      if (this.headerLen === 2) {
        const len7 = this.header[1]! & 0x7f;
        this.headerNeed = 2 + (len7 === 126 ? 2 : len7 === 127 ? 8 : 0);
      }
      if (this.headerLen >= 2 && this.headerLen === this.headerNeed) {
        const h = this.header;
        this.opcode = h[0]! & 0x0f;
        this.fin = (h[0]! & 0x80) !== 0;
        const len7 = h[1]! & 0x7f;
        let payload = len7;
        if (len7 === 126) payload = (h[2]! << 8) | h[3]!;
        else if (len7 === 127) payload = h[6]! * 2 ** 24 + ((h[7]! << 16) | (h[8]! << 8) | h[9]!) + h[5]! * 2 ** 32;
        this.headerLen = 0;
        this.headerNeed = 2;
        this.payloadLeft = payload;
        if (this.opcode < 0x8) this.bytes += payload;
        if (payload === 0) this.frameEnded();
      }
    }
  }

  private frameEnded(): void {
    const run = this.run;
    if (this.opcode >= 0x8) {
      if (this.opcode === 0x8) run.error ??= new Error('server sent a close frame during the run');
      return;
    }
    if (!this.fin) return;
    if (this.bytes !== run.job.size) run.error ??= new Error(`a subscriber got ${this.bytes} bytes, expected ${run.job.size}`);
    this.bytes = 0;
    const index = this.received++;
    run.deliveries++;
    if (++run.arrivals[index]! === run.job.subscribers) {
      run.complete++;
      run.pump();
    }
  }
}

let current: { run: Run; sockets: Socket[]; publisher: Socket; frame: Buffer } | undefined;

async function open(job: FanoutJob): Promise<void> {
  const sockets: Socket[] = [];
  const run: Run = {
    job,
    arrivals: new Uint32Array(job.messages),
    complete: 0,
    sent: 0,
    deliveries: 0,
    error: undefined,
    finished: undefined,
    pump: () => {},
  };
  const subscribers = await openMany(job.subscribers, 64, async () => {
    const o = await openWebSocket({ port: job.port, deflate: false, timeoutMs: job.timeoutMs, path: '/sub' });
    sockets.push(o.socket);
    const subscriber = new Subscriber(o.socket, run);
    if (o.leftover.length > 0) subscriber.onData(o.leftover);
    return subscriber;
  });
  if (subscribers.length !== job.subscribers) throw new Error('not every subscriber opened');
  const pub = await openWebSocket({ port: job.port, deflate: false, timeoutMs: job.timeoutMs, path: '/pub' });
  pub.socket.on('error', (error: Error) => {
    run.error ??= error;
  });
  sockets.push(pub.socket);
  const frame = buildFrame(asciiPayload(job.size), { opcode: OPCODE_BINARY, mask: BENCH_MASK });
  current = { run, sockets, publisher: pub.socket, frame };
  // Give the servers a moment to finish what follows each 101 (subscribing), before anything is published.
  await new Promise((resolve) => setTimeout(resolve, 100));
  reply({ type: 'ready' });
}

function go(): void {
  const { run, publisher, frame } = current!;
  const job = run.job;
  const cpu = process.cpuUsage();
  const start = performance.now();
  let finished = false;
  const finish = (): void => {
    if (finished) return;
    finished = true;
    clearTimeout(timer);
    const seconds = (performance.now() - start) / 1000;
    const used = process.cpuUsage(cpu);
    reply({
      type: 'done',
      ok: run.error === undefined && run.complete === job.messages,
      ...(run.error ? { error: run.error.message } : run.complete < job.messages ? { error: 'timed out' } : {}),
      deliveries: run.deliveries,
      seconds,
      generatorCpu: (used.user + used.system) / 1e6 / seconds,
    });
  };
  const timer = setTimeout(finish, job.timeoutMs);
  run.pump = () => {
    if (run.error !== undefined) return finish();
    if (run.complete === job.messages) return finish();
    let burst = 0;
    while (run.sent < job.messages && run.sent - run.complete < job.window) {
      if (burst++ === 0) publisher.cork();
      publisher.write(frame);
      run.sent++;
    }
    if (burst > 0) publisher.uncork();
  };
  run.pump();
}

process.on('message', (request: FanoutRequest) => {
  if (request.type === 'open') {
    open(request).catch((error: unknown) =>
      reply({ type: 'done', ok: false, error: (error as Error).message, deliveries: 0, seconds: 0, generatorCpu: 0 }),
    );
  } else if (request.type === 'run') {
    go();
  }
});
process.on('disconnect', () => {
  for (const socket of current?.sockets ?? []) socket.destroy();
  process.exit(0);
});
