import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../', import.meta.url));
const readme = readFileSync(`${root}README.md`, 'utf8');

/** The README's quoted code must be the files the other tests run, byte for byte. */
describe('README', () => {
  const quotes = [...readme.matchAll(/<!-- quote: (\S+) -->\n```ts\n([\s\S]*?)```\n/g)];

  it('quotes the seed example and every server example', () => {
    expect(quotes.map((q) => q[1])).toEqual(
      expect.arrayContaining([
        'src/bin/example.ts',
        'examples/server-echo.ts',
        'examples/server-attach.ts',
        'examples/server-no-server.ts',
        'examples/server-authorize-data.ts',
        'examples/server-topics.ts',
      ]),
    );
  });

  for (const [, path, body] of quotes) {
    it(`the quote of ${path} is the file`, () => {
      expect(body).toBe(readFileSync(`${root}${path!}`, 'utf8').replace(/\n*$/, '\n'));
    });
  }

  it('maps each OCaml seed name to ours and keeps the sections the other engineers fill', () => {
    for (const name of ['is_websocket_upgrade', 'upgrade headers', 'handle_server', 'send (Some m)', 'send None']) {
      expect(readme).toContain(`\`${name}`);
    }
    for (const section of ['## Client', '## permessage-deflate', '## Limits and safe defaults'])
      expect(readme).toContain(`\n${section}\n`);
  });
});
