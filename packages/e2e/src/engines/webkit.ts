import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Builder, type WebDriver } from 'selenium-webdriver';
import { freePort, startXvfb, stopProcess, track, waitForHttp, type VirtualDisplay } from '../processes.js';
import { expectString, withTimeout, type BrowserSession, type EngineLauncher } from './engine.js';

/** WebKitGTK's WebDriver server, from Debian's webkit2gtk-driver. */
export const WEBKIT_DRIVER = '/usr/bin/WebKitWebDriver';

/** Finds the MiniBrowser that WebKitGTK ships (its directory carries the API version, e.g. 4.1). */
export function findMiniBrowser(): string {
  const libRoots = ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib'];
  for (const root of libRoots) {
    if (!existsSync(root)) continue;
    for (const entry of readdirSync(root)
      .filter((name) => name.startsWith('webkit2gtk-') || name.startsWith('webkitgtk-'))
      .sort()
      .reverse()) {
      const candidate = join(root, entry, 'MiniBrowser');
      if (existsSync(candidate)) return candidate;
    }
  }
  throw new Error('webkit: MiniBrowser not found under /usr/lib/*/webkit2gtk-*/ (install webkit2gtk-driver)');
}

/**
 * Launches WebKitGTK's MiniBrowser through WebKitWebDriver (W3C WebDriver) with selenium-webdriver.
 * MiniBrowser has no headless mode, so it gets its own Xvfb display.
 */
export const launchWebKit: EngineLauncher = async (options) => {
  let display: VirtualDisplay | undefined;
  let driverProcess: ReturnType<typeof spawn> | undefined;
  let driver: WebDriver | undefined;
  const cleanup = async (): Promise<void> => {
    if (driver !== undefined) await withTimeout(driver.quit(), 15_000, 'webkit quit').catch(() => undefined);
    if (driverProcess !== undefined) await stopProcess(driverProcess);
    if (display !== undefined) await display.stop();
  };
  try {
    const miniBrowser = findMiniBrowser();
    display = await startXvfb();
    const port = await freePort();
    let driverLog = '';
    driverProcess = track(
      spawn(WEBKIT_DRIVER, [`--port=${port}`], {
        env: { ...process.env, DISPLAY: display.display },
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    );
    const keepLog = (chunk: Buffer): void => {
      driverLog = (driverLog + chunk.toString()).slice(-4_000);
    };
    driverProcess.stdout?.on('data', keepLog);
    driverProcess.stderr?.on('data', keepLog);
    await waitForHttp(`http://127.0.0.1:${port}/status`, 15_000, driverProcess).catch((error: Error) => {
      throw new Error(`${error.message}; driver log: ${driverLog}`);
    });
    driver = await withTimeout(
      new Builder()
        .usingServer(`http://127.0.0.1:${port}`)
        .withCapabilities({
          browserName: 'MiniBrowser',
          // Certificate errors stay errors; WebKitGTK's driver trusts exactly the test's certificate for
          // 127.0.0.1 (webkit_web_context_allow_tls_certificate_for_host underneath).
          acceptInsecureCerts: false,
          'webkitgtk:browserOptions': {
            binary: miniBrowser,
            args: ['--automation'],
            certificates: [{ host: '127.0.0.1', certificateFile: options.tls.certFile }],
          },
        })
        .build(),
      60_000,
      'webkit new session',
    );
    const activeDriver = driver;
    const capabilities = await activeDriver.getCapabilities();
    const version = String(capabilities.get('browserVersion') ?? 'unknown');
    const session: BrowserSession = {
      engine: 'webkit',
      description: `WebKitGTK ${version} MiniBrowser via WebKitWebDriver + selenium-webdriver (WebDriver, Xvfb ${display.display})`,
      trustsOnlyTestCertificate: true,
      async open(url) {
        await withTimeout(activeDriver.get(url), 30_000, 'webkit open');
      },
      async evaluate(expression, timeoutMs) {
        await activeDriver.manage().setTimeouts({ script: timeoutMs });
        // WebDriver has no "await this promise": an async script settles through its callback argument.
        const script = `const done = arguments[arguments.length - 1];
Promise.resolve().then(() => (${expression})).then(done, (error) => done(JSON.stringify({ ok: false, error: String(error && error.stack || error) })));`;
        return expectString(
          await withTimeout(activeDriver.executeAsyncScript(script), timeoutMs + 5_000, 'webkit evaluate'),
          'webkit',
        );
      },
      close: cleanup,
    };
    return session;
  } catch (error) {
    await cleanup();
    throw new Error(`webkit: cannot launch WebKitGTK: ${(error as Error).message}`, { cause: error });
  }
};
