import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { expectString, withTimeout, type BrowserSession, type EngineLauncher } from './engine.js';

/** Debian's Chromium; Playwright drives it over CDP, which works with any stock Chromium build. */
export const CHROMIUM_EXECUTABLE = '/usr/bin/chromium';

/** Flags from issue 6: headless, no background traffic that could disturb timing or reach the network. */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Launches Chromium with a fresh user-data dir, trusting exactly the test certificate. */
export const launchChromium: EngineLauncher = async (options) => {
  const userDataDir = await mkdtemp(join(tmpdir(), 'wsts-e2e-chromium-'));
  try {
    const context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM_EXECUTABLE,
      headless: true,
      timeout: 60_000,
      // Chromium honours this flag only together with a user-data dir, which a persistent context has.
      // It trusts the one certificate the test generated instead of switching certificate checks off.
      args: [...CHROMIUM_ARGS, `--ignore-certificate-errors-spki-list=${options.tls.spkiSha256Base64}`],
    });
    const page = context.pages()[0] ?? (await context.newPage());
    const version = context.browser()?.version() ?? (await page.evaluate(() => navigator.userAgent));
    const session: BrowserSession = {
      engine: 'chromium',
      description: `Chromium ${version} via playwright-core (CDP)`,
      trustsOnlyTestCertificate: true,
      async open(url) {
        await page.goto(url, { waitUntil: 'load', timeout: 30_000 });
      },
      async evaluate(expression, timeoutMs) {
        return expectString(await withTimeout(page.evaluate(expression), timeoutMs, 'chromium evaluate'), 'chromium');
      },
      async close() {
        await withTimeout(context.close(), 20_000, 'chromium close').catch(() => undefined);
        await rm(userDataDir, { recursive: true, force: true }).catch(() => undefined);
      },
    };
    return session;
  } catch (error) {
    await rm(userDataDir, { recursive: true, force: true }).catch(() => undefined);
    throw new Error(`chromium: cannot launch ${CHROMIUM_EXECUTABLE}: ${(error as Error).message}`, { cause: error });
  }
};
