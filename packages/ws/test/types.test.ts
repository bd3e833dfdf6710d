// The TypeScript drop-in check: the corpus in test/types/ is code written against `ws` and `@types/ws`.
// It is compiled as it is (against @types/ws) and, with only its import specifier changed to
// '@wsts/ws', against this package's published declarations (dist/, as installed users get them), with
// `tsc --strict --noEmit` under nodenext and bundler resolution; commonjs.cts checks the CommonJS entry's
// declarations. Both must compile, including the corpus's `@ts-expect-error` lines, which fail if a type
// has become `any`.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

const run = promisify(execFile);
const packageDir = fileURLToPath(new URL('..', import.meta.url));
const corpusDir = join(packageDir, 'test', 'types');
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const COMPILE_TIMEOUT = 120_000;

let workDir = '';

/** Copies the corpus into `dir`, replacing the module specifier 'ws' with `specifier` (nothing else). */
async function copyCorpus(dir: string, specifier: string): Promise<string[]> {
  await cp(corpusDir, dir, { recursive: true });
  const files = (await readdir(dir)).filter((name) => name.endsWith('.ts') || name.endsWith('.cts'));
  for (const name of files) {
    const path = join(dir, name);
    const text = await readFile(path, 'utf8');
    await writeFile(path, text.replaceAll("'ws'", `'${specifier}'`));
  }
  return files.map((name) => join(dir, name));
}

/** Runs tsc; resolves to its output, and fails the test with that output if it reported errors. */
async function compile(files: string[], resolution: 'nodenext' | 'bundler', libCheck: boolean): Promise<string> {
  const args = [tsc, '--strict', '--noEmit', '--pretty', 'false', '--listFiles', '--target', 'es2022', '--types', 'node'];
  if (resolution === 'nodenext') args.push('--module', 'nodenext', '--moduleResolution', 'nodenext');
  else args.push('--module', 'preserve', '--moduleResolution', 'bundler');
  if (!libCheck) args.push('--skipLibCheck');
  try {
    const { stdout } = await run(process.execPath, [...args, ...files], { cwd: workDir, timeout: COMPILE_TIMEOUT });
    return stdout;
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    const errors = (stdout ?? '').split('\n').filter((line) => line.includes('error TS'));
    throw new Error(`tsc failed:\n${errors.join('\n')}${stderr ?? ''}`);
  }
}

beforeAll(async () => {
  for (const entry of ['dist/index.d.ts', 'dist/cjs/main.d.cts']) {
    if (!existsSync(join(packageDir, entry))) throw new Error(`${entry} is missing: build the package first`);
  }
  // Inside the package, so 'ws' resolves to the devDependency and '@wsts/ws' to the package itself
  // (a self-reference through its "exports", the same declarations an installed copy has).
  workDir = await mkdtemp(join(packageDir, '.types-corpus-'));
});

afterAll(async () => {
  if (workDir !== '') await rm(workDir, { recursive: true, force: true });
});

describe('the ws TypeScript corpus compiles unchanged apart from its import', { timeout: 4 * COMPILE_TIMEOUT }, () => {
  test('against ws with @types/ws (the reference), nodenext and bundler', async () => {
    const files = await copyCorpus(join(workDir, 'ws'), 'ws');
    const listed = await compile(files, 'nodenext', false);
    expect(listed).toMatch(/@types[\\/]ws[\\/]index\.d\.mts/);
    expect(listed).toMatch(/@types[\\/]ws[\\/]index\.d\.ts/); // commonjs.cts
    await compile(
      files.filter((file) => file.endsWith('.ts')),
      'bundler',
      false,
    );
  });

  test('against @wsts/ws, nodenext (declarations checked too) and bundler', async () => {
    const files = await copyCorpus(join(workDir, 'wsts'), '@wsts/ws');
    for (const file of files) expect(await readFile(file, 'utf8')).not.toContain("'ws'");
    const listed = await compile(files, 'nodenext', true);
    expect(listed).toContain(join(packageDir, 'dist', 'index.d.ts'));
    expect(listed).toContain(join(packageDir, 'dist', 'cjs', 'main.d.cts'));
    expect(listed).not.toMatch(/@types[\\/]ws[\\/]/);
    await compile(
      files.filter((file) => file.endsWith('.ts')),
      'bundler',
      false,
    );
  });
});
