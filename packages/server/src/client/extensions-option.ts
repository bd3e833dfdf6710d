import type { ClientExtensionNegotiator } from '@wsts/protocol';
import type { PerMessageDeflateOptions } from '../extensions-option.js';

/**
 * The client's extension negotiators, in offer order: permessage-deflate first (when enabled), then the
 * caller's own `extensions`.
 *
 * WIRING POINT for permessage-deflate (src/permessage-deflate/): return the client negotiator for
 * `perMessageDeflate` here. Until it is wired the option is accepted and nothing is offered.
 */
export function clientExtensionNegotiators(
  perMessageDeflate: boolean | PerMessageDeflateOptions | undefined,
  extensions: readonly ClientExtensionNegotiator[] | undefined,
): ClientExtensionNegotiator[] {
  void perMessageDeflate;
  return [...(extensions ?? [])];
}
