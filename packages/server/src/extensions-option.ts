import type { ServerExtensionNegotiator } from '@wsts/protocol';
import { serverDeflateNegotiators, type PerMessageDeflateOptions } from './permessage-deflate/index.js';

export type { PerMessageDeflateOptions };

/**
 * The `perMessageDeflate` server option, resolved to negotiators: `true` or options turn
 * permessage-deflate on, `false` turns it off.
 *
 * DEFAULT SWITCH (owned by the permessage-deflate engineer): `undefined` is off for now; turning it
 * on by default means treating `undefined` like `true` here.
 */
export function perMessageDeflateNegotiators(
  option: boolean | PerMessageDeflateOptions | undefined,
): ServerExtensionNegotiator[] {
  if (option === undefined || option === false) return [];
  return serverDeflateNegotiators(option);
}
