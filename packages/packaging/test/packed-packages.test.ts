/**
 * The published shape of the packages, checked from what a user installs: each package is packed with
 * `pnpm pack`, the tarballs are installed with npm (offline, with an empty cache and a registry address
 * that refuses connections, so nothing of ours can come from anywhere but the tarballs) into a fresh
 * ESM project and a fresh CommonJS project outside the repository, and then:
 * - the tarballs carry no build info, declare `engines` and `license`, map `import` and `require` to
 *   files they contain, keep their bins executable with a shebang, and ship the sources their maps name;
 * - `import` gets the ESM build and `require` the CommonJS build, with the same export names, and a
 *   server started through either echoes a message through `connect()`;
 * - the repository's TypeScript (`--module nodenext --strict`, with @types/node) type-checks a file in
 *   each project against the matching declarations, and nothing else of ours;
 * - the server's bins run from `node_modules/.bin` and serve a real client.
 */
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, posix, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect } from '@wsts/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBin } from './helpers/bin-process.js';
import { cleanEnv, run } from './helpers/run.js';
import { readTarball, type TarEntry } from './helpers/tarball.js';

const repo = fileURLToPath(new URL('../../..', import.meta.url));
const fixtures = fileURLToPath(new URL('../fixtures', import.meta.url));
const require = createRequire(import.meta.url);
const tsc = require.resolve('typescript/bin/tsc');
const typesNode = realpathSync(dirname(require.resolve('@types/node/package.json')));
const rootManifest = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as {
  packageManager: string;
  engines: { node: string };
};
const ownManifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  devDependencies: Record<string, string>;
};

/**
 * The published packages: every workspace package this one lists in its devDependencies
 * (`"@wsts/x": "workspace:*"`), which is also what makes turbo build them before this test. A new
 * package joins every check below through that one line in package.json (then `pnpm install`).
 */
const PACKAGES = Object.entries(ownManifest.devDependencies)
  .filter(([, range]) => range.startsWith('workspace:'))
  .map(([name]) => name);

/** The folder under packages/ of the workspace package called `name`. */
function packageDir(name: string): string {
  const dirs = readdirSync(join(repo, 'packages')).filter((dir) => {
    const manifest = join(repo, 'packages', dir, 'package.json');
    return existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === name;
  });
  if (dirs.length !== 1) throw new Error(`no single workspace package is called ${name}: ${dirs.join(', ')}`);
  return join(repo, 'packages', dirs[0]!);
}

interface Manifest {
  name: string;
  license?: string;
  engines?: { node?: string };
  bin?: Record<string, string>;
  main?: string;
  types?: string;
  exports?: Record<string, unknown>;
  dependencies?: Record<string, string>;
}

interface Packed {
  name: string;
  tarball: string;
  entries: Map<string, TarEntry>;
  manifest: Manifest;
}

const MODES = ['esm', 'cjs'] as const;
type Mode = (typeof MODES)[number];

/**
 * How a project's scripts run. Node 20.19 and later can require() an ES module; Node 20.12 to 20.18
 * cannot. The CommonJS project runs without it wherever it exists, so that a require() reaching an ESM
 * file anywhere (a CommonJS build resolving another package's ESM build, say) fails as it would there.
 */
const nodeArgs: Record<Mode, string[]> = {
  esm: [],
  cjs: (process.features as { require_module?: boolean }).require_module === true ? ['--no-experimental-require-module'] : [],
};

let work: string;
const packed: Packed[] = [];
const projects = {} as Record<Mode, string>;

/** A file of the tarball, by its path inside the package (`dist/index.js`). */
function entry(pack: Packed, path: string): TarEntry | undefined {
  return pack.entries.get(posix.join('package', path));
}

/** The `node_modules` folder a package's installed directory sits in (pnpm's layout: its dependencies are its siblings). */
function enclosingNodeModules(dir: string): string {
  const parts = dir.split(sep);
  return parts.slice(0, parts.lastIndexOf('node_modules') + 1).join(sep);
}

/**
 * Packs, from the workspace's own install, every third-party package the published packages depend on
 * (and what those depend on), so that the offline install gets them from tarballs as a registry would
 * serve them, and nothing of ours can come from anywhere but its own tarball.
 */
