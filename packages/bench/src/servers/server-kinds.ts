import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUN_ENV, bunBinary } from './bun-binary.js';

/**
 * Which program runs a server script: `node` (with `--expose-gc` and the GC hook imported) or the bun
 * binary (with the same hook preloaded). Every runtime's server is measured the same way: CPU and RSS of
 * its process from /proc.
 */
export type ServerRuntime = 'node' | 'bun';

/** How to start one of the servers under test. */
export interface ServerKind {
  /**
   * Contender id in the results: "ours", "wsts-ws" (our ws-compatible API), "ws" (with its native
   * add-ons), "ws-js" (without), "bun" (Bun's built-in server), "node-floor" (raw `net`, no library).
   */
  id: string;
  label: string;
  runtime: ServerRuntime;
  script: string;
  args: string[];
  env: Record<string, string>;
  /** `ws` stands in for ours because our echo server has not been built yet. */
  placeholder: boolean;
  /** For ws's echo: whether it must be running bufferutil (checked from its banner line). */
  expectBufferutil?: boolean;
}

/** Throws when a ws server is not running the masking code its row claims (add-ons on or off). */
export function checkAddons(kind: ServerKind, banner: readonly string[]): void {
  if (kind.expectBufferutil === undefined) return;
  const line = banner.find((l) => l.startsWith('ws-addons '));
  const on = line?.includes('bufferutil=on');
  if (line === undefined || on !== kind.expectBufferutil) {
    throw new Error(
      `${kind.label}: expected bufferutil ${kind.expectBufferutil ? 'on' : 'off'}, server reported "${line ?? 'nothing'}"`,
    );
  }
}

const bunEcho = fileURLToPath(new URL('./bun-echo.js', import.meta.url));
/** The trivial raw-`net` echo: the cost of Node's own I/O with no WebSocket library. */
const nodeFloor = fileURLToPath(new URL('./node-floor.js', import.meta.url));
const wsEcho = fileURLToPath(new URL('./ws-echo.js', import.meta.url));
/** ws's echo server with its import switched to @wsts/ws: what a ws user gets from the one-line migration. */
const wstsWsEcho = fileURLToPath(new URL('./wsts-ws-echo.js', import.meta.url));
/** Our echo server, reached through the workspace link so it is the built @wsts/server the bench depends on. */
export const ourEcho = fileURLToPath(new URL('../../node_modules/@wsts/server/dist/bin/echo.js', import.meta.url));

/**
 * The checkout named by `BENCH_BASELINE` (a path to another clone of this repository, built), if any:
 * its build of ours joins the run as the contender "baseline", so a change is measured against the code
 * before it side by side, in one run. Unset: nothing.
 */
export function baselineCheckout(): string | undefined {
  const dir = process.env['BENCH_BASELINE'];
  if (dir === undefined || dir === '') return undefined;
  if (!existsSync(dir)) throw new Error(`BENCH_BASELINE=${dir}: no such directory`);
  return dir;
}

/** Bun's echo server when the bun binary is installed, else nothing (see {@link bunBinary}). */
export function bunKind(script: string, label: string, args: string[]): ServerKind[] {
  if (bunBinary() === undefined) return [];
  return [{ id: 'bun', label, runtime: 'bun', script, args, env: { ...BUN_ENV }, placeholder: false }];
}

/**
 * The servers compared, in the order they are driven for every case. Bun joins when its binary is
 * installed; the Node floor joins the rows without compression only (it negotiates no extension).
 */
export function serverKinds(options: { deflate: boolean; withoutAddons: boolean }): ServerKind[] {
  const wsArgs = ['--port', '0', ...(options.deflate ? ['--deflate'] : [])];
  const haveOurs = existsSync(ourEcho);
  const kinds: ServerKind[] = [
    haveOurs
      ? {
          id: 'ours',
          label: '@wsts/server echo',
          runtime: 'node',
          script: ourEcho,
          args: ['--port', '0', ...(options.deflate ? [] : ['--no-deflate'])],
          env: {},
          placeholder: false,
        }
      : {
          id: 'ours',
          label: 'ws echo (placeholder for ours)',
          runtime: 'node',
          script: wsEcho,
          args: wsArgs,
          env: {},
          placeholder: true,
        },
    {
      id: 'wsts-ws',
      label: 'ws echo on @wsts/ws (import switched)',
      runtime: 'node',
      script: wstsWsEcho,
      args: wsArgs,
      env: {},
      placeholder: false,
    },
    {
      id: 'ws',
      label: 'ws echo (native add-ons)',
      runtime: 'node',
      script: wsEcho,
      args: wsArgs,
      env: {},
      placeholder: false,
      expectBufferutil: true,
    },
  ];
  if (options.withoutAddons) {
    kinds.push({
      id: 'ws-js',
      label: 'ws echo (no add-ons)',
      runtime: 'node',
      script: wsEcho,
      args: wsArgs,
      env: { WS_NO_BUFFER_UTIL: '1', WS_NO_UTF_8_VALIDATE: '1' },
      placeholder: false,
      expectBufferutil: false,
    });
  }
  const baseline = baselineCheckout();
  if (baseline !== undefined) {
    const script = join(baseline, 'packages/server/dist/bin/echo.js');
    if (!existsSync(script)) throw new Error(`BENCH_BASELINE: ${script} is missing (build that checkout first)`);
    kinds.splice(1, 0, {
      id: 'baseline',
      label: `baseline (${baseline})`,
      runtime: 'node',
      script,
      args: ['--port', '0', ...(options.deflate ? [] : ['--no-deflate'])],
      env: {},
      placeholder: false,
    });
  }
  kinds.push(...bunKind(bunEcho, 'Bun.serve echo', wsArgs));
  if (!options.deflate) {
    kinds.push({
      id: 'node-floor',
      label: 'Node floor (raw net echo)',
      runtime: 'node',
      script: nodeFloor,
      args: ['--port', '0'],
      env: {},
      placeholder: false,
    });
  }
  return kinds;
}
