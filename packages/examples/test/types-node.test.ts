/**
 * The published types of @wsts/server and @wsts/protocol (their dist/*.d.ts) against each @types/node
 * major we support: the repository's own (20) and the latest 22 and 24, installed here side by side
 * under aliases; and the codec's alone with neither @types/node nor the DOM library, as a browser, Deno or
 * Bun project may have it. skipLibCheck is off, so the declaration files themselves are checked, not
 * only their use.
 *
 * TypeScript finds `node:*` modules in the nearest node_modules/@types/node, whatever `types` says, so
 * each major gets a scratch project whose node_modules links that major as @types/node next to the two
 * packages, compiled with preserveSymlinks so that no lookup climbs back into the repository's own.
 */
import { copyFileSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';

const consumer = fileURLToPath(new URL('./fixtures/types-consumer.ts', import.meta.url));
const protocolConsumer = fileURLToPath(new URL('./fixtures/protocol-consumer.ts', import.meta.url));
const modules = fileURLToPath(new URL('../node_modules/', import.meta.url));
const repoModules = fileURLToPath(new URL('../../../node_modules/', import.meta.url));

/** Where each major's @types/node is installed: the root's, then this package's aliased copies. */
const MAJORS: [string, string][] = [
  ['20', join(repoModules, '@types', 'node')],
  ['22', join(modules, '@types', 'node-22')],
  ['24', join(modules, '@types', 'node-24')],
];

const scratch = mkdtempSync(join(tmpdir(), 'wsts-types-node-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/**
 * A project folder holding `file` as consumer.ts, with @wsts/server and @wsts/protocol linked in, and
 * the @types/node at `typesNode` when given.
 */
function project(name: string, file: string, typesNode?: string): string {
  const dir = join(scratch, name);
  mkdirSync(join(dir, 'node_modules', '@types'), { recursive: true });
  mkdirSync(join(dir, 'node_modules', '@wsts'), { recursive: true });
  if (typesNode !== undefined) {
    // The real folder, and its one dependency beside it as pnpm lays them out, since lookups stay here.
    const real = realpathSync(typesNode);
    symlinkSync(real, join(dir, 'node_modules', '@types', 'node'), 'dir');
    symlinkSync(join(dirname(dirname(real)), 'undici-types'), join(dir, 'node_modules', 'undici-types'), 'dir');
  }
  for (const pkg of ['server', 'protocol']) {
    symlinkSync(join(modules, '@wsts', pkg), join(dir, 'node_modules', '@wsts', pkg), 'dir');
  }
  copyFileSync(file, join(dir, 'consumer.ts'));
  return dir;
}

function typeErrors(dir: string, types: string[]): { errors: string[]; typesNodeFiles: number } {
  const program = ts.createProgram([join(dir, 'consumer.ts')], {
    strict: true,
    noEmit: true,
    skipLibCheck: false,
    preserveSymlinks: true,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    lib: ['lib.es2022.d.ts'],
    types,
    // The default roots are found from the working directory, which is inside the repository.
    typeRoots: [join(dir, 'node_modules', '@types')],
  });
  const errors = ts.getPreEmitDiagnostics(program).map((d) => {
    const where = d.file === undefined ? '' : `${d.file.fileName.replace(dir, '')}: `;
    return `${where}${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
  });
  const typesNodeFiles = program
    .getSourceFiles()
    .filter((f) => f.fileName.startsWith(join(dir, 'node_modules', '@types', 'node'))).length;
  return { errors, typesNodeFiles };
}

describe('published types', () => {
  it.each(MAJORS)(
    'type-check against @types/node %s',
    (major, typesNode) => {
      const { errors, typesNodeFiles } = typeErrors(project(`node-${major}`, consumer, typesNode), ['node']);
      expect(errors).toEqual([]);
      // The check did read that @types/node (and, with no conflicts reported, no other one).
      expect(typesNodeFiles).toBeGreaterThan(10);
    },
    60_000,
  );

  it('type-check @wsts/protocol with no @types/node and no DOM library', { timeout: 60_000 }, () => {
    const { errors, typesNodeFiles } = typeErrors(project('protocol-alone', protocolConsumer), []);
    expect(errors).toEqual([]);
    expect(typesNodeFiles).toBe(0);
  });
});
