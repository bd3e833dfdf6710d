// Sums the "Tests  N passed | M failed | K skipped (T)" lines that every vitest run prints (the unit
// suites through turbo, then the browsers) into one plain closing line for CI.
import { readFileSync } from 'node:fs';

// biome-ignore lint/suspicious/noControlCharactersInRegex: strips the ANSI colour codes vitest prints.
const text = readFileSync(process.argv[2] ?? 0, 'utf8').replace(/\x1b\[[0-9;]*m/g, '');
const totals = { passed: 0, failed: 0, skipped: 0 };
for (const line of text.split('\n')) {
  const match = /^\S*\s*Tests\s+(.*)\(\d+\)\s*$/.exec(line.replace(/^@wsts\/\S+:\s*/, ''));
  if (match === null) continue;
  for (const part of match[1].split('|')) {
    const [, count, kind] = /(\d+)\s+(\w+)/.exec(part.trim()) ?? [];
    if (kind === 'passed' || kind === 'failed' || kind === 'skipped') totals[kind] += Number(count);
  }
}
console.log(`${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
