import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = new URL('..', import.meta.url).pathname;

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? files(join(dir, entry.name)) : [join(dir, entry.name)],
  );
}

describe('zero-dependency rule', () => {
  it('declares no runtime dependencies', () => {
    const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Record<string, unknown>;
    expect(manifest.dependencies ?? {}).toEqual({});
    expect(manifest.peerDependencies ?? {}).toEqual({});
    expect(manifest.optionalDependencies ?? {}).toEqual({});
  });

  /** Every .js and .d.ts file under `dir`, leaving out `skip` (the CommonJS build inside dist/). */
  function builtFiles(dir: string, skip?: string): string[] {
    return files(dir).filter(
      (file) => (file.endsWith('.js') || file.endsWith('.d.ts')) && (skip === undefined || !file.startsWith(skip)),
    );
  }
  /** A relative path to a .js file that stays inside `top` (the layer folders import each other). */
  function expectInside(top: string, file: string, specifier: string): void {
    expect(specifier, `${file} imports ${specifier}`).toMatch(/^\.\.?\/[\w./-]+\.js$/);
    expect(relative(top, resolve(dirname(file), specifier)), `${file} imports ${specifier}`).not.toMatch(/^\.\./);
  }

  it('builds to dist/ files that import only relative .js files inside dist/ and nothing from node:', () => {
    const dist = join(root, 'dist');
    const built = builtFiles(dist, join(dist, 'cjs'));
    expect(built.length).toBeGreaterThan(10);
    for (const file of built) {
      const text = readFileSync(file, 'utf8');
      expect(text, file).not.toMatch(/node:/);
      expect(text, file).not.toMatch(/\brequire\s*\(/);
      expect(text, file).not.toMatch(/\bimport\s*\(/);
      for (const match of text.matchAll(/\b(?:import|export)\b[^;'"]*?\bfrom\s*['"]([^'"]+)['"]/g)) {
        expectInside(dist, file, match[1]!);
      }
      for (const match of text.matchAll(/^\s*import\s*['"]([^'"]+)['"]/gm)) {
        expectInside(dist, file, match[1]!);
      }
    }
  });

  it('builds to dist/cjs/ files that require only relative .js files inside dist/cjs/ and nothing from node:', () => {
    const cjs = join(root, 'dist', 'cjs');
    expect(JSON.parse(readFileSync(join(cjs, 'package.json'), 'utf8'))).toEqual({ type: 'commonjs' });
    const built = builtFiles(cjs);
    expect(built.length).toBeGreaterThan(10);
    for (const file of built) {
      const text = readFileSync(file, 'utf8');
      expect(text, file).not.toMatch(/node:/);
      expect(text, file).not.toMatch(/\bimport\s*\(/);
      for (const match of text.matchAll(/\brequire\s*\(\s*['"]([^'"]+)['"]\s*\)/g)) {
        expectInside(cjs, file, match[1]!);
      }
      // The declarations keep ESM syntax (a CommonJS consumer's TypeScript reads them as CommonJS).
      for (const match of text.matchAll(/\b(?:import|export)\b[^;'"]*?\bfrom\s*['"]([^'"]+)['"]/g)) {
        expectInside(cjs, file, match[1]!);
      }
    }
  });

  it('keeps src/ free of node: imports, Buffer and timers', () => {
    for (const file of files(join(root, 'src'))) {
      const text = readFileSync(file, 'utf8');
      expect(text, file).not.toMatch(/from\s+['"]node:/);
      expect(text, file).not.toMatch(/\bBuffer\b/);
      expect(text, file).not.toMatch(/\b(setTimeout|setInterval|setImmediate)\b/);
    }
  });
});
