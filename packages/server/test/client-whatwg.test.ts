/**
 * The WHATWG WebSocket class: the shared event script run against our class and against undici's
 * WebSocket (an independent implementation of the same standard), plus the standard's argument checks.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket as UndiciWebSocket } from 'undici';
import { CloseEvent, WebSocket } from '../src/client/index.js';
import { freePort, startWsEcho, type RunningPeer } from './fixtures/client-peers.js';
import { runEventScript, type ScriptSocketConstructor } from './fixtures/event-script.js';

let echo: RunningPeer;
let failUrl: string;
beforeAll(async () => {
  echo = await startWsEcho();
  failUrl = `ws://127.0.0.1:${await freePort()}/`;
});
afterAll(async () => {
  await echo.close();
});

/**
 * Where undici 7 departs from the WHATWG standard, and what the standard says instead. Each entry turns
 * undici's observation into the standard's; everything else must match exactly.
 */
function undiciAsStandard(log: string[]): string[] {
  const out = [...log];
  // 1. send() after close() "must increase the bufferedAmount attribute by the number of bytes needed
  //    to express the argument as UTF-8" (send() steps; the intro adds that the value "does not reset to
  //    zero once the connection closes"). undici returns early and leaves it at 0.
  const late = out.indexOf('client-close bufferedAmount after late send=0');
  if (late !== -1) out[late] = 'client-close bufferedAmount after late send=4';
  // 2. close() while CONNECTING fails the connection and sets CLOSING; the 'error' and 'close' events
  //    come from a queued task ("the WebSocket connection is closed"), i.e. after close() returns.
  //    undici dispatches both synchronously inside close().
  const after = out.indexOf('connecting after close() readyState=2');
  const firstEvent = out.indexOf('connecting error isEvent=true readyState=3');
  if (after !== -1 && firstEvent !== -1 && after > firstEvent) {
    out.splice(after, 1);
    out.splice(firstEvent, 0, 'connecting after close() readyState=2');
  }
  return out;
}

describe('event script: ours against undici', { timeout: 30_000 }, () => {
  it('records the same sequence as undici, modulo undici\'s two documented departures from the standard', async () => {
    const theirs = await runEventScript(UndiciWebSocket as unknown as ScriptSocketConstructor, echo.url, failUrl);
    const ours = await runEventScript(WebSocket as unknown as ScriptSocketConstructor, echo.url, failUrl);
    expect(ours).toEqual(undiciAsStandard(theirs));
    // Guard against the script silently degrading: it must have seen every phase.
    expect(ours.some((line) => line.startsWith('echo close code=4001'))).toBe(true);
    expect(ours.some((line) => line.startsWith('refused close code=1006'))).toBe(true);
    expect(ours.filter((line) => line.includes('timeout'))).toEqual([]);
  });
});
