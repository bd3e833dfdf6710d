/**
 * The one interface every browser engine is driven through. The test body only ever opens a page,
 * evaluates an expression in it and reads back a JSON string, so adding an engine means writing one
 * launcher that returns a {@link BrowserSession}.
 */

/** Engines the suite knows. */
export type EngineName = 'chromium' | 'firefox' | 'webkit';

/** What a launcher needs to know before the browser starts. */
export interface LaunchOptions {
  /**
   * The self-signed certificate the wss tests use. Engines that can trust one certificate (Chromium by
   * its SPKI hash) do so; the others accept untrusted certificates for this automation session only.
   */
  readonly tls: { readonly certPem: string; readonly certFile: string; readonly spkiSha256Base64: string };
}

/** A running browser with one page. */
export interface BrowserSession {
  readonly engine: EngineName;
  /** Human-readable route and version, printed in the per-engine summary. */
  readonly description: string;
  /**
   * True when the engine trusts only the test certificate (so an unknown one must fail); false when the
   * session accepts any certificate (the only switch some WebDriver routes have).
   */
  readonly trustsOnlyTestCertificate: boolean;
  /** Navigates the page and waits for its load event. */
  open(url: string): Promise<void>;
  /**
   * Evaluates `expression` in the page. The expression must yield a string or a promise of one; page
   * code JSON-encodes its results so every engine's serialiser sees the same plain string.
   */
  evaluate(expression: string, timeoutMs: number): Promise<string>;
  /** Closes the browser and everything it started (driver, display). Never throws. */
  close(): Promise<void>;
}

/** Starts an engine. Rejects with an error naming what failed; a failed launch is a test failure. */
export type EngineLauncher = (options: LaunchOptions) => Promise<BrowserSession>;

/** Races `promise` against a timer so no driver call can hang the suite. */
export function withTimeout<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${timeoutMs} ms`)), timeoutMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Checks that a page result is a string (every engine must hand back the page's JSON text). */
export function expectString(value: unknown, engine: EngineName): string {
  if (typeof value !== 'string') {
    throw new TypeError(`${engine}: page returned ${typeof value}, expected a JSON string`);
  }
  return value;
}
