import { build, type Metafile } from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/** A browser bundle plus esbuild's record of which files went into it. */
export interface BrowserBundle {
  readonly code: string;
  readonly inputs: readonly string[];
}

/**
 * Bundles one module for the browser as an IIFE. `platform: 'browser'` makes any `node:` import a build
 * error, which is what the zero-dependency check relies on. `globalName` exposes its exports.
 */
export async function bundleForBrowser(entry: string, globalName?: string): Promise<BrowserBundle> {
  return bundle({ entryPoints: [entry] }, entry, globalName);
}

/**
 * Bundles the published @wsts/protocol package (its `exports`, i.e. dist/) as `globalThis.wstsProtocol`,
 * resolved the way an app's bundler would resolve it.
 */
export async function bundleProtocolForBrowser(): Promise<BrowserBundle> {
  return bundle(
    {
      stdin: {
        contents: "export * from '@wsts/protocol';",
        resolveDir: join(here, '..'),
        sourcefile: 'protocol-entry.js',
        loader: 'js',
      },
    },
    '@wsts/protocol',
    'wstsProtocol',
  );
}

async function bundle(
  input: { entryPoints: string[] } | { stdin: { contents: string; resolveDir: string; sourcefile: string; loader: 'js' } },
  what: string,
  globalName: string | undefined,
): Promise<BrowserBundle> {
  const result = await build({
    ...input,
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser',
    target: ['es2022'],
    metafile: true,
    logLevel: 'silent',
    ...(globalName === undefined ? {} : { globalName }),
  });
  const output = result.outputFiles[0];
  if (output === undefined) throw new Error(`esbuild produced no output for ${what}`);
  return { code: output.text, inputs: inputsOf(result.metafile) };
}

function inputsOf(metafile: Metafile): string[] {
  return Object.keys(metafile.inputs);
}

/** The scenario code every engine runs (src/page/main.ts). */
export function pageEntry(): string {
  // Works from src/ under vitest (TypeScript) and would from a compiled copy alike: esbuild reads the .ts.
  return join(here, 'page', 'main.ts');
}