async function packThirdPartyDependencies(tarballs: string): Promise<string[]> {
  const seen = new Set<string>();
  const queue: { name: string; from: string }[] = [];
  for (const pack of packed) {
    for (const name of Object.keys(pack.manifest.dependencies ?? {})) {
      if (!name.startsWith('@wsts/')) queue.push({ name, from: join(packageDir(pack.name), 'node_modules') });
    }
  }
  const dirs: string[] = [];
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    const dir = realpathSync(join(next.from, next.name));
    if (seen.has(dir)) continue;
    seen.add(dir);
    dirs.push(dir);
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Manifest;
    for (const name of Object.keys(manifest.dependencies ?? {})) queue.push({ name, from: enclosingNodeModules(dir) });
  }
  return Promise.all(
    dirs.map(async (dir) => {
      const { stdout } = await run('npm', ['pack', '--ignore-scripts', '--pack-destination', tarballs, dir], {
        cwd: tarballs,
        timeout: 60_000,
        env: cleanEnv({ npm_config_cache: join(work, 'npm-cache-pack'), npm_config_registry: 'http://127.0.0.1:9/' }),
      });
      return join(tarballs, stdout.trim().split('\n').at(-1)!.trim());
    }),
  );
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'wsts-packaging-'));
  const tarballs = join(work, 'tarballs');
  mkdirSync(tarballs);
  // The pnpm the repository names: it rewrites `workspace:*` into the version, as publishing does.
  const pnpm = rootManifest.packageManager;
  await Promise.all(
    PACKAGES.map(async (name) => {
      const dir = packageDir(name);
      const { stdout } = await run('npx', ['--yes', pnpm, 'pack', '--pack-destination', tarballs], {
        cwd: dir,
        timeout: 60_000,
      });
      const tarball = stdout.trim().split('\n').at(-1)!.trim();
      expect(tarball, stdout).toMatch(/\.tgz$/);
      const entries = new Map(readTarball(tarball).map((file) => [file.path, file]));
      const manifest = JSON.parse(entries.get('package/package.json')!.content.toString('utf8')) as Manifest;
      expect(manifest.name).toBe(name);
      packed.push({ name, tarball, entries, manifest });
    }),
  );
  const thirdParty = await packThirdPartyDependencies(tarballs);
  // Both projects at once, each with an empty cache of its own; all tarballs in one command, so npm
  // satisfies the packages' dependencies on each other (and on the third-party packages) from the tarballs.
  await Promise.all(
    MODES.map(async (mode) => {
      const project = join(work, mode);
      cpSync(join(fixtures, mode), project, { recursive: true });
      projects[mode] = project;
      await run(
        'npm',
        [
          'install',
          '--offline',
          '--no-audit',
          '--no-fund',
          '--ignore-scripts',
          ...packed.map((pack) => pack.tarball),
          ...thirdParty,
        ],
        {
          cwd: project,
          timeout: 90_000,
          env: cleanEnv({ npm_config_cache: join(work, `npm-cache-${mode}`), npm_config_registry: 'http://127.0.0.1:9/' }),
        },
      );
      // The type checks need Node's types, as a TypeScript user's project would have them.
      mkdirSync(join(project, 'node_modules', '@types'), { recursive: true });
      symlinkSync(typesNode, join(project, 'node_modules', '@types', 'node'), 'dir');
    }),
  );
});

afterAll(() => {
  if (work !== undefined) rmSync(work, { recursive: true, force: true });
});

/** What `require` loads: the compiled index, except for @wsts/ws, whose entry returns the class itself as `require('ws')` does. */
function requireEntry(name: string): { file: string; types: string } {
  return name === '@wsts/ws'
    ? { file: 'dist/cjs/main.cjs', types: 'dist/cjs/main.d.cts' }
    : { file: 'dist/cjs/index.js', types: 'dist/cjs/index.d.ts' };
}

/** The statics `require('ws')` users read from the class. */
const WS_STATICS = ['CLOSED', 'CLOSING', 'CONNECTING', 'OPEN', 'Server', 'WebSocket', 'WebSocketServer', 'createWebSocketStream'];

