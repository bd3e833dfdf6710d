import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer from 'puppeteer-core';
import { expectString, withTimeout, type BrowserSession, type EngineLauncher } from './engine.js';

/** Debian's Firefox ESR, a stock build: it speaks WebDriver BiDi natively, no geckodriver needed. */
export const FIREFOX_EXECUTABLE = '/usr/bin/firefox-esr';

/**
 * Launches Firefox ESR through puppeteer-core over WebDriver BiDi.
 *
 * Why not Playwright: its own Firefox protocol needs Playwright's patched Firefox, and its BiDi route
 * (`channel: 'moz-firefox'`) calls `emulation.setMediaFeaturesOverride` on every new context, which this
 * ESR does not implement ("unknown command"). See docs/testing.md.
 */
export const launchFirefox: EngineLauncher = async () => {
  const userDataDir = await mkdtemp(join(tmpdir(), 'wsts-e2e-firefox-'));
  try {
    const browser = await puppeteer.launch({
      browser: 'firefox',
      executablePath: FIREFOX_EXECUTABLE,
      headless: true,
      userDataDir,
      timeout: 60_000,
      // Firefox has no per-certificate switch without NSS tools; this BiDi session (a throwaway profile)
      // accepts the test's self-signed certificate, nothing outside it is affected.
      acceptInsecureCerts: true,
      extraPrefsFirefox: {
        // Keep the browser quiet: no update checks or telemetry competing for the two cores.
        'app.update.enabled': false,
        'datareporting.policy.dataSubmissionEnabled': false,
      },
    });
    const page = (await browser.pages())[0] ?? (await browser.newPage());
    const version = await browser.version();
    const session: BrowserSession = {
      engine: 'firefox',
      description: `${version} via puppeteer-core (WebDriver BiDi)`,
      trustsOnlyTestCertificate: false,
      async open(url) {
        await page.goto(url, { waitUntil: 'load', timeout: 30_000 });
      },
      async evaluate(expression, timeoutMs) {
        return expectString(await withTimeout(page.evaluate(expression), timeoutMs, 'firefox evaluate'), 'firefox');
      },
      async close() {
        await withTimeout(browser.close(), 20_000, 'firefox close').catch(() => {
          browser.process()?.kill('SIGKILL');
        });
        await rm(userDataDir, { recursive: true, force: true }).catch(() => undefined);
      },
    };
    return session;
  } catch (error) {
    await rm(userDataDir, { recursive: true, force: true }).catch(() => undefined);
    throw new Error(`firefox: cannot launch ${FIREFOX_EXECUTABLE}: ${(error as Error).message}`, { cause: error });
  }
};
