import type { ClientExtensionNegotiator } from '@wsts/protocol';
import { clientDeflateNegotiators, type PerMessageDeflateOptions } from '../permessage-deflate/index.js';

/**
 * The client's extension negotiators, in offer order: permessage-deflate first (when enabled), then the
 * caller's own `extensions`.
 *
 * Default (`undefined`): permessage-deflate is offered, like `true` and like browsers do.
 */
export function clientExtensionNegotiators(
  perMessageDeflate: boolean | PerMessageDeflateOptions | undefined,
  extensions: readonly ClientExtensionNegotiator[] | undefined,
): ClientExtensionNegotiator[] {
  const deflate = perMessageDeflate === false ? [] : clientDeflateNegotiators(perMessageDeflate);
  return [...deflate, ...(extensions ?? [])];
}
