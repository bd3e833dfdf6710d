import type { ChaosCase } from '../case.js';
import { inLanes } from '../lanes.js';
import { readAnswer, upgradeRequest } from '../wire/handshake.js';

/** Longest answer a refusal may have: a status line, a few headers, a short reason. */
const MAX_ANSWER = 2048;
/** A run of this many bytes of what we sent, found in the answer, counts as echoing the request back. */
const ECHO_PROBE = 200;

interface Variant {
  name: string;
  /** The request, all of it written at once. */
  request(port: number): Buffer;
  /** A distinctive piece of the request that must not come back. */
  probe: string;
}

const filler = (length: number, seed: string): string => seed.repeat(Math.ceil(length / seed.length)).slice(0, length);

const VARIANTS: Variant[] = [
  {
    // One header far past any sane head size (Node's default maxHeaderSize is 16 KiB).
    name: 'huge header',
    probe: filler(ECHO_PROBE, 'Huge'),
    request: (port) => Buffer.from(upgradeRequest(port, { extraHeaders: [`X-Huge: ${filler(64 * 1024, 'Huge')}`] })),
  },
  {
    // Thousands of small headers: a different path through the header parser (counts, not one length).
    name: 'many headers',
    probe: 'X-Many-1999: m',
    request: (port) =>
      Buffer.from(upgradeRequest(port, { extraHeaders: Array.from({ length: 4000 }, (_, i) => `X-Many-${i}: m`) })),
  },
  {
    // A 15 KB Sec-WebSocket-Extensions under the head limit: it reaches the WebSocket handshake code,
    // which must refuse it without reflecting it in the error body.
    name: 'bad extension header',
    probe: filler(ECHO_PROBE, 'bogus_param=1; '),
    request: (port) =>
      Buffer.from(
        upgradeRequest(port, {
          extraHeaders: [`Sec-WebSocket-Extensions: permessage-deflate; ${filler(15_000, 'bogus_param=1; ')}`],
        }),
      ),
  },
  {
    // Header lines at full speed, never the blank line: a megabyte of head.
    name: 'endless head',
    probe: filler(ECHO_PROBE, 'endless'),
    request: (port) =>
      Buffer.concat([
        Buffer.from(upgradeRequest(port).replace(/\r\n\r\n$/, '\r\n')),
        Buffer.from(filler(1024 * 1024, `X-E: ${filler(ECHO_PROBE, 'endless')}\r\n`)),
      ]),
  },
];

/**
 * Header floods: huge, numerous or malformed request heads. The server must answer 431 or 400 (or just
 * close), never 101, keep its answer short without echoing what it was sent, and close the socket.
 */
export const headerFlood: ChaosCase = {
  name: 'header-flood',
  summary: 'huge, numerous, malformed and endless request headers; expect 431/400 or a close, short, never an echo',
  timeLimitMs: (s) => (s.form === 'quick' ? 10_000 : 30_000),
  async attack(ctx) {
    const rounds = ctx.quick ? 5 : 25;
    const waitMs = ctx.knobs.handshakeTimeout + 1000;
    const bad: string[] = [];
    for (const variant of VARIANTS) {
      const request = variant.request(ctx.port);
      await inLanes(rounds, 5, ctx.until, async () => {
        const socket = await ctx.connect();
        // Written whole: the server may refuse and close half way, which the write error shows, not us.
        socket.write(request);
        const answer = await readAnswer(socket, waitMs, 1024 * 1024);
        const label = answer.status !== undefined ? `http ${answer.status}` : answer.ended ? 'closed' : 'open';
        ctx.outcome(label);
        const size = Buffer.byteLength(answer.head) + 4 + answer.rest.length;
        const reflected = `${answer.head}\r\n\r\n${answer.rest.toString('latin1')}`.includes(variant.probe);
        if (answer.status === 101) bad.push(`${variant.name}: accepted with 101`);
        else if (answer.status !== undefined && answer.status !== 400 && answer.status !== 431)
          bad.push(`${variant.name}: answered ${answer.status}`);
        if (answer.status !== undefined && size > MAX_ANSWER) bad.push(`${variant.name}: a ${size}-byte answer`);
        if (reflected) bad.push(`${variant.name}: the answer echoes the request`);
        if (!answer.ended) bad.push(`${variant.name}: socket left open ${waitMs} ms after the request`);
      });
    }
    const distinct = [...new Set(bad)];
    ctx.require(distinct.length === 0, distinct.join('; '));
  },
};
