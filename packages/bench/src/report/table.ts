import { advantage, type Row } from './row.js';
import { CLIENT_SECTION, FANOUT_REDIS_SECTION } from './sections.js';
import { formatNumber } from './units.js';

/** Display names of contender ids, in the column order they appear. */
export const CONTENDER_NAMES: Record<string, string> = {
  ours: 'ours',
  baseline: 'baseline',
  'wsts-ws': '@wsts/ws',
  ws: 'ws',
  'ws-js': 'ws (no add-ons)',
  bun: 'Bun',
  'node-floor': 'Node floor',
  bufferutil: 'bufferutil',
  'ws-js-unmask': 'ws pure-JS',
  'utf-8-validate': 'utf-8-validate',
  'buffer-isutf8': 'Buffer.isUtf8',
  textdecoder: 'TextDecoder fatal',
  'js-ceiling': 'JS ceiling',
  wasm: 'SIMD + copies',
  scalar: 'scalar JS',
  'redis-2': '2 procs + Redis',
  'redis-4': '4 procs + Redis',
  h2: 'HTTP/2 (1 conn)',
  http1: 'HTTP/1.1',
  whatwg: 'ours (WHATWG)',
  undici: 'undici',
  'ws-arraybuffer': 'ws (arraybuffer)',
};

function pad(cells: string[], widths: number[]): string {
  return `| ${cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
}

/** @wsts/ws against ws on one row, oriented like the other ratios (>= 1 = @wsts/ws as good or better). */
function migrationRatio(r: Row): string {
  if (!('wsts-ws' in r.values) || !('ws' in r.values)) return '';
  const a = advantage(r.values['wsts-ws'], r.values['ws'], r.better);
  return a === null ? (r.completed ? '-' : 'FAILED') : `${a.toFixed(2)}x`;
}

/** Contender id of the raw-`net` echo with no library: the reference the other figures are read against. */
export const FLOOR = 'node-floor';

/**
 * Renders rows as one Markdown table per section, so the same text prints to a terminal and pastes into
 * the README. Every non-ours contender gets its figure and a ratio column ("ours vs X", >= 1 = ours as
 * good or better); with both @wsts/ws and ws measured, one more column compares those two. The Node
 * floor, where measured, is the last figure column and its ratio ("vs Node floor") the last ratio column:
 * what share of raw Node I/O ours reaches, with a note under the table saying so.
 */
export function renderTables(rows: readonly Row[]): string {
  const sections = [...new Set(rows.map((r) => r.section))];
  const out: string[] = [];
  for (const section of sections) {
    const sectionRows = rows.filter((r) => r.section === section);
    const ids: string[] = [];
    for (const r of sectionRows) for (const id of Object.keys(r.values)) if (!ids.includes(id)) ids.push(id);
    // What the ratios are of: ours, or the section's own subject (HTTP/2 in the h2 rows).
    const subject = sectionRows[0]?.subject ?? 'ours';
    // Ours first, the floor last (a reference, not a rival); the others in the order the suite ran them.
    const rank = (id: string): number => (id === subject ? 0 : id === FLOOR ? 2 : 1);
    ids.sort((a, b) => rank(a) - rank(b));
    // Each ratio column: ours against another contender, or (client rows) each contender against the bar.
    const againstBar = sectionRows[0]?.ratiosAgainstBar === true;
    const bar = sectionRows[0]?.bar ?? 'ws';
    const ratios: { of: string; against: string; title: string }[] = againstBar
      ? ids
          .filter((id) => id !== bar)
          .map((id) => ({ of: id, against: bar, title: `${CONTENDER_NAMES[id] ?? id} vs ${CONTENDER_NAMES[bar] ?? bar}` }))
      : ids.filter((id) => id !== subject).map((id) => ({ of: subject, against: id, title: `vs ${CONTENDER_NAMES[id] ?? id}` }));
    // What the one-line migration gains: ws's own code on @wsts/ws against ws.
    const migration = ids.includes('wsts-ws') && ids.includes('ws');
    const header = [
      'case',
      'metric',
      ...ids.map((id) => CONTENDER_NAMES[id] ?? id),
      ...ratios.map((x) => x.title),
      ...(migration ? ['@wsts/ws vs ws'] : []),
    ];
    const body = sectionRows.map((r) => [
      r.case + (r.placeholder ? ' *' : ''),
      r.metric,
      ...ids.map((id) => (id in r.values ? formatNumber(r.values[id]) : '')),
      ...ratios.map(({ of, against }) => {
        if (!(of in r.values) || !(against in r.values)) return '';
        const a = advantage(r.values[of], r.values[against], r.better);
        return a === null ? (r.completed ? '-' : 'FAILED') : `${a.toFixed(2)}x`;
      }),
      ...(migration ? [migrationRatio(r)] : []),
    ]);
    const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
    out.push(`### ${section}`, '');
    out.push(pad(header, widths));
    out.push(`|${widths.map((w, i) => (i < 2 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`);
    for (const b of body) out.push(pad(b, widths));
    const failed = sectionRows.filter((r) => !r.completed);
    for (const r of failed) out.push(`FAILED: ${r.case} ${r.metric}: ${r.error ?? 'a contender produced no figure'}`);
    if (ids.includes(FLOOR)) {
      out.push(
        '',
        '"vs Node floor": ours against a raw `net` echo with no WebSocket library (no validation, one write per read): ' +
          "the share of the cost of Node's own I/O that ours reaches. 1.00x would be no overhead at all.",
      );
    }
    if (subject === 'h2') {
      out.push(
        '',
        'Both columns are ours, server and client: the WebSockets as streams of one HTTP/2 connection (h2c) ' +
          'against one TCP connection each. "vs HTTP/1.1" above 1.00x: HTTP/2 is ahead.',
      );
    }
    if (section === CLIENT_SECTION) {
      out.push(
        '',
        '"ours" is `connect()`, "ours (WHATWG)" our `WebSocket` class; each client runs alone in its process against ' +
          'a raw `net` peer, and its own CPU per message is what is measured. "X vs ws" above 1.00x: X is cheaper ' +
          '(CPU) or faster (msg/s) than ws with its add-ons.',
      );
    }
    if (section === FANOUT_REDIS_SECTION) {
      out.push(
        '',
        '"ours" here is one @wsts/server process without Redis; "N procs + Redis" are N processes sharing the ' +
          "subscribers, publishing through @wsts/redis. Server CPU is the sum over the processes, Redis's own " +
          'is its row. "vs" above 1.00x: the single process is ahead.',
      );
    }
    out.push('');
  }
  if (rows.some((r) => r.placeholder)) {
    out.push('* our package had not landed when this ran: `ws` stood in the "ours" slot for these rows.', '');
  }
  return out.join('\n');
}