describe('the tarballs', () => {
  it('hold no build info, name the root engines and a license, and resolve no dependency to the workspace', () => {
    expect(PACKAGES).toEqual(expect.arrayContaining(['@wsts/protocol', '@wsts/server']));
    expect(packed.map((pack) => pack.name).sort()).toEqual([...PACKAGES].sort());
    for (const pack of packed) {
      const paths = [...pack.entries.keys()];
      expect(
        paths.filter((path) => !path.startsWith('package/')),
        pack.name,
      ).toEqual([]);
      expect(
        paths.filter((path) => path.endsWith('.tsbuildinfo')),
        pack.name,
      ).toEqual([]);
      expect(
        paths.filter((path) => /\/(test|node_modules)\//.test(path)),
        pack.name,
      ).toEqual([]);
      expect(pack.manifest.engines?.node, pack.name).toBe(rootManifest.engines.node);
      expect(pack.manifest.license, pack.name).toBe('MIT');
      for (const [name, range] of Object.entries(pack.manifest.dependencies ?? {})) {
        expect(range, `${pack.name} depends on ${name}`).not.toMatch(/^workspace:/);
      }
    }
  });

  it('map import to the ESM build and require to the CommonJS build, each file present', () => {
    for (const pack of packed) {
      const required = requireEntry(pack.name);
      expect(pack.manifest.exports, pack.name).toEqual({
        '.': {
          import: { types: './dist/index.d.ts', default: './dist/index.js' },
          require: { types: `./${required.types}`, default: `./${required.file}` },
        },
        './package.json': './package.json',
      });
      for (const file of ['dist/index.js', 'dist/index.d.ts', required.file, required.types]) {
        expect(entry(pack, file), `${pack.name}: ${file}`).toBeDefined();
      }
      // main/types serve resolvers that predate `exports`; they read CommonJS.
      expect([pack.manifest.main, pack.manifest.types], pack.name).toEqual([`./${required.file}`, `./${required.types}`]);
      expect(JSON.parse(entry(pack, 'dist/cjs/package.json')!.content.toString('utf8')), pack.name).toEqual({ type: 'commonjs' });
    }
  });

  it('keep every bin executable, with a node shebang', () => {
    for (const pack of packed) {
      for (const [name, path] of Object.entries(pack.manifest.bin ?? {})) {
        const file = entry(pack, path);
        expect(file, `${pack.name}: bin ${name} → ${path}`).toBeDefined();
        expect(file!.mode & 0o111, `${pack.name}: bin ${name} mode ${file!.mode.toString(8)}`).toBe(0o111);
        expect(file!.content.toString('utf8').split('\n', 1)[0], `${pack.name}: bin ${name}`).toBe('#!/usr/bin/env node');
      }
    }
    const server = packed.find((pack) => pack.name === '@wsts/server')!;
    expect(server.manifest.bin).toEqual({ 'wsts-example': './bin/wsts-example.js', 'wsts-echo': './bin/wsts-echo.js' });
  });

  it('ship the sources their source maps and declaration maps point at', () => {
    for (const pack of packed) {
      const maps = [...pack.entries.values()].filter((file) => file.path.endsWith('.map'));
      expect(maps.length, pack.name).toBeGreaterThan(10);
      for (const map of maps) {
        const { sources } = JSON.parse(map.content.toString('utf8')) as { sources: string[] };
        for (const source of sources) {
          const path = posix.normalize(posix.join(posix.dirname(map.path), source));
          expect(pack.entries.has(path), `${map.path} → ${path}`).toBe(true);
        }
      }
    }
  });
});

describe('installed from the tarballs', () => {
  it('holds one copy of each package, the dependencies satisfied from the tarballs', () => {
    for (const mode of MODES) {
      const lock = JSON.parse(readFileSync(join(projects[mode], 'package-lock.json'), 'utf8')) as {
        packages: Record<string, unknown>;
      };
      const ours = Object.keys(lock.packages)
        .filter((path) => path.includes('@wsts/'))
        .sort();
      expect(ours, mode).toEqual(packed.map((pack) => `node_modules/${pack.manifest.name}`).sort());
    }
  });

  it('loads the ESM build through import and the CommonJS build through require, with the same exports', async () => {
    const names = packed.map((pack) => pack.manifest.name);
    const reports = {} as Record<
      Mode,
      { packages: Record<string, { resolved: string; names: string[] }>; loadedFiles?: string[] }
    >;
    await Promise.all(
      MODES.map(async (mode) => {
        const { stdout } = await run(process.execPath, [...nodeArgs[mode], 'exports.js', ...names], {
          cwd: projects[mode],
          timeout: 30_000,
        });
        reports[mode] = JSON.parse(stdout);
      }),
    );
    for (const name of names) {
      const esm = reports.esm.packages[name]!;
      const cjs = reports.cjs.packages[name]!;
      expect(esm.resolved, name).toBe(join(realpathSync(projects.esm), 'node_modules', name, 'dist', 'index.js'));
      expect(cjs.resolved, name).toBe(join(realpathSync(projects.cjs), 'node_modules', name, requireEntry(name).file));
      expect(esm.names.length, name).toBeGreaterThan(5);
      if (name === '@wsts/ws') {
        // ws's shape: require() returns the WebSocket class, carrying the other exports as statics.
        expect(cjs.names, name).toEqual(esm.names.filter((export_) => WS_STATICS.includes(export_)));
      } else expect(cjs.names, name).toEqual(esm.names);
    }
    // Every file of ours that require() loaded is the CommonJS build, all the way down.
    const loaded = reports.cjs.loadedFiles!.filter((file) => file.includes('/@wsts/'));
    for (const name of names) expect(loaded, name).toContain(reports.cjs.packages[name]!.resolved);
    expect(loaded.filter((file) => !/\/@wsts\/[^/]+\/dist\/cjs\//.test(file))).toEqual([]);
  });

  it.each(MODES)('echoes a message through connect() to a WebSocketServer (%s)', async (mode) => {
    const message = `hello from ${mode}`;
    const { stdout } = await run(process.execPath, [...nodeArgs[mode], 'echo-once.js', message], {
      cwd: projects[mode],
      timeout: 30_000,
    });
    expect(stdout).toBe(`${message}\n`);
  });

  it.each(MODES)('echoes a message through the ws-shaped API of @wsts/ws (%s)', async (mode) => {
    const message = `hello from ws users in ${mode}`;
    const { stdout } = await run(process.execPath, [...nodeArgs[mode], 'ws-echo-once.js', message], {
      cwd: projects[mode],
      timeout: 30_000,
    });
    expect(stdout).toBe(`${message}\n`);
  });

  it('type-checks with nodenext against the declarations of the matching build, and only those', async () => {
    const names = packed.map((pack) => pack.manifest.name);
    const listings = await Promise.all(
      MODES.map(async (mode) => {
        // Every package, so that each one's declarations are in the program and checked.
        const imports = names.map((name, index) => `import * as p${index} from '${name}';`);
        writeFileSync(
          join(projects[mode], 'all-packages.ts'),
          `${imports.join('\n')}\nexport const all = [${names.map((_, index) => `p${index}`).join(', ')}];\n`,
        );
        // Declarations are checked (no skipLibCheck), except TypeScript's own lib files, which are not ours.
        const args = [
          '--module',
          'nodenext',
          '--moduleResolution',
          'nodenext',
          '--strict',
          '--noEmit',
          '--skipDefaultLibCheck',
          '--listFiles',
        ];
        const { stdout } = await run(process.execPath, [tsc, ...args, 'check.ts', 'all-packages.ts'], {
          cwd: projects[mode],
          timeout: 100_000,
        });
        return stdout.split('\n').filter((file) => file.includes('/node_modules/@wsts/'));
      }),
    );
    const [esm, cjs] = listings as [string[], string[]];
    for (const name of names) {
      expect(esm, name).toContainEqual(expect.stringMatching(new RegExp(`/node_modules/${name}/dist/index\\.d\\.ts$`)));
      const required = requireEntry(name).types.replaceAll('.', '\\.');
      expect(cjs, name).toContainEqual(expect.stringMatching(new RegExp(`/node_modules/${name}/${required}$`)));
    }
    expect(esm.filter((file) => file.includes('/dist/cjs/'))).toEqual([]);
    expect(cjs.filter((file) => !file.includes('/dist/cjs/'))).toEqual([]);
  }, 120_000);
});

describe('the bins, run from node_modules/.bin', () => {
  it('wsts-echo echoes what a client sends', async () => {
    const bin = await startBin(join(projects.cjs, 'node_modules', '.bin', 'wsts-echo'), ['--port', '0'], projects.cjs);
    try {
      expect(bin.url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+$/);
      const connection = await connect(bin.url, { handshakeTimeout: 5_000 });
      const messages = connection.messages();
      await connection.send('echo me');
      expect((await messages.next()).value?.text).toBe('echo me');
      connection.close(1000, 'done');
    } finally {
      expect(await bin.stop()).toBe(0);
    }
  });

  it('wsts-example greets and thanks', async () => {
    const bin = await startBin(
      join(projects.esm, 'node_modules', '.bin', 'wsts-example'),
      ['--port', '0', '--host', '127.0.0.1'],
      projects.esm,
    );
    try {
      const connection = await connect(bin.url, { handshakeTimeout: 5_000 });
      const messages = connection.messages();
      expect((await messages.next()).value?.text).toBe('Welcome to my websocket!');
      await connection.send('hi');
      expect((await messages.next()).value?.text).toBe('Thanks, I got [hi]');
      connection.close(1000, 'done');
    } finally {
      await bin.stop();
    }
  });
});
