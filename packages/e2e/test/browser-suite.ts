/**
 * The one test body every engine runs. An engine's test file is a single call:
 * `defineBrowserSuite('chromium')`. Launch failures fail every test of that engine (never a skip).
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES, type BrowserSession, type EngineName } from '../src/engines/index.js';
import { runScenario } from '../src/page-client.js';
import { startServer, type ServerProcess } from '../src/server-process.js';
import type { StaticServer } from '../src/static-server.js';
import { EVENT_SCRIPT_FIXTURE, startTestPage, testPageFiles } from '../src/test-page.js';
import { type Http2PageServer, startHttp2PageServer } from '../src/h2-page-server.js';
import { asBrowserWouldSee } from '../src/event-script-differences.js';
import { loadNodeWebSocket } from '../src/node-client.js';
import { freePort } from '../src/processes.js';
import { createTestCertificate, type TestCertificate } from '../src/tls-cert.js';
import type { ObserverServer } from '../src/observer-server.js';
import type { CloseInfo, CodecReport, EchoVerdict } from '../src/page/index.js';

/** Sizes from issue 6: empty, the 7-bit length limit and one past it, 64 KiB (64-bit length), 16 MiB. */
export const ECHO_SIZES = [0, 125, 126, 64 * 1024, 16 * 1024 * 1024] as const;
const BURST_COUNT = 1_000;
/** TLS and deflate add per-byte work; these sizes still cross every frame-length boundary. */
const WSS_SIZES = [0, 125, 126, 64 * 1024, 1024 * 1024] as const;
const DEFLATE_SIZES = [0, 1, 126, 64 * 1024, 1024 * 1024] as const;
const COMPRESSIBLE_SIZE = 1024 * 1024;

