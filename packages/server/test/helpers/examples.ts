/**
 * The README's examples (packages/server/examples/*.ts) as tests run them: type-checked against the
 * package's public types, and transpiled to .mjs with their `@wsts/server` import pointed at dist/.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';

export const examplesDir = fileURLToPath(new URL('../../examples/', import.meta.url));
const distIndex = pathToFileURL(fileURLToPath(new URL('../../dist/index.js', import.meta.url))).href;

/** Type errors in the named examples, as messages (empty when they all compile under strict). */
export function exampleTypeErrors(names: readonly string[]): string[] {
  const program = ts.createProgram(
    names.map((name) => join(examplesDir, name)),
    {
      strict: true,
      noEmit: true,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      target: ts.ScriptTarget.ES2022,
      types: ['node'],
      skipLibCheck: true,
    },
  );
  return ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
}

/** Writes the example as an .mjs file in `workDir` importing dist/, and returns its path. */
export function transpileExample(name: string, workDir: string): string {
  const source = readFileSync(join(examplesDir, name), 'utf8').replaceAll("'@wsts/server'", JSON.stringify(distIndex));
  const { outputText } = ts.transpileModule(source, {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
  });
  const file = join(workDir, name.replace(/\.ts$/, '.mjs'));
  writeFileSync(file, outputText);
  return file;
}
