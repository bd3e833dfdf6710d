/**
 * The client side of permessage-deflate negotiation (RFC 7692 sections 5 and 7.1).
 */
import { badResponse, type ClientExtensionNegotiator, type ExtensionOffer } from './contract.js';
import { PerMessageDeflate } from './deflate-extension.js';
import { resolveDeflateOptions, type PerMessageDeflateOptions, type ResolvedDeflateOptions } from './options.js';
import { EXTENSION_NAME, formatDeflateParams, parseDeflateParams, type DeflateParams } from './params.js';

/**
 * Offers permessage-deflate and checks the server's answer. With default options the offer is
 * `permessage-deflate; client_max_window_bits`, what browsers send. Section 5 leaves a client no way
 * to decline a response: one it cannot accept throws HandshakeError, which fails the connection.
 */
export class PerMessageDeflateClient implements ClientExtensionNegotiator {
  readonly name = EXTENSION_NAME;
  /** The options after defaults. */
  readonly options: ResolvedDeflateOptions;
  private readonly offered: DeflateParams;

  /** @throws TypeError or RangeError on a bad option. */
  constructor(options?: PerMessageDeflateOptions) {
    const o = resolveDeflateOptions(options);
    this.options = o;
    this.offered = {
      serverNoContextTakeover: o.serverNoContextTakeover === 'request',
      clientNoContextTakeover: o.clientNoContextTakeover === 'request',
      serverMaxWindowBits:
        typeof o.serverMaxWindowBits === 'number' && o.serverMaxWindowBits < 15 ? o.serverMaxWindowBits : undefined,
      // Offering it without a value costs nothing and lets a server that wants to save memory say so.
      clientMaxWindowBits:
        o.clientMaxWindowBits === 'refuse' ? undefined : o.clientMaxWindowBits < 15 ? o.clientMaxWindowBits : true,
    };
  }

  offer(): ExtensionOffer[] {
    return [formatDeflateParams(this.offered)];
  }

  /** @throws HandshakeError naming what is wrong with the response. */
  accept(response: ExtensionOffer): PerMessageDeflate {
    if (response.name !== EXTENSION_NAME) throw badResponse(`unexpected extension ${response.name}`);
    const parsed = parseDeflateParams(response.params, 'response');
    if (!parsed.ok) throw badResponse(parsed.reason);
    const r = parsed.params;
    const o = this.options;
    const offered = this.offered;

    if (offered.serverNoContextTakeover && !r.serverNoContextTakeover) {
      throw badResponse('server_no_context_takeover was requested but not accepted');
    }
    if (r.serverNoContextTakeover && o.serverNoContextTakeover === 'refuse') {
      throw badResponse('server_no_context_takeover is refused by this client');
    }
    if (r.clientNoContextTakeover && o.clientNoContextTakeover === 'refuse') {
      throw badResponse('client_no_context_takeover is refused by this client');
    }
    if (offered.serverMaxWindowBits !== undefined) {
      if (r.serverMaxWindowBits === undefined) {
        throw badResponse('server_max_window_bits was requested but not accepted');
      }
      if (r.serverMaxWindowBits > offered.serverMaxWindowBits) {
        throw badResponse(`server_max_window_bits ${r.serverMaxWindowBits} exceeds the offered ${offered.serverMaxWindowBits}`);
      }
    } else if (r.serverMaxWindowBits !== undefined && o.serverMaxWindowBits === 'refuse') {
      throw badResponse('server_max_window_bits is refused by this client');
    }
    if (r.clientMaxWindowBits !== undefined) {
      if (offered.clientMaxWindowBits === undefined) {
        throw badResponse('client_max_window_bits was not offered');
      }
      if (typeof offered.clientMaxWindowBits === 'number' && (r.clientMaxWindowBits as number) > offered.clientMaxWindowBits) {
        throw badResponse(
          `client_max_window_bits ${String(r.clientMaxWindowBits)} exceeds the offered ${offered.clientMaxWindowBits}`,
        );
      }
    }

    const ownCap = typeof o.clientMaxWindowBits === 'number' ? o.clientMaxWindowBits : 15;
    const responseCap = typeof r.clientMaxWindowBits === 'number' ? r.clientMaxWindowBits : 15;
    return new PerMessageDeflate({
      agreed: r,
      deflate: {
        windowBits: Math.min(ownCap, responseCap),
        level: o.level,
        memLevel: o.memLevel,
        // Having offered client_no_context_takeover, we keep our word whatever the response says.
        noContextTakeover: r.clientNoContextTakeover || offered.clientNoContextTakeover,
      },
      inflate: { windowBits: r.serverMaxWindowBits ?? 15, noContextTakeover: r.serverNoContextTakeover },
      threshold: o.threshold,
      inlineDeflateLimit: o.inlineDeflateLimit,
      inlineInflateLimit: o.inlineInflateLimit,
      limiter: o.limiter,
    });
  }
}
