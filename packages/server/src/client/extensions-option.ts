import type { ClientExtensionNegotiator } from '@wsts/protocol';
import { clientDeflateNegotiators, type PerMessageDeflateOptions } from '../permessage-deflate/index.js';

/**
 * The client's extension negotiators, in offer order: permessage-deflate first (when enabled), then the
 * caller's own `extensions`.
 *
 * DEFAULT SWITCH (owned by the permessage-deflate engineer, like the server's in
 * src/extensions-option.ts): `undefined` is off for now; turning it on by default means treating
 * `undefined` like `true` here.
 */
export function clientExtensionNegotiators(
  perMessageDeflate: boolean | PerMessageDeflateOptions | undefined,
  extensions: readonly ClientExtensionNegotiator[] | undefined,
): ClientExtensionNegotiator[] {
  const deflate = perMessageDeflate === undefined || perMessageDeflate === false ? [] : clientDeflateNegotiators(perMessageDeflate);
  return [...deflate, ...(extensions ?? [])];
}
