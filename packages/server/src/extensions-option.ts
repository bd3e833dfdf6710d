import type { ServerExtensionNegotiator } from '@wsts/protocol';

/**
 * The `perMessageDeflate` server option, resolved to negotiators.
 *
 * WIRING POINT for the permessage-deflate engineer (src/permessage-deflate/): replace the
 * `PerMessageDeflateOptions` placeholder with your options type and return your server negotiator
 * here. Until then the option is accepted and ignored (deflate off).
 */
export interface PerMessageDeflateOptions {
  readonly [option: string]: unknown;
}

/** Negotiators for the `perMessageDeflate` option; `undefined` means the default. */
export function perMessageDeflateNegotiators(
  option: boolean | PerMessageDeflateOptions | undefined,
): ServerExtensionNegotiator[] {
  void option;
  return [];
}
