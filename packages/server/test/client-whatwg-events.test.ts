/**
 * How the WHATWG WebSocket dispatches its events: received messages go through the class's own listener
 * table and event class (listeners.ts, `ReceivedMessageEvent`), so every rule of EventTarget that path
 * touches is checked here against Node's own EventTarget and MessageEvent doing the same thing.
 */
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from '../src/client/index.js';
import { startWsEcho } from './fixtures/client-peers.js';

let echo: Awaited<ReturnType<typeof startWsEcho>>;
beforeAll(async () => {
  echo = await startWsEcho();
});
afterAll(async () => {
  await echo.close();
});

type Listener = (this: unknown, event: Event) => void;

async function open(): Promise<WebSocket> {
  const ws = new WebSocket(echo.url);
  ws.binaryType = 'arraybuffer';
  await new Promise((resolve) => ws.addEventListener('open', resolve, { once: true }));
  return ws;
}

async function close(ws: WebSocket): Promise<void> {
  const closed = new Promise((resolve) => ws.addEventListener('close', resolve, { once: true }));
  ws.close();
  await closed;
}

/**
 * Sends `text` through the echo server and resolves once its message was dispatched to every listener:
 * the listener added here is the last one registered, and removes itself.
 */
function echoed(ws: WebSocket, text: string): Promise<void> {
  return new Promise((resolve) => {
    const last = (event: Event): void => {
      if ((event as MessageEvent).data !== text) return;
      ws.removeEventListener('message', last);
      resolve();
    };
    ws.addEventListener('message', last);
    ws.send(text);
  });
}

/** Catches what is thrown to `process` (uncaught exceptions) while `run` lasts, instead of the runner. */
async function catchingUncaught(run: (errors: unknown[]) => Promise<void>): Promise<unknown[]> {
  const errors: unknown[] = [];
  const runners = process.listeners('uncaughtException');
  process.removeAllListeners('uncaughtException');
  const catcher = (error: unknown): void => {
    errors.push(error);
  };
  process.on('uncaughtException', catcher);
  try {
    await run(errors);
    // Reported errors arrive on a later tick than the dispatch.
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    process.removeListener('uncaughtException', catcher);
    for (const listener of runners) process.on('uncaughtException', listener);
  }
  return errors;
}

/**
 * Every attribute of `Event.prototype` and `MessageEvent.prototype` read on `event`, plus
 * `composedPath()`; targets are named, so two dispatches on different targets compare equal.
 */
function snapshot(event: Event, target: EventTarget): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const name = (value: unknown): unknown => (value === target ? 'TARGET' : value);
  for (const proto of [Event.prototype, MessageEvent.prototype]) {
    for (const [key, descriptor] of Object.entries(Object.getOwnPropertyDescriptors(proto))) {
      if (descriptor.get === undefined || key === 'data') continue;
      const value = (event as unknown as Record<string, unknown>)[key];
      out[key] = key === 'timeStamp' ? typeof value : name(value);
    }
  }
  out.composedPath = event.composedPath().map(name);
  return out;
}

