/** The README's usage example is examples/in-memory.ts verbatim, and it runs. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { inMemoryExample } from '../examples/in-memory.js';

describe('README example', () => {
  it('is quoted verbatim in the README', () => {
    const example = readFileSync(new URL('../examples/in-memory.ts', import.meta.url), 'utf8');
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    expect(readme).toContain('```ts\n' + example + '```');
  });

  it('runs: handshake, echo, closing handshake', () => {
    expect(inMemoryExample()).toEqual([
      'protocol chat',
      'server message hello',
      'client message hello',
      // Writes are synchronous here: the client sees the server's close reply while still inside close().
      'client close 1000 ',
      'server close 1000 done',
      'server closed',
      'client closed',
    ]);
  });
});
