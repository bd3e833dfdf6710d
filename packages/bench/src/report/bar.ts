import { advantage, roundRatios, type Row } from './row.js';
import { CLIENT_SECTION, FANOUT_REDIS_SECTION, FANOUT_SECTION } from './sections.js';
import { CONTENDER_NAMES } from './table.js';

/** One criterion of the README's bar and whether the run met it. */
export interface BarCheck {
  criterion: string;
  met: boolean;
  /** Rows that fall short, as "section / case / metric: ratio (rounds behind)". */
  shortfalls: string[];
  /** How many of the short rows were behind in every one of their rounds (see {@link roundsBehind}). */
  behindEveryRound: number;
  /** A goal reported beside the bar, not part of it (the README's bar is what a run is judged by). */
  informational?: boolean;
}

interface RoundsBehind {
  behind: number;
  rounds: number;
  low: number;
  high: number;
}

/** Of a row's paired rounds, how many had ours under `min`, and the range of the round ratios. */
function roundsBehind(r: Row, min: number): RoundsBehind | undefined {
  const ratios = roundRatios(r);
  if (ratios.length === 0) return undefined;
  return {
    behind: ratios.filter((x) => x < min).length,
    rounds: ratios.length,
    low: Math.min(...ratios),
    high: Math.max(...ratios),
  };
}

/**
 * "section / case / metric: 0.93x (under 1.0x in 3 of 5 rounds, 0.67-1.12x)". WHY the rounds: a median
 * a few percent short can be one slow round of five; the paired rounds tell a consistent shortfall from
 * run-to-run spread, and the reader should not have to open the JSON for that.
 */
function label(r: Row, min: number, rounds: RoundsBehind | undefined): string {
  const figure = r.ratio === null ? 'no figure' : `${r.ratio.toFixed(2)}x`;
  if (rounds === undefined || rounds.rounds < 2) return `${r.section} / ${r.case} / ${r.metric}: ${figure}`;
  const range = `${rounds.low.toFixed(2)}-${rounds.high.toFixed(2)}x`;
  return `${r.section} / ${r.case} / ${r.metric}: ${figure} (under ${min.toFixed(1)}x in ${rounds.behind} of ${rounds.rounds} rounds, ${range})`;
}

function check(criterion: string, met: boolean, short: readonly Row[], min: number): BarCheck {
  const rounds = short.map((r) => roundsBehind(r, min));
  const behindEveryRound = rounds.filter((x) => x === undefined || x.behind === x.rounds).length;
  return { criterion, met, shortfalls: short.map((r, i) => label(r, min, rounds[i])), behindEveryRound };
}

/** The echo rows' peak-RSS metric: a goal beside the bar at 16 B x 64 (see {@link peakRssGoal}), not part of it. */
export const PEAK_RSS = 'peak RSS MB';

/**
 * The bar from issue 7: at least 1.0x ws (with native add-ons) on every row, at least 1.5x on 16 B and
 * 1 KiB echo throughput, memory per idle connection no more than ws's. Rows measured against something
 * other than ws (ours in one process against ours through Redis) are not part of it, nor are the client
 * rows and the peak-RSS rows, whose targets are goals beside the bar (see {@link checkGoals}).
 */
export function checkBar(rows: readonly Row[]): BarCheck[] {
  const measured = rows.filter(
    (r) => r.values['ours'] !== undefined && r.bar === 'ws' && r.section !== CLIENT_SECTION && r.metric !== PEAK_RSS,
  );
  const everyRow = measured.filter((r) => r.ratio === null || r.ratio < 1);
  const smallEcho = measured.filter(
    (r) =>
      r.section.startsWith('echo') && /^(16 B|1 KiB)( text)? x/.test(r.case) && (r.metric === 'msg/s' || r.metric === 'MB/s'),
  );
  const memory = measured.filter((r) => r.section.startsWith('scale') && r.metric.includes('RSS/conn'));
  const short = (list: Row[], min: number): Row[] => list.filter((r) => r.ratio === null || r.ratio < min);
  return [
    check('>= 1.0x ws (native add-ons) on every row', everyRow.length === 0, everyRow, 1),
    check(
      '>= 1.5x ws on 16 B and 1 KiB echo throughput',
      smallEcho.length > 0 && short(smallEcho, 1.5).length === 0,
      short(smallEcho, 1.5),
      1.5,
    ),
    check('memory per idle connection <= ws', memory.length > 0 && short(memory, 1).length === 0, short(memory, 1), 1),
  ];
}

