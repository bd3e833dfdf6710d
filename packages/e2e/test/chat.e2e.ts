/**
 * The chat (`pnpm chat`) across engines and processes: Chromium on one chat process, Firefox on
 * another, both processes on one Redis. Each browser loads the real page from its own process, joins
 * a room through the page's form and sends through its input; each must see the other's message,
 * which crossed Redis, shown as text (no markup from a message ever becomes an element).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { command } from '../../redis/test/helpers/resp.js';
import { type RedisServer, startRedis } from '../../redis/test/helpers/redis-server.js';
import { type BrowserSession, ENGINES, type EngineName } from '../src/engines/index.js';
import { type ServerProcess, startChatServer } from '../src/server-process.js';
import { createTestCertificate, type TestCertificate } from '../src/tls-cert.js';

const ROOM = 'e2e-room';

/** Runs `body` (an async function's body, returning a JSON-able value) in the page. */
async function inPage<T>(session: BrowserSession, body: string, timeoutMs = 15_000): Promise<T> {
  return JSON.parse(await session.evaluate(`(async () => JSON.stringify(await (async () => { ${body} })()))()`, timeoutMs)) as T;
}

/** Fills the page's join form and submits it; resolves with the status line once the socket is open. */
function joinThroughForm(session: BrowserSession, name: string, room: string): Promise<string> {
  return inPage<string>(
    session,
    `
    document.getElementById('name').value = ${JSON.stringify(name)};
    document.getElementById('room').value = ${JSON.stringify(room)};
    document.getElementById('join').requestSubmit();
    const deadline = Date.now() + 10000;
    while (document.getElementById('text').disabled) {
      if (Date.now() > deadline) throw new Error('not joined: ' + document.getElementById('status').textContent);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return document.getElementById('status').textContent;`,
  );
}

/** Types `text` into the message input and submits the form. */
function sendThroughForm(session: BrowserSession, text: string): Promise<string> {
  return inPage<string>(
    session,
    `
    document.getElementById('text').value = ${JSON.stringify(text)};
    document.getElementById('send').requestSubmit();
    return document.getElementById('text').value;`,
  );
}

interface Shown {
  messages: { name: string; text: string }[];
  /** Elements inside the messages list other than its items and their two spans. */
  strayElements: number;
  /** Set by a script in a message, if one ever ran. */
  injected: unknown;
}

/** Waits until the page shows `count` messages; resolves with what it shows. */
function shownMessages(session: BrowserSession, count: number): Promise<Shown> {
  return inPage<Shown>(
    session,
    `
    const deadline = Date.now() + 10000;
    const items = () => Array.from(document.querySelectorAll('#messages li:not(.notice)'));
    while (items().length < ${count}) {
      if (Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return {
      messages: items().map((item) => ({
        name: item.querySelector('.name').textContent,
        text: item.querySelector('.text').textContent,
      })),
      strayElements: document.querySelectorAll('#messages *:not(li):not(span.name):not(span.text)').length,
      injected: window.injected === undefined ? null : window.injected,
    };`,
  );
}

describe('chat: Chromium and Firefox on two chat processes, one Redis', () => {
  const engines: EngineName[] = ['chromium', 'firefox'];
  let redis: RedisServer | undefined;
  let certificate: TestCertificate | undefined;
  const chats: ServerProcess[] = [];
  const sessions = new Map<EngineName, BrowserSession>();

  beforeAll(async () => {
    redis = await startRedis();
    certificate = await createTestCertificate();
    for (let i = 0; i < engines.length; i++) chats.push(await startChatServer(['--port', '0', '--redis', redis.url]));
    // Both engines at once: each is its own browser process, so nothing in the harness forbids it.
    const launched = await Promise.allSettled(engines.map((engine) => ENGINES[engine]({ tls: certificate! })));
    launched.forEach((result, i) => {
      if (result.status === 'fulfilled') sessions.set(engines[i]!, result.value);
    });
    const failed = launched.find((result) => result.status === 'rejected');
    if (failed !== undefined) throw (failed as PromiseRejectedResult).reason;
    for (const [i, engine] of engines.entries()) {
      console.log(`[chat] ${sessions.get(engine)!.description} on ${chats[i]!.url}`);
      await sessions.get(engine)!.open(chats[i]!.url.replace(/^ws:/, 'http:'));
    }
  }, 180_000);

  afterAll(async () => {
    await Promise.all([...sessions.values()].map((session) => session.close()));
    await Promise.all(chats.map((chat) => chat.stop()));
    await redis?.dispose();
    await certificate?.dispose();
  }, 60_000);

  it("each browser sees the other one's message through the page, across Redis, as text", async () => {
    const chromium = sessions.get('chromium')!;
    const firefox = sessions.get('firefox')!;
    expect(await joinThroughForm(chromium, 'chromium <b>user</b>', ROOM)).toBe(`in room ${ROOM} as chromium <b>user</b>`);
    expect(await joinThroughForm(firefox, 'firefox', ROOM)).toBe(`in room ${ROOM} as firefox`);
    // Both processes have the room subscribed in Redis before anyone speaks (subscribing is asynchronous).
    const deadline = Date.now() + 10_000;
    for (;;) {
      const [, count] = (await command(redis!.port, ['PUBSUB', 'NUMSUB', `wsts:room:${ROOM}`])) as [Buffer, number];
      if (count === 2) break;
      if (Date.now() > deadline) throw new Error(`room subscribed by ${count} processes, not 2`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }

    const fromChromium = 'hello from Chromium <img src=x onerror="window.injected=1">';
    const fromFirefox = 'hello from Firefox & <script>window.injected=2</script> 😀';
    expect(await sendThroughForm(chromium, fromChromium)).toBe('');
    // The second message goes out after the first has arrived everywhere, so both pages show one order.
    await shownMessages(firefox, 1);
    expect(await sendThroughForm(firefox, fromFirefox)).toBe('');

    const expected = [
      { name: 'chromium <b>user</b>', text: fromChromium },
      { name: 'firefox', text: fromFirefox },
    ];
    for (const session of [chromium, firefox]) {
      expect(await shownMessages(session, 2), session.engine).toEqual({ messages: expected, strayElements: 0, injected: null });
    }
  });
});
