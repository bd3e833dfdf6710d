/**
 * ws's `perMessageDeflate` option, translated to ours (`PerMessageDeflateOptions` of @wsts/server).
 * The compression itself is our RFC 7692 implementation on node:zlib.
 * @module
 */
import type { ZlibOptions } from 'node:zlib';
import type { PerMessageDeflateOptions } from '@wsts/server';

/** ws's permessage-deflate options (the ones that mean something here). */
export interface WsPerMessageDeflateOptions {
  /** Server: reset the server's compressor after every message (and say so). Client: ask for it. */
  serverNoContextTakeover?: boolean;
  /** Server: make the client reset its compressor. Client: offer to. */
  clientNoContextTakeover?: boolean;
  /** The server's LZ77 window (8..15); `true` means 15. */
  serverMaxWindowBits?: number | boolean;
  /** The client's LZ77 window (8..15); `true` means 15. */
  clientMaxWindowBits?: number | boolean;
  /** Messages shorter than this many bytes go out uncompressed. Default 1024. */
  threshold?: number;
  /** zlib deflate options: `level` and `memLevel` are used; others are accepted and ignored. */
  zlibDeflateOptions?: ZlibOptions;
  /** zlib inflate options: accepted and ignored (inflate needs none). */
  zlibInflateOptions?: ZlibOptions;
  /** Most zlib jobs running at once in this process. */
  concurrencyLimit?: number;
}

const KNOWN = new Set([
  'serverNoContextTakeover',
  'clientNoContextTakeover',
  'serverMaxWindowBits',
  'clientMaxWindowBits',
  'threshold',
  'zlibDeflateOptions',
  'zlibInflateOptions',
  'concurrencyLimit',
]);

function windowBits(value: number | boolean | undefined): number | undefined {
  if (value === undefined || value === false) return undefined;
  if (value === true) return 15;
  return value;
}

/**
 * Our options for ws's `perMessageDeflate` value: `false`/`undefined` is off (undefined when off),
 * `true` our defaults, an object translated name by name. An unknown name is a TypeError.
 */
export function deflateOptions(value: boolean | WsPerMessageDeflateOptions | undefined): PerMessageDeflateOptions | undefined {
  if (value === undefined || value === false || value === null) return undefined;
  if (value === true) return {};
  if (typeof value !== 'object') throw new TypeError('perMessageDeflate must be a boolean or an object');
  for (const name of Object.keys(value)) {
    if (!KNOWN.has(name)) throw new TypeError(`unknown perMessageDeflate option ${JSON.stringify(name)}`);
  }
  const options: PerMessageDeflateOptions = {};
  if (value.serverNoContextTakeover !== undefined)
    options.serverNoContextTakeover = value.serverNoContextTakeover ? 'request' : 'accept';
  if (value.clientNoContextTakeover !== undefined)
    options.clientNoContextTakeover = value.clientNoContextTakeover ? 'request' : 'accept';
  const server = windowBits(value.serverMaxWindowBits);
  if (server !== undefined) options.serverMaxWindowBits = server;
  const client = windowBits(value.clientMaxWindowBits);
  if (client !== undefined) options.clientMaxWindowBits = client;
  if (value.threshold !== undefined) options.threshold = value.threshold;
  const zlib = value.zlibDeflateOptions;
  if (zlib?.level !== undefined) options.level = zlib.level;
  if (zlib?.memLevel !== undefined) options.memLevel = zlib.memLevel;
  if (value.concurrencyLimit !== undefined) options.concurrency = value.concurrencyLimit;
  return options;
}