/**
 * Goals reported under the bar without being part of it: fan-out at least 3x ws and at least Bun on
 * deliveries per server CPU-second (the inverse of "server CPU µs/delivery", so the ratio is the same),
 * and Redis adding no more than one Redis round trip to the fan-out latency (see
 * {@link redisLatencyGoal}). A goal whose contender did not run (no Bun installed, no fan-out suite, no
 * redis-server) is left out, not failed.
 */
export function checkGoals(rows: readonly Row[]): BarCheck[] {
  const fanout = rows.filter((r) => r.section === FANOUT_SECTION && r.metric === 'server CPU µs/delivery');
  const goals: BarCheck[] = [];
  for (const [id, min, name] of [
    ['ws', 3, 'ws'],
    ['bun', 1, 'Bun'],
  ] as const) {
    const measured = fanout.filter((r) => id in r.values);
    if (measured.length === 0) continue;
    const ratio = (r: Row): number | null => advantage(r.values['ours'], r.values[id], r.better);
    const short = measured.filter((r) => {
      const a = ratio(r);
      return a === null || a < min;
    });
    goals.push({
      criterion: `fanout: >= ${min}x ${name} on deliveries per server CPU-second`,
      met: short.length === 0,
      shortfalls: short.map((r) => {
        const a = ratio(r);
        return `${r.section} / ${r.case}: ${a === null ? 'no figure' : `${a.toFixed(2)}x`}`;
      }),
      behindEveryRound: 0,
      informational: true,
    });
  }
  const redis = redisLatencyGoal(rows);
  if (redis !== undefined) goals.push(redis);
  const peak = peakRssGoal(rows);
  if (peak !== undefined) goals.push(peak);
  goals.push(...clientGoals(rows));
  return goals;
}

/**
 * The server's peak RSS under the 16 B x 64 echo load (no compression) at most ws's. Undefined when the
 * run has no such row (another case list, or no /proc to read the peak from).
 */
export function peakRssGoal(rows: readonly Row[]): BarCheck | undefined {
  const row = rows.find((r) => r.section === 'echo (no compression)' && r.case === '16 B x 64 conns' && r.metric === PEAK_RSS);
  if (row === undefined || !('ws' in row.values)) return undefined;
  const a = advantage(row.values['ours'], row.values['ws'], row.better);
  const met = a !== null && a >= 1;
  return {
    criterion: 'echo: peak server RSS under 16 B x 64 <= ws',
    met,
    shortfalls: met ? [] : [`${row.section} / ${row.case}: ${a === null ? 'no figure' : `${a.toFixed(2)}x`}`],
    behindEveryRound: 0,
    informational: true,
  };
}

/**
 * The client rows' targets, on client CPU per message against ws with its add-ons: `connect()` at least
 * 1.5x on 16 B and 1 KiB messages and at least 1.0x on larger ones, both ways; our WHATWG class at least
 * 1.0x everywhere. None without client rows.
 */
