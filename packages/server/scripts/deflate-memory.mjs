#!/usr/bin/env node
// Memory cost of permessage-deflate per connection.
//
// Opens N server-side permessage-deflate contexts in this process (as N connections would), passes
// one compressed message in and one out on each so zlib allocates its state, and reports how much
// RSS and external memory grew per connection, with and without context takeover.
//
// Usage (after `pnpm --filter @wsts/server build`):
//   node --expose-gc packages/server/scripts/deflate-memory.mjs [N=1000] [--dist DIR]
// Memory is read after a forced GC so figures are what stays held, not garbage.
import { constants, deflateRawSync } from 'node:zlib';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { resolve } from 'node:path';

const args = process.argv.slice(2);
const distFlag = args.indexOf('--dist');
const dist =
  distFlag >= 0
    ? resolve(/** @type {string} */ (args[distFlag + 1]))
    : fileURLToPath(new URL('../dist/permessage-deflate/', import.meta.url));
const count = Number(args.find((a, i) => /^\d+$/.test(a) && args[i - 1] !== '--dist') ?? 1000);
const { PerMessageDeflateServer } = await import(pathToFileURL(resolve(dist, 'index.js')).href);

if (typeof globalThis.gc !== 'function') {
  console.error('run with node --expose-gc so the figures exclude garbage');
  process.exit(2);
}
const gc = /** @type {() => void} */ (globalThis.gc);

/** A 4 KiB JSON-ish message, the kind of text permessage-deflate exists for. */
const message = Buffer.from(
  JSON.stringify(Array.from({ length: 60 }, (_, i) => ({ id: i, name: `user-${i}`, online: i % 3 === 0 }))),
);
const compressed = deflateRawSync(message, { finishFlush: constants.Z_SYNC_FLUSH }).subarray(0, -4);

/**
 * @param {string} label
 * @param {[string, string | true][]} params
 * @param {boolean} [exchange] pass one message each way (false: negotiated but idle)
 */
async function measure(label, params, exchange = true) {
  const server = new PerMessageDeflateServer({ threshold: 0 });
  /** @type {{ extension: { decode: Function, encode: Function, dispose: () => void } }[]} */
  const held = [];
  gc();
  const before = process.memoryUsage();
  for (let start = 0; start < count; start += 100) {
    const batch = [];
    for (let i = start; i < Math.min(count, start + 100); i++) {
      const accepted = server.accept([{ name: 'permessage-deflate', params }]);
      held.push(accepted);
      if (exchange) {
        batch.push(
          accepted.extension.decode([compressed], true, 1 << 20).then(() => accepted.extension.encode(message, false)),
        );
      }
    }
    await Promise.all(batch);
  }
  await new Promise((r) => setTimeout(r, 50));
  gc();
  const after = process.memoryUsage();
  const perConnection = (/** @type {keyof NodeJS.MemoryUsage} */ key) =>
    ((after[key] - before[key]) / count / 1024).toFixed(1);
  const row = {
    mode: label,
    connections: count,
    rssKiBPerConnection: Number(perConnection('rss')),
    externalKiBPerConnection: Number(perConnection('external')),
    heapKiBPerConnection: Number(perConnection('heapUsed')),
  };
  for (const h of held) h.extension.dispose();
  held.length = 0;
  await new Promise((r) => setTimeout(r, 50));
  gc();
  return row;
}

const rows = [];
rows.push(await measure('negotiated, no message yet (zlib is lazy)', [['client_max_window_bits', true]], false));
rows.push(await measure('context takeover (default)', [['client_max_window_bits', true]]));
rows.push(await measure('server_no_context_takeover only', [['server_no_context_takeover', true]]));
rows.push(
  await measure('no context takeover (both directions)', [
    ['server_no_context_takeover', true],
    ['client_no_context_takeover', true],
  ]),
);
rows.push(
  await measure('context takeover, windows 2^10', [
    ['server_max_window_bits', '10'],
    ['client_max_window_bits', '10'],
  ]),
);
console.log(`node ${process.version}, ${count} connections each, memLevel 8`);
console.table(rows);
