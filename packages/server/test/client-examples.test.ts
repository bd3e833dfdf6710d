/**
 * Runs the client examples the README quotes, as real Node processes against the seed's example server
 * (dist/bin/example.js), and checks what they print. Each example is type-checked, transpiled with the
 * TypeScript compiler (its `@wsts/server` import pointed at this package's dist/), then run with `node`:
 * an example that leaves a handle open would hang and fail here.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBin, type RunningBin } from './helpers/bins.js';
import { exampleTypeErrors, transpileExample } from './helpers/examples.js';

const EXAMPLES = ['client-connect.ts', 'client-browser-style.ts', 'client-errors.ts'];

let server: RunningBin;
let workDir: string;

beforeAll(async () => {
  server = await startBin('example', ['--port', '0', '--host', '127.0.0.1']);
  workDir = mkdtempSync(join(tmpdir(), 'wsts-client-examples-'));
}, 20_000);

afterAll(async () => {
  await server?.stop();
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

/** Transpiles one example to an .mjs file importing dist/ and runs it with `node`, returning stdout lines. */
function runExample(name: string, url: string): Promise<string[]> {
  const file = transpileExample(name, workDir);
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [file, url], { timeout: 15_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${name} failed: ${error.message}\n${stderr}`));
      else resolve(stdout.trim().split('\n'));
    });
  });
}

describe('client examples', { timeout: 30_000 }, () => {
  it("type-check against the package's public types", () => {
    expect(exampleTypeErrors(EXAMPLES)).toEqual([]);
  });

  it('are all quoted in the README (server-readme checks each quote is the file, byte for byte)', () => {
    const readme = readFileSync(fileURLToPath(new URL('../README.md', import.meta.url)), 'utf8');
    for (const name of EXAMPLES) expect(readme).toContain(`<!-- quote: examples/${name} -->`);
  });

  it('client-connect.ts: the promise API talks to the seed example server', async () => {
    expect(await runExample('client-connect.ts', server.url)).toEqual([
      'received: Welcome to my websocket!',
      'received: Thanks, I got [Hello from Node]',
      'closed: 1000 clean=true',
    ]);
  });

  it('client-browser-style.ts: the WHATWG API, same code as in a browser', async () => {
    expect(await runExample('client-browser-style.ts', server.url)).toEqual([
      'received: Welcome to my websocket!',
      'received: Thanks, I got [Hello from the WHATWG API]',
      'closed: 1000 clean=true',
    ]);
  });

  it('client-errors.ts: typed failures', async () => {
    expect(await runExample('client-errors.ts', server.url)).toEqual([
      `${server.url}: connected, protocol=""`,
      'ws://127.0.0.1:1/: network',
      'ftp://127.0.0.1/: invalid-url',
    ]);
  });
});