describe('WHATWG WebSocket message events', { timeout: 10_000 }, () => {
  it('reads like the MessageEvent Node dispatches, during and after dispatch, and is one', async () => {
    // The reference: Node's own MessageEvent dispatched by Node's own EventTarget.
    const reference = new EventTarget();
    const expected: Record<string, unknown>[] = [];
    reference.addEventListener('message', (event) => expected.push(snapshot(event, reference)), { once: true });
    const referenceEvent = new MessageEvent('message', { data: 'x', origin: new URL(echo.url).origin });
    reference.dispatchEvent(referenceEvent);
    expected.push(snapshot(referenceEvent, reference));

    const ws = await open();
    const seen: Record<string, unknown>[] = [];
    let received: Event | undefined;
    ws.addEventListener('message', (event) => {
      received = event;
      seen.push(snapshot(event, ws));
    });
    await echoed(ws, 'x');
    seen.push(snapshot(received!, ws));
    expect(seen).toEqual(expected);
    expect(expected[0]).toMatchObject({ type: 'message', currentTarget: 'TARGET', eventPhase: 2, isTrusted: false });
    expect(expected[1]).toMatchObject({ currentTarget: null, eventPhase: 0, composedPath: [] });

    const event = received as MessageEvent;
    expect(event).toBeInstanceOf(MessageEvent);
    expect(event).toBeInstanceOf(Event);
    expect(event.constructor).toBe(MessageEvent);
    expect(Object.prototype.toString.call(event)).toBe(Object.prototype.toString.call(referenceEvent));
    expect(event.data).toBe('x');
    expect(event.ports).toEqual([]);
    expect(typeof event.timeStamp).toBe('number');
    expect(event.timeStamp).toBeGreaterThan(referenceEvent.timeStamp);
    expect(event.timeStamp).toBeLessThanOrEqual(performance.now());
    // Node's own Event inspector would throw on it; ours prints what matters.
    expect(inspect(event)).toMatch(/^MessageEvent \{[\s\S]*type: 'message'[\s\S]*data: 'x'/);
    await close(ws);
  });

  it('calls listeners in registration order: functions with the socket as this, handleEvent objects looked up at each call, duplicates once', async () => {
    const ws = await open();
    const calls: string[] = [];
    const fn: Listener = function (this: unknown) {
      calls.push(this === ws ? 'fn this=ws' : 'fn wrong this');
    };
    const object = {
      handleEvent(this: unknown, _event: Event): void {
        calls.push(this === object ? 'object this=object' : 'object wrong this');
      },
    };
    ws.addEventListener('message', fn);
    ws.onmessage = () => calls.push('onmessage');
    ws.addEventListener('message', object);
    ws.addEventListener('message', fn); // duplicate: ignored
    ws.addEventListener('message', fn, { once: true }); // duplicate too: once does not make it another
    ws.addEventListener('message', fn, true); // another capture flag: another listener
    ws.addEventListener('message', object);
    await echoed(ws, 'a');
    expect(calls).toEqual(['fn this=ws', 'onmessage', 'object this=object', 'fn this=ws']);
    calls.length = 0;
    object.handleEvent = function (this: unknown) {
      calls.push('replaced handleEvent');
    };
    ws.removeEventListener('message', fn); // the one without capture
    await echoed(ws, 'b');
    expect(calls).toEqual(['onmessage', 'replaced handleEvent', 'fn this=ws']);
    calls.length = 0;
    ws.removeEventListener('message', fn, { capture: true });
    ws.removeEventListener('message', object);
    ws.onmessage = null;
    await echoed(ws, 'c');
    expect(calls).toEqual([]);
    await close(ws);
  });

  it('keeps currentTarget and eventPhase for every listener of the dispatch, as the DOM says', async () => {
    const ws = await open();
    const seen: unknown[] = [];
    for (let i = 0; i < 3; i++)
      ws.addEventListener('message', (event) => seen.push([event.currentTarget === ws, event.eventPhase]));
    await echoed(ws, 'x');
    // (Node's own EventTarget reports null and NONE from the second listener on.)
    expect(seen).toEqual([
      [true, 2],
      [true, 2],
      [true, 2],
    ]);
    await close(ws);
  });

  it('runs a once listener once, and a listener with a signal until the signal aborts (never, if it already did)', async () => {
    const ws = await open();
    const calls: string[] = [];
    const controller = new AbortController();
    ws.addEventListener('message', () => calls.push('once'), { once: true });
    ws.addEventListener('message', () => calls.push('signal'), { signal: controller.signal });
    ws.addEventListener('message', () => calls.push('aborted'), { signal: AbortSignal.abort() });
    await echoed(ws, 'a');
    controller.abort();
    await echoed(ws, 'b');
    expect(calls).toEqual(['once', 'signal']);
    // A listener removed by its signal can be added again.
    const again = (): number => calls.push('again');
    const second = new AbortController();
    ws.addEventListener('message', again, { signal: second.signal });
    second.abort();
    ws.addEventListener('message', again);
    await echoed(ws, 'c');
    expect(calls).toEqual(['once', 'signal', 'again']);
    await close(ws);
  });

  it('skips a listener removed during the dispatch, and calls one added during it from the next message on', async () => {
    const ws = await open();
    const calls: string[] = [];
    const later = (): number => calls.push('later');
    const added = (): number => calls.push('added');
    ws.addEventListener('message', () => {
      calls.push('first');
      ws.addEventListener('message', added);
      ws.removeEventListener('message', later);
    });
    ws.addEventListener('message', later);
    await echoed(ws, 'a');
    expect(calls).toEqual(['first']);
    await echoed(ws, 'b');
    expect(calls).toEqual(['first', 'first', 'added']);
    await close(ws);
  });

  it('stops at stopImmediatePropagation(), not at stopPropagation(), which only sets cancelBubble', async () => {
    const ws = await open();
    const calls: unknown[] = [];
    ws.addEventListener('message', (event) => {
      calls.push(`a ${(event as MessageEvent).data}`);
      event.stopPropagation();
    });
    ws.addEventListener('message', (event) => {
      calls.push(`b cancelBubble=${event.cancelBubble}`);
      if ((event as MessageEvent).data === 'stop') event.stopImmediatePropagation();
    });
    ws.addEventListener('message', () => calls.push('c'));
    await echoed(ws, 'go');
    ws.send('stop');
    await echoed(ws, 'after');
    expect(calls).toEqual([
      'a go',
      'b cancelBubble=true',
      'c',
      'a stop',
      'b cancelBubble=true',
      'a after',
      'b cancelBubble=true',
      'c',
    ]);
    await close(ws);
  });

  it('reports a throwing listener as EventTarget does (an uncaught exception on a later tick), and calls the others', async () => {
    const reference = new EventTarget();
    const referenceCalls: string[] = [];
    const referenceErrors = await catchingUncaught(async () => {
      reference.addEventListener('message', () => {
        throw new Error('reference listener');
      });
      reference.addEventListener('message', () => referenceCalls.push('after'));
      reference.dispatchEvent(new MessageEvent('message', { data: 'x' }));
      referenceCalls.push('dispatch returned');
    });
    expect(referenceCalls).toEqual(['after', 'dispatch returned']);
    expect(referenceErrors.map((e) => (e as Error).message)).toEqual(['reference listener']);

    const ws = await open();
    const calls: string[] = [];
    const errors = await catchingUncaught(async (seen) => {
      ws.addEventListener('message', () => {
        calls.push(`thrown, errors so far ${seen.length}`);
        throw new Error('our listener');
      });
      ws.onmessage = () => {
        throw new Error('our handler');
      };
      ws.addEventListener('message', () => calls.push(`after, errors so far ${seen.length}`));
      await echoed(ws, 'x');
    });
    expect(calls).toEqual(['thrown, errors so far 0', 'after, errors so far 0']);
    expect(errors.map((e) => (e as Error).message)).toEqual(['our listener', 'our handler']);
    await close(ws);
  });

  it("delivers the program's own dispatchEvent() calls to the same listeners, with Node's EventTarget rules", async () => {
    const ws = await open();
    const calls: string[] = [];
    const object = { handleEvent: (event: Event) => calls.push(`object ${event.type} target=${event.target === ws}`) };
    ws.addEventListener('message', (event) => calls.push(`fn ${(event as MessageEvent).data}`));
    ws.addEventListener('message', object);
    ws.addEventListener('message', () => calls.push('once'), { once: true });
    ws.addEventListener('custom', (event) => {
      calls.push('custom first');
      event.stopImmediatePropagation();
    });
    ws.addEventListener('custom', () => calls.push('custom second'));
    expect(ws.dispatchEvent(new MessageEvent('message', { data: 'mine' }))).toBe(true);
    ws.dispatchEvent(new Event('custom'));
    expect(calls).toEqual(['fn mine', 'object message target=true', 'once', 'custom first']);
    calls.length = 0;
    // The once listener the program's event used up is gone for received messages too.
    await echoed(ws, 'received');
    expect(calls).toEqual(['fn received', 'object message target=true']);
    calls.length = 0;
    // A listener removed is gone for both paths.
    ws.removeEventListener('message', object);
    ws.dispatchEvent(new MessageEvent('message', { data: 'mine' }));
    await echoed(ws, 'received');
    expect(calls).toEqual(['fn mine', 'fn received']);
    await close(ws);
  });

  it("refuses addEventListener/removeEventListener arguments as Node's EventTarget does", async () => {
    const ws = new WebSocket(echo.url);
    const reference = new EventTarget();
    const fn = (): void => {};
    const cases: unknown[][] = [
      [],
      ['message'],
      ['message', 5],
      ['message', 'text'],
      ['message', fn, 5],
      ['message', fn, 'capture'],
      ['message', fn, { signal: 1 }],
      ['message', fn, { signal: null }],
      ['message', fn, { signal: {} }],
      ['message', fn, null],
      ['message', fn, false],
      ['message', { handleEvent: 1 }],
    ];
    const outcome = (run: () => void): string => {
      try {
        run();
        return 'ok';
      } catch (error) {
        return `${(error as Error).name} ${(error as { code?: string }).code}`;
      }
    };
    const call = (target: EventTarget, method: 'addEventListener' | 'removeEventListener', args: unknown[]) => () =>
      (target[method] as (...a: unknown[]) => void)(...args);
    for (const args of cases) {
      for (const method of ['addEventListener', 'removeEventListener'] as const) {
        expect(outcome(call(ws, method, args)), `${method}(${inspect(args)})`).toBe(outcome(call(reference, method, args)));
      }
    }
    // null and undefined listeners are ignored with the same warning.
    const warnings: unknown[] = [];
    const onWarning = (warning: Error & { target?: unknown; type?: unknown }): number =>
      warnings.push([warning.name, warning.target === ws || warning.target === reference, warning.type]);
    process.on('warning', onWarning);
    try {
      reference.addEventListener('message', null as unknown as () => void);
      ws.addEventListener('message', null);
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.removeListener('warning', onWarning);
    }
    expect(warnings).toEqual([
      ['AddEventListenerArgumentTypeWarning', true, 'message'],
      ['AddEventListenerArgumentTypeWarning', true, 'message'],
    ]);
    await new Promise((resolve) => ws.addEventListener('open', resolve, { once: true }));
    await close(ws);
  });
});
