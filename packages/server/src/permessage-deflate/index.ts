/**
 * permessage-deflate (RFC 7692) for @wsts/server, on node:zlib, through the codec's extension
 * interface.
 */
import { PerMessageDeflateClient } from './client-negotiator.js';
import type { PerMessageDeflateOptions } from './options.js';
import { PerMessageDeflateServer } from './server-negotiator.js';

export { PerMessageDeflateClient } from './client-negotiator.js';
export { PerMessageDeflateServer } from './server-negotiator.js';
export { PerMessageDeflate, type DeflatePlan } from './deflate-extension.js';
export { sharedCompressionOf, type SharedCompression } from './shared-compression.js';
export { ZlibLimiter, sharedZlibLimiter, DEFAULT_ZLIB_CONCURRENCY } from './limiter.js';
export {
  DEFAULT_INLINE_DEFLATE_LIMIT,
  DEFAULT_INLINE_INFLATE_LIMIT,
  DEFAULT_THRESHOLD,
  resolveDeflateOptions,
  type ParameterPolicy,
  type PerMessageDeflateOptions,
  type ResolvedDeflateOptions,
} from './options.js';
export { EXTENSION_NAME, parseDeflateParams, formatDeflateParams, type DeflateParams } from './params.js';

/** The `perMessageDeflate` option of servers and clients: on (true or options), off (false). */
export type PerMessageDeflateSetting = boolean | PerMessageDeflateOptions | undefined;

/**
 * Server negotiators for a `perMessageDeflate` setting. `undefined` means on with defaults: browsers
 * offer the extension on every connection and text shrinks several times.
 */
export function serverDeflateNegotiators(setting: PerMessageDeflateSetting): PerMessageDeflateServer[] {
  if (setting === false) return [];
  return [new PerMessageDeflateServer(setting === true || setting === undefined ? undefined : setting)];
}

/** Client negotiators for a `perMessageDeflate` setting; `undefined` means on with defaults. */
export function clientDeflateNegotiators(setting: PerMessageDeflateSetting): PerMessageDeflateClient[] {
  if (setting === false) return [];
  return [new PerMessageDeflateClient(setting === true || setting === undefined ? undefined : setting)];
}
