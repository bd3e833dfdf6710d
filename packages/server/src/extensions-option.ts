import type { ServerExtensionNegotiator } from '@wsts/protocol';
import { serverDeflateNegotiators, type PerMessageDeflateOptions } from './permessage-deflate/index.js';

export type { PerMessageDeflateOptions };

/**
 * The `perMessageDeflate` server option, resolved to negotiators: `true` or options turn
 * permessage-deflate on, `false` turns it off.
 *
 * Default (`undefined`): on, like `true` — browsers offer permessage-deflate on every connection and
 * text shrinks several times. Memory per connection is in docs/permessage-deflate.md ("Memory").
 */
export function perMessageDeflateNegotiators(
  option: boolean | PerMessageDeflateOptions | undefined,
): ServerExtensionNegotiator[] {
  if (option === false) return [];
  return serverDeflateNegotiators(option);
}
