/**
 * The slice of @wsts/protocol's contract (docs/architecture.md) the benches drive, loaded at run time.
 *
 * Loaded dynamically rather than imported so the harness builds and runs end to end while the codec is
 * still being written: when a name is missing, the codec benches put `ws` in our slot and mark those rows
 * as placeholders instead of failing the whole run.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

export type ConnectionEvent =
  | { type: 'message'; binary: boolean; data: Uint8Array }
  | { type: 'ping' | 'pong'; data: Uint8Array }
  | { type: 'close'; code: number; reason: string }
  | { type: 'fail'; error: Error }
  | { type: 'closed' };

export interface ConnectionOptions {
  role: 'server' | 'client';
  maxMessageSize?: number;
  random?: (bytes: Uint8Array) => void;
  onWrite: (chunks: Uint8Array[], done?: (error?: Error) => void) => void;
  onEvent: (event: ConnectionEvent) => void;
}

export interface OurConnection {
  receive(bytes: Uint8Array): void;
  send(data: Uint8Array | string, binary: boolean, done?: (error?: Error) => void): void;
  readonly state: 'open' | 'closing' | 'closed';
}

export interface OurProtocol {
  Connection: new (options: ConnectionOptions) => OurConnection;
  applyMask: (data: Uint8Array, mask: Uint8Array, offset?: number) => void;
  isValidUtf8: (bytes: Uint8Array) => boolean;
}

/** One byte loop's two entry points in @wsts/protocol's dist/simd/paths.js (a path forced at every size). */
export interface BytePath {
  applyMask(data: Uint8Array, mask: Uint8Array, offset?: number): void;
  isValidUtf8(bytes: Uint8Array): boolean;
}

/** The codec's scalar loops and its WebAssembly SIMD kernels side by side (not part of its public API). */
export interface KernelPaths {
  wasmAvailable(): boolean;
  scalarPath: BytePath;
  wasmPath: BytePath;
  /** Sizes from which the codec itself uses each kernel. */
  wasmFrom: { mask: number; utf8: number };
}

/**
 * The codec's two paths for its byte loops, from its build (dist/simd/paths.js, which the package's
 * exports do not list, so it is found beside the resolved package.json); undefined when that file is
 * missing (a codec without the kernels).
 */
export async function loadKernelPaths(): Promise<KernelPaths | undefined> {
  try {
    const manifest = createRequire(import.meta.url).resolve('@wsts/protocol/package.json');
    const mod = (await import(pathToFileURL(join(dirname(manifest), 'dist', 'simd', 'paths.js')).href)) as Partial<KernelPaths>;
    if (typeof mod.wasmAvailable !== 'function' || !mod.scalarPath || !mod.wasmPath || !mod.wasmFrom) return undefined;
    return mod as KernelPaths;
  } catch {
    return undefined;
  }
}

/**
 * Whatever part of the contract our codec exports right now; each bench checks for the names it needs and
 * stands `ws` in for the rest (marking those rows as placeholders).
 */
export async function loadOurProtocol(): Promise<Partial<OurProtocol>> {
  let mod: Record<string, unknown>;
  try {
    mod = (await import('@wsts/protocol')) as Record<string, unknown>;
  } catch {
    return {};
  }
  const found: Partial<OurProtocol> = {};
  if (typeof mod['Connection'] === 'function') found.Connection = mod['Connection'] as OurProtocol['Connection'];
  if (typeof mod['applyMask'] === 'function') found.applyMask = mod['applyMask'] as OurProtocol['applyMask'];
  if (typeof mod['isValidUtf8'] === 'function') found.isValidUtf8 = mod['isValidUtf8'] as OurProtocol['isValidUtf8'];
  return found;
}
