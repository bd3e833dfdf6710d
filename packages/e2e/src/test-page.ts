import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleForBrowser, bundleProtocolForBrowser, pageEntry } from './page-bundle.js';
import { pageHtml, startStaticServer, type StaticFiles, type StaticServer } from './static-server.js';

const here = dirname(fileURLToPath(import.meta.url));

/**
 * The client engineer's shared event script (packages/server/test/fixtures/event-script.ts): one
 * self-contained function run against our Node client, undici, and here a real browser.
 */
export const EVENT_SCRIPT_FIXTURE = resolve(here, '../../server/test/fixtures/event-script.ts');

/**
 * Builds the three browser scripts and serves them with the page from 127.0.0.1:
 *   /protocol.js      @wsts/protocol as `globalThis.wstsProtocol`
 *   /event-script.js  the shared event script as `globalThis.wstsEventScript`
 *   /page.js          the scenarios as `globalThis.wstsE2E`
 */
export async function startTestPage(): Promise<StaticServer> {
  return startStaticServer(await testPageFiles());
}

/** The page and its three scripts, by path (served over HTTP/1.1 here, and over HTTP/2 by the h2 tests). */
export async function testPageFiles(): Promise<StaticFiles> {
  const [protocol, page] = await Promise.all([bundleProtocolForBrowser(), bundleForBrowser(pageEntry())]);
  // A missing fixture must not hide the other tests: the event-script test reports it on its own.
  const eventScript = existsSync(EVENT_SCRIPT_FIXTURE)
    ? (await bundleForBrowser(EVENT_SCRIPT_FIXTURE, 'wstsEventScript')).code
    : `/* ${EVENT_SCRIPT_FIXTURE} does not exist */`;
  const js = 'text/javascript; charset=utf-8';
  return new Map([
    ['/', { body: pageHtml(['/protocol.js', '/event-script.js', '/page.js']), type: 'text/html; charset=utf-8' }],
    ['/protocol.js', { body: protocol.code, type: js }],
    ['/event-script.js', { body: eventScript, type: js }],
    ['/page.js', { body: page.code, type: js }],
  ]);
}
