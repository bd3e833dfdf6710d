import { readFileSync } from 'node:fs';

/** The parts of a V8 .cpuprofile (as written by `node --cpu-prof`) the summary reads. */
interface CpuProfile {
  nodes: {
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number };
    hitCount?: number;
    children?: number[];
  }[];
  startTime: number;
  endTime: number;
  samples?: number[];
}

export interface HotFunction {
  name: string;
  /** File (trimmed to the package path) and 1-based line. */
  where: string;
  selfPercent: number;
  /** Self time plus everything called below it (a function on the stack twice counts once). */
  totalPercent: number;
}

function shorten(url: string): string {
  const m = /packages\/[^/]+\/.*$/.exec(url) ?? /node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?(.*)$/.exec(url);
  if (m) return m[1] ?? m[0];
  return url.replace(/^file:\/\//, '') || '(native)';
}

/**
 * Self and total time per function, from the sample counts of a .cpuprofile, hottest self time first.
 * Functions are keyed by name and location, so one function reached along many stacks is one line.
 */
export function summarizeProfile(file: string, top = 20): HotFunction[] {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const key = (id: number): string => {
    const f = byId.get(id)!.callFrame;
    return `${f.functionName || '(anonymous)'}\u0000${shorten(f.url)}:${f.lineNumber + 1}`;
  };
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  let samples = 0;
  for (const n of profile.nodes) {
    const hits = n.hitCount ?? 0;
    if (hits === 0) continue;
    samples += hits;
    const k = key(n.id);
    self.set(k, (self.get(k) ?? 0) + hits);
    const seen = new Set<string>();
    for (let id: number | undefined = n.id; id !== undefined; id = parent.get(id)) {
      const kk = key(id);
      if (seen.has(kk)) continue;
      seen.add(kk);
      total.set(kk, (total.get(kk) ?? 0) + hits);
    }
  }
  return [...self.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([k, hits]) => {
      const [name, where] = k.split('\u0000') as [string, string];
      return { name, where, selfPercent: (100 * hits) / samples, totalPercent: (100 * (total.get(k) ?? hits)) / samples };
    });
}

/** A Markdown table of the hottest functions. */
export function renderHotFunctions(list: readonly HotFunction[]): string {
  const lines = ['| self % | total % | function | where |', '|---:|---:|---|---|'];
  for (const f of list) lines.push(`| ${f.selfPercent.toFixed(1)} | ${f.totalPercent.toFixed(1)} | ${f.name} | ${f.where} |`);
  return lines.join('\n');
}