export function clientGoals(rows: readonly Row[]): BarCheck[] {
  const cpu = rows.filter((r) => r.section === CLIENT_SECTION && r.metric === 'client CPU µs/msg');
  if (cpu.length === 0) return [];
  const small = (r: Row): boolean => / (16 B|1 KiB)$/.test(r.case);
  const goal = (criterion: string, id: string, min: (r: Row) => number, against = 'ws'): BarCheck => {
    const short: string[] = [];
    for (const r of cpu) {
      if (!(against in r.values)) continue; // that contender runs on some rows only
      const a = advantage(r.values[id], r.values[against], r.better);
      if (a === null || a < min(r)) short.push(`${r.section} / ${r.case}: ${a === null ? 'no figure' : `${a.toFixed(2)}x`}`);
    }
    return { criterion, met: short.length === 0, shortfalls: short, behindEveryRound: 0, informational: true };
  };
  return [
    goal('client: connect() >= 1.5x ws on client CPU per message at 16 B and 1 KiB, >= 1.0x above', 'ours', (r) =>
      small(r) ? 1.5 : 1,
    ),
    goal('client: our WHATWG WebSocket >= 1.0x ws on client CPU per message', 'whatwg', () => 1),
    // The same standard API on both sides: an ArrayBuffer of its own per binary message.
    ...(cpu.some((r) => 'ws-arraybuffer' in r.values)
      ? [
          goal(
            'client: our WHATWG WebSocket >= 1.0x ws with binaryType arraybuffer on client CPU per received message',
            'whatwg',
            () => 1,
            'ws-arraybuffer',
          ),
        ]
      : []),
  ];
}

/**
 * Through Redis, a message takes one extra hop each way (publishing process to Redis, Redis to the
 * other processes): about one Redis round trip. The goal: for each case and process count, the p50
 * publish-to-last-subscriber latency exceeds that of one process without Redis by no more than the
 * median PING round trip to the same Redis, measured in the same jobs. Undefined without Redis rows.
 */
export function redisLatencyGoal(rows: readonly Row[]): BarCheck | undefined {
  const inSection = rows.filter((r) => r.section === FANOUT_REDIS_SECTION);
  const latency = inSection.filter((r) => r.metric === 'latency p50 ms');
  if (latency.length === 0) return undefined;
  const shortfalls: string[] = [];
  let compared = 0;
  for (const row of latency) {
    const ping = inSection.find((r) => r.case === row.case && r.metric === 'Redis PING ms');
    for (const id of Object.keys(row.values).filter((k) => k !== 'ours')) {
      compared++;
      const name = CONTENDER_NAMES[id] ?? id;
      const single = row.values['ours'];
      const through = row.values[id];
      const rtt = ping?.values[id];
      if (single == null || through == null || rtt == null || !Number.isFinite(single + through + rtt)) {
        shortfalls.push(`${row.section} / ${row.case} / ${name}: no figure`);
        continue;
      }
      const overhead = through - single;
      if (overhead > rtt) {
        shortfalls.push(
          `${row.section} / ${row.case} / ${name}: p50 +${overhead.toFixed(3)} ms over 1 process, PING ${rtt.toFixed(3)} ms`,
        );
      }
    }
  }
  return {
    criterion: 'fanout through Redis: p50 latency over 1 process <= one Redis round trip (PING p50)',
    met: compared > 0 && shortfalls.length === 0,
    shortfalls,
    behindEveryRound: 0,
    informational: true,
  };
}

/** The bar as Markdown: one line per criterion, failing rows listed under it; goals after it, marked. */
export function renderBar(checks: readonly BarCheck[]): string {
  const out = ['### the bar', ''];
  for (const c of checks.filter((x) => !x.informational)) {
    const count = c.shortfalls.length;
    const consistent = count > 0 ? `, ${c.behindEveryRound} of them short in every round` : '';
    out.push(`- ${c.met ? 'MET' : 'NOT MET'}: ${c.criterion}${count ? ` (${count} row(s) short${consistent})` : ''}`);
    for (const s of c.shortfalls) out.push(`  - ${s}`);
  }
  const goals = checks.filter((c) => c.informational);
  if (goals.length > 0) out.push('', 'Goals beside the bar (informational, not part of it):', '');
  for (const c of goals) {
    out.push(`- ${c.met ? 'met' : 'not met'}: ${c.criterion}`);
    for (const s of c.shortfalls) out.push(`  - ${s}`);
  }
  return out.join('\n');
}