export function defineBrowserSuite(engine: EngineName): void {
  describe(engine, () => {
    let session: BrowserSession | undefined;
    let pages: StaticServer | undefined;
    let certificate: TestCertificate | undefined;

    const browser = (): BrowserSession => {
      if (session === undefined) throw new Error(`${engine} did not start (see the first failure)`);
      return session;
    };

    beforeAll(async () => {
      certificate = await createTestCertificate();
      pages = await startTestPage();
      session = await ENGINES[engine]({ tls: certificate });
      console.log(`[${engine}] ${session.description}`);
      await session.open(`${pages.origin}/`);
    }, 120_000);

    afterAll(async () => {
      await session?.close();
      await pages?.close();
      await certificate?.dispose();
    }, 60_000);

    it('launches, loads the page bundle and evaluates in it', async ({ task }) => {
      task.meta.engineRoute = browser().description;
      const names = JSON.parse(await browser().evaluate('JSON.stringify(globalThis.wstsE2E.scenarios)', 10_000)) as string[];
      expect(names).toContain('echoSizes');
      const agent = JSON.parse(await browser().evaluate('JSON.stringify(navigator.userAgent)', 10_000)) as string;
      expect(agent.length).toBeGreaterThan(0);
    });

    it('runs the @wsts/protocol codec, bundled for the browser, in the page', async () => {
      const report = await runScenario<CodecReport>(browser(), 'codecRoundTrip', {});
      // RFC 6455 section 1.3's example, checked against Node's own SHA-1 rather than a literal.
      const rfcKey = 'dGhlIHNhbXBsZSBub25jZQ==';
      expect(report.rfcAccept).toBe(createHash('sha1').update(`${rfcKey}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64'));
      expect(report.handshake).toEqual({ protocol: 'chat.v1', accepted: true });
      expect(report.echoed).toEqual([
        { binary: false, size: 26, equal: true },
        { binary: true, size: 70_000, equal: true },
        { binary: true, size: 0, equal: true },
      ]);
      expect(report.pongs).toEqual(['are you there']);
      expect(report.serverClose).toEqual({ code: 4321, reason: 'codec says bye' });
      expect(report.clientClose?.code).toBe(4321);
      expect(report.states).toEqual({ client: 'closed', server: 'closed' });
      expect(report.invalidUtf8Code).toBe(1007);
      expect(report.frameByteByByte).toEqual({ opcode: 2, fin: true, payload: 'byte by byte' });
    });

    describe('example server (the seed)', () => {
      let example: ServerProcess | undefined;
      beforeAll(async () => {
        example = await startServer('example', ['--port', '0', '--host', '127.0.0.1']);
      }, 30_000);
      afterAll(async () => {
        await example?.stop();
      });

      it('welcomes, thanks every message (multi-byte too) and prints the seed lines', async () => {
        const server = example!;
        const messages = ['hello', 'héllo wörld', '€ 中文 😀 𝄞', ''];
        const from = server.lines.length;
        const result = await runScenario<{ welcome: string; replies: string[]; close: CloseInfo }>(browser(), 'exampleSession', {
          url: server.url,
          messages,
        });
        expect(result.welcome).toBe('Welcome to my websocket!');
        expect(result.replies).toEqual(messages.map((m) => `Thanks, I got [${m}]`));
        expect(result.close.wasClean).toBe(true);
        let at = from;
        for (const message of messages) at = (await server.waitForLine(`Received message: ${message}`, 10_000, at)) + 1;
        await server.waitForLine('Connection closed', 10_000, at);
      });
    });

    describe('echo server', () => {
      let echo: ServerProcess | undefined;
      beforeAll(async () => {
        echo = await startServer('echo', ['--port', '0', '--no-deflate']);
      }, 30_000);
      afterAll(async () => {
        await echo?.stop();
      });

      for (const kind of ['text', 'arraybuffer', 'blob'] as const) {
        it(`echoes ${kind} of ${ECHO_SIZES.join(', ')} bytes exactly`, async () => {
          const result = await runScenario<{ verdicts: EchoVerdict[]; close: CloseInfo }>(browser(), 'echoSizes', {
            url: echo!.url,
            kind,
            sizes: ECHO_SIZES,
          });
          const expectedKind = kind === 'text' ? 'text' : kind;
          expect(result.verdicts).toEqual(
            ECHO_SIZES.map((size) => ({
              size,
              sentKind: kind,
              receivedKind: expectedKind,
              receivedSize: size,
              firstDifference: -1,
            })),
          );
          expect(result.close).toMatchObject({ code: 1000, wasClean: true });
        });
      }

      it(`keeps ${BURST_COUNT} messages sent in a burst in order`, async () => {
        const result = await runScenario<{ received: number; outOfOrder: number[] }>(browser(), 'burst', {
          url: echo!.url,
          count: BURST_COUNT,
        });
        expect(result).toMatchObject({ received: BURST_COUNT, outOfOrder: [] });
      });

      it('delivers the server close code and reason (4000, "bye") with wasClean true', async () => {
        const result = await runScenario<{ close: CloseInfo; events: string[] }>(browser(), 'serverCloses', {
          url: echo!.url,
          code: 4000,
          reason: 'bye',
        });
        expect(result.close).toEqual({ code: 4000, reason: 'bye', wasClean: true });
        expect(result.events).toEqual(['open', 'close:4000']);
      });

      it('closes from the page with 4001 and the server answers with the same code', async () => {
        const result = await runScenario<{ close: CloseInfo; events: string[] }>(browser(), 'pageCloses', {
          url: echo!.url,
          code: 4001,
          reason: 'page says bye',
        });
        expect(result.close).toMatchObject({ code: 4001, wasClean: true });
      });

      it('reports wasClean false and 1006 when the server destroys the socket', async () => {
        const result = await runScenario<{ close: CloseInfo; events: string[] }>(browser(), 'serverTerminates', {
          url: echo!.url,
        });
        expect(result.close).toMatchObject({ code: 1006, wasClean: false });
      });

      it('negotiates the subprotocol the server picks (echo picks the first offered)', async () => {
        const offered = await runScenario<{ protocol: string; echo: string }>(browser(), 'subprotocol', {
          url: echo!.url,
          protocols: ['chat.v2', 'chat.v1'],
        });
        expect(offered).toMatchObject({ protocol: 'chat.v2', echo: 'protocol check' });
        const none = await runScenario<{ protocol: string }>(browser(), 'subprotocol', { url: echo!.url, protocols: [] });
        expect(none.protocol).toBe('');
      });

      it('has no extensions when the server runs with --no-deflate', async () => {
        const result = await runScenario<{ extensions: string }>(browser(), 'echoSizes', {
          url: echo!.url,
          kind: 'text',
          sizes: [1],
        });
        expect(result.extensions).toBe('');
      });
    });

    describe('echo server over TLS (wss, certificate generated by the test)', () => {
      let secure: ServerProcess | undefined;
      beforeAll(async () => {
        secure = await startServer('echo', [
          '--port',
          '0',
          '--no-deflate',
          '--tls-cert',
          certificate!.certFile,
          '--tls-key',
          certificate!.keyFile,
        ]);
      }, 30_000);
      afterAll(async () => {
        await secure?.stop();
      });

      for (const kind of ['text', 'arraybuffer'] as const) {
        it(`echoes ${kind} of ${WSS_SIZES.join(', ')} bytes over wss`, async () => {
          expect(secure!.url.startsWith('wss://')).toBe(true);
          const result = await runScenario<{ verdicts: EchoVerdict[]; close: CloseInfo }>(browser(), 'echoSizes', {
            url: secure!.url,
            kind,
            sizes: WSS_SIZES,
          });
          expect(result.verdicts.map((v) => [v.size, v.receivedSize, v.firstDifference])).toEqual(
            WSS_SIZES.map((size) => [size, size, -1]),
          );
          expect(result.close).toMatchObject({ code: 1000, wasClean: true });
        });
      }

      it('refuses a certificate it was not told to trust', async (context) => {
        if (!browser().trustsOnlyTestCertificate) {
          context.skip(`${engine} accepts any certificate in this automation session (see docs/testing.md)`);
        }
        const stranger = await createTestCertificate();
        const other = await startServer('echo', [
          '--port',
          '0',
          '--no-deflate',
          '--tls-cert',
          stranger.certFile,
          '--tls-key',
          stranger.keyFile,
        ]);
        try {
          const result = await runScenario<{ close: CloseInfo; events: string[] }>(browser(), 'rejectedHandshake', {
            url: other.url,
          });
          expect(result.events).toEqual(['error', 'close:1006']);
          expect(result.close).toMatchObject({ code: 1006, wasClean: false });
        } finally {
          await other.stop();
          await stranger.dispose();
        }
      });

      it('closes cleanly with the server code and reason over wss', async () => {
        const result = await runScenario<{ close: CloseInfo }>(browser(), 'serverCloses', {
          url: secure!.url,
          code: 4000,
          reason: 'bye',
        });
        expect(result.close).toEqual({ code: 4000, reason: 'bye', wasClean: true });
      });
    });

    describe('permessage-deflate (echo server default)', () => {
      let deflating: ServerProcess | undefined;
      beforeAll(async () => {
        deflating = await startServer('echo', ['--port', '0']);
      }, 30_000);
      afterAll(async () => {
        await deflating?.stop();
      });

      for (const kind of ['text', 'arraybuffer'] as const) {
        it(`negotiates permessage-deflate and round-trips compressed ${kind}`, async () => {
          const result = await runScenario<{ verdicts: EchoVerdict[]; extensions: string; close: CloseInfo }>(
            browser(),
            'echoSizes',
            {
              url: deflating!.url,
              kind,
              sizes: DEFLATE_SIZES,
            },
          );
          expect(result.extensions).toMatch(/^permessage-deflate\b/);
          expect(result.verdicts.map((v) => [v.size, v.receivedSize, v.firstDifference])).toEqual(
            DEFLATE_SIZES.map((size) => [size, size, -1]),
          );
          expect(result.close).toMatchObject({ code: 1000, wasClean: true });
        });
      }

      it('compresses on the wire: 2 MiB of repetitive data cross as a few KiB each way', async () => {
        const { startByteCountingProxy } = await import('../src/byte-counting-proxy.js');
        const proxy = await startByteCountingProxy(deflating!.url);
        try {
          const result = await runScenario<{ extensions: string; textEqual: boolean; binaryEqual: boolean }>(
            browser(),
            'echoCompressible',
            {
              url: proxy.url,
              size: COMPRESSIBLE_SIZE,
            },
          );
          expect(result).toEqual({
            extensions: expect.stringMatching(/^permessage-deflate\b/),
            textEqual: true,
            binaryEqual: true,
          });
          const { up, down } = proxy.counts();
          console.log(
            `[${engine}] permessage-deflate: 2 x ${COMPRESSIBLE_SIZE} bytes each way crossed as ${up} bytes up, ${down} bytes down`,
          );
          // Uncompressed, each direction would carry 2 x 1 MiB plus framing; deflate shrinks this ~100x.
          expect(up).toBeLessThan(COMPRESSIBLE_SIZE / 8);
          expect(down).toBeLessThan(COMPRESSIBLE_SIZE / 8);
        } finally {
          await proxy.close();
        }
      });

      it('sends the same data uncompressed when the server declines (--no-deflate control)', async () => {
        const plain = await startServer('echo', ['--port', '0', '--no-deflate']);
        const { startByteCountingProxy } = await import('../src/byte-counting-proxy.js');
        const proxy = await startByteCountingProxy(plain.url);
        try {
          const result = await runScenario<{ extensions: string; textEqual: boolean; binaryEqual: boolean }>(
            browser(),
            'echoCompressible',
            {
              url: proxy.url,
              size: COMPRESSIBLE_SIZE,
            },
          );
          expect(result).toEqual({ extensions: '', textEqual: true, binaryEqual: true });
          expect(proxy.counts().up).toBeGreaterThan(2 * COMPRESSIBLE_SIZE);
          expect(proxy.counts().down).toBeGreaterThan(2 * COMPRESSIBLE_SIZE);
        } finally {
          await proxy.close();
          await plain.stop();
        }
      });
    });

    describe('our server in process (sees the server side)', () => {
      let observer: ObserverServer | undefined;
      beforeAll(async () => {
        // Loaded here, not at the top, so a broken @wsts/server fails this block only.
        const { startObserverServer } = await import('../src/observer-server.js');
        observer = await startObserverServer();
      }, 30_000);
      afterAll(async () => {
        await observer?.close();
      });

      it('receives the close code and reason the page sends', async () => {
        const path = `/page-close/${engine}`;
        const reason = 'page says bye – au revoir';
        const result = await runScenario<{ close: CloseInfo }>(browser(), 'pageCloses', {
          url: new URL(path, observer!.url).href,
          code: 4001,
          reason,
        });
        // The page sees the server's reply close frame; its reason is the server's choice (ours sends none).
        expect(result.close).toMatchObject({ code: 4001, wasClean: true });
        expect(await observer!.closeOf(path, 10_000)).toEqual({ code: 4001, reason, wasClean: true });
      });

      it('fires error then close 1006 when the server refuses the handshake (403)', async () => {
        const result = await runScenario<{ close: CloseInfo; events: string[]; readyState: number }>(
          browser(),
          'rejectedHandshake',
          {
            url: new URL(`/reject/${engine}`, observer!.url).href,
          },
        );
        expect(result.events).toEqual(['error', 'close:1006']);
        expect(result.close).toMatchObject({ code: 1006, wasClean: false });
        expect(result.readyState).toBe(3);
      });
    });

    describe('shared event script (packages/server/test/fixtures/event-script.ts)', () => {
      let echo: ServerProcess | undefined;
      beforeAll(async () => {
        echo = await startServer('echo', ['--port', '0']);
      }, 30_000);
      afterAll(async () => {
        await echo?.stop();
      });

      it('records the same event sequence as our Node client (known differences listed)', async () => {
        if (!existsSync(EVENT_SCRIPT_FIXTURE)) throw new Error(`${EVENT_SCRIPT_FIXTURE} is missing`);
        // Typed here rather than imported as a type: the fixture belongs to the server package's tests.
        const { runEventScript } = (await import(EVENT_SCRIPT_FIXTURE)) as {
          runEventScript: (ctor: unknown, url: string, failUrl?: string) => Promise<string[]>;
        };
        const { WebSocket } = await loadNodeWebSocket();
        // Nothing listens on failUrl: the port was free a moment ago and nobody is told about it.
        const failUrl = `ws://127.0.0.1:${await freePort()}/`;
        const inBrowser = await runScenario<string[]>(browser(), 'eventScript', { url: echo!.url, failUrl });
        const inNode = await runEventScript(WebSocket, echo!.url, failUrl);
        const tolerated: string[] = [];
        expect(asBrowserWouldSee(inNode, engine, tolerated)).toEqual(inBrowser);
        if (tolerated.length > 0)
          console.log(`[${engine}] event script, tolerated known differences:\n  ${tolerated.join('\n  ')}`);
        // The script must have gone through every phase, not timed out early.
        expect(inBrowser.some((line) => line.startsWith('echo close code=4001'))).toBe(true);
        expect(inBrowser.some((line) => line.startsWith('refused close code=1006'))).toBe(true);
        expect(inBrowser.filter((line) => line.includes('timeout'))).toEqual([]);
      });
    });

    // Last: it navigates the page to the HTTP/2 origin, which the browser must have loaded the page
    // over for its WebSockets to become streams of that connection.
    describe('WebSockets over HTTP/2 (RFC 8441): page and WebSockets on one h2 origin', () => {
      let h2: Http2PageServer | undefined;
      beforeAll(async () => {
        h2 = await startHttp2PageServer(await testPageFiles(), { cert: certificate!.certPem, key: certificate!.keyPem });
        await browser().open(`${h2.origin}/`);
      }, 60_000);
      afterAll(async () => {
        await h2?.close();
      }, 60_000);

      it('opens its WebSockets as extended CONNECT streams of the page connection and echoes over them', async () => {
        const server = h2!;
        for (const kind of ['text', 'arraybuffer'] as const) {
          const result = await runScenario<{ verdicts: EchoVerdict[]; close: CloseInfo }>(browser(), 'echoSizes', {
            url: server.url,
            kind,
            sizes: WSS_SIZES,
          });
          expect(result.verdicts.map((v) => [v.size, v.receivedSize, v.firstDifference])).toEqual(
            WSS_SIZES.map((size) => [size, size, -1]),
          );
          expect(result.close).toMatchObject({ code: 1000, wasClean: true });
        }
        console.log(`[${engine}] WebSockets that arrived over HTTP/2: ${server.arrived.h2}, over HTTP/1.1: ${server.arrived.h1}`);
        // Counted by the server: how each WebSocket arrived. WebKitGTK opens them over HTTP/1.1 (it
        // does not implement RFC 8441), which the same port still serves.
        if (engine === 'webkit') expect(server.arrived.h1 + server.arrived.h2).toBe(2);
        else expect(server.arrived).toEqual({ h2: 2, h1: 0 });
      });

      it('closes cleanly with the server code and reason over a stream', async () => {
        const result = await runScenario<{ close: CloseInfo }>(browser(), 'serverCloses', {
          url: h2!.url,
          code: 4000,
          reason: 'bye',
        });
        expect(result.close).toEqual({ code: 4000, reason: 'bye', wasClean: true });
      });
    });
  });
}
