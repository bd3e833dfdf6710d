import type { EngineName } from './engines/engine.js';

/**
 * Where the shared event script's Node sequence (our client) and a browser's legitimately or knowingly
 * differ. Each entry rewrites one line of the Node sequence into what that browser records; everything
 * else must match exactly. Each entry carries its evidence in `why`; docs/testing.md describes the comparison.
 */
export interface KnownDifference {
  /** The line as our Node client records it. */
  readonly nodeLine: string;
  /** What the browser records instead; undefined when the browser has no such line. */
  readonly browserLine: string | undefined;
  readonly engines: readonly EngineName[];
  readonly why: string;
}

export const KNOWN_DIFFERENCES: readonly KnownDifference[] = [
  {
    nodeLine: 'terminated error isEvent=true readyState=3',
    browserLine: undefined,
    engines: ['chromium', 'firefox', 'webkit'],
    why:
      'our client (like undici) fires "error" when the server drops TCP after open; all three browsers fire ' +
      'only "close" 1006 (WHATWG fires error only when the connection was failed). Reported to the client engineer',
  },
  {
    nodeLine: 'client-close bufferedAmount after late send=4',
    browserLine: 'client-close bufferedAmount after late send=10',
    engines: ['webkit'],
    why: 'WebKit counts the 6 frame-header bytes of a send() made while CLOSING; Chromium, Firefox and we count the 4 data bytes',
  },
];

/** The Node sequence rewritten as `engine` would record it; `tolerated` collects the rewrites used. */
export function asBrowserWouldSee(nodeLog: readonly string[], engine: EngineName, tolerated: string[]): string[] {
  const out: string[] = [];
  for (const line of nodeLog) {
    const known = KNOWN_DIFFERENCES.find((difference) => difference.nodeLine === line && difference.engines.includes(engine));
    if (known === undefined) {
      out.push(line);
      continue;
    }
    tolerated.push(`${line} -> ${known.browserLine ?? '(no such event)'}: ${known.why}`);
    if (known.browserLine !== undefined) out.push(known.browserLine);
  }
  return out;
}
