import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
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

  it('builds to dist/ files that import only relative ./x.js siblings and nothing from node:', () => {
    const built = files(join(root, 'dist')).filter((file) => file.endsWith('.js') || file.endsWith('.d.ts'));
    expect(built.length).toBeGreaterThan(10);
    for (const file of built) {
      const text = readFileSync(file, 'utf8');
      expect(text, file).not.toMatch(/node:/);
      expect(text, file).not.toMatch(/\brequire\s*\(/);
      expect(text, file).not.toMatch(/\bimport\s*\(/);
      for (const match of text.matchAll(/\b(?:import|export)\b[^;'"]*?\bfrom\s*['"]([^'"]+)['"]/g)) {
        expect(match[1], `${file} imports ${match[1]}`).toMatch(/^\.\/[\w.-]+\.js$/);
      }
      for (const match of text.matchAll(/^\s*import\s*['"]([^'"]+)['"]/gm)) {
        expect(match[1], `${file} imports ${match[1]}`).toMatch(/^\.\/[\w.-]+\.js$/);
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
