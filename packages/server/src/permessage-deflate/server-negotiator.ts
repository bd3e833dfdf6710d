/**
 * The server side of permessage-deflate negotiation (RFC 7692 sections 5 and 7.1).
 */
import { freezeOffer, type ExtensionOffer, type ServerExtensionNegotiator } from './contract.js';
import { PerMessageDeflate, type DeflatePlan } from './deflate-extension.js';
import { resolveDeflateOptions, type PerMessageDeflateOptions, type ResolvedDeflateOptions } from './options.js';
import { EXTENSION_NAME, formatDeflateParams, parseDeflateParams, type DeflateParams } from './params.js';

/**
 * Accepts the first permessage-deflate offer it can honour, in the client's order. An offer with an
 * unknown, malformed or repeated parameter is skipped, as section 5 requires; so is one that a
 * `'refuse'` option rules out. Keep one instance per server: its connections share its zlib limiter.
 */
export class PerMessageDeflateServer implements ServerExtensionNegotiator {
  readonly name = EXTENSION_NAME;
  /** The options after defaults. */
  readonly options: ResolvedDeflateOptions;
  /**
   * What this negotiator answered to each shared (frozen) offer it has seen, null for a decline. The
   * handshake hands over the same frozen offer objects for a header value it saw before, so a server
   * parses and plans each distinct offer once, not once per handshake (see `parseSharedOffers` in
   * @wsts/protocol). Weak: offers the handshake stopped sharing are collected.
   */
  private readonly decisions = new WeakMap<ExtensionOffer, Decision | null>();

  /** @throws TypeError or RangeError on a bad option. */
  constructor(options?: PerMessageDeflateOptions) {
    this.options = resolveDeflateOptions(options);
  }

  accept(offers: readonly ExtensionOffer[]): { response: ExtensionOffer; extension: PerMessageDeflate } | undefined {
    for (const offer of offers) {
      if (offer.name !== EXTENSION_NAME) continue;
      let decision = this.decisions.get(offer);
      if (decision === undefined) {
        decision = this.decide(offer);
        // Only a frozen offer is known not to change under the same identity.
        if (Object.isFrozen(offer)) this.decisions.set(offer, decision);
      }
      if (decision !== null) return { response: decision.response, extension: new PerMessageDeflate(decision.plan) };
    }
    return undefined;
  }

  /** The answer to one offer: a plan and its response (both shared, so frozen), or null to decline it. */
  private decide(offer: ExtensionOffer): Decision | null {
    const parsed = parseDeflateParams(offer.params, 'offer');
    if (!parsed.ok) return null;
    const plan = this.plan(parsed.params);
    if (!plan) return null;
    Object.freeze(plan.agreed);
    Object.freeze(plan.deflate);
    Object.freeze(plan.inflate);
    return { plan: Object.freeze(plan), response: freezeOffer(formatDeflateParams(plan.agreed)) };
  }

  /** The configuration answering one valid offer, or undefined to decline it. */
  private plan(offer: DeflateParams): DeflatePlan | undefined {
    const o = this.options;
    if (offer.serverNoContextTakeover && o.serverNoContextTakeover === 'refuse') return undefined;
    if (offer.clientNoContextTakeover && o.clientNoContextTakeover === 'refuse') return undefined;
    if (offer.serverMaxWindowBits !== undefined && o.serverMaxWindowBits === 'refuse') return undefined;
    if (offer.clientMaxWindowBits !== undefined && o.clientMaxWindowBits === 'refuse') return undefined;

    // 7.1.1.1: accepting server_no_context_takeover means echoing it; the server may also add it alone.
    const serverNoContextTakeover = offer.serverNoContextTakeover || o.serverNoContextTakeover === 'request';
    // 7.1.1.2: the client's flag is a hint; echo it so the agreed state is explicit, or impose it.
    const clientNoContextTakeover = offer.clientNoContextTakeover || o.clientNoContextTakeover === 'request';

    // 7.1.2.1: answer with the offered value or a smaller one; a server may lower its window unasked.
    const serverCap = o.serverMaxWindowBits === 'refuse' ? 15 : o.serverMaxWindowBits;
    const serverBits = Math.min(serverCap, offer.serverMaxWindowBits ?? 15);
    const serverMaxWindowBits = offer.serverMaxWindowBits !== undefined || serverBits < 15 ? serverBits : undefined;

    // 7.1.2.2: only when offered may the response carry client_max_window_bits, never above the offer.
    let clientMaxWindowBits: number | undefined;
    let clientBits = 15;
    if (offer.clientMaxWindowBits !== undefined) {
      const offered = offer.clientMaxWindowBits === true ? 15 : offer.clientMaxWindowBits;
      const clientCap = o.clientMaxWindowBits === 'refuse' ? 15 : o.clientMaxWindowBits;
      clientBits = Math.min(clientCap, offered);
      // zlib cannot compress raw DEFLATE with a 256-byte window: Node quietly uses 512, but clients on
      // plain zlib (Python's websockets) fail on 8. Answer 9 unless the client itself offered 8.
      if (clientBits === 8 && offered !== 8) clientBits = 9;
      if (clientBits < 15 || offer.clientMaxWindowBits !== true) clientMaxWindowBits = clientBits;
    }

    return {
      agreed: { serverNoContextTakeover, clientNoContextTakeover, serverMaxWindowBits, clientMaxWindowBits },
      deflate: {
        windowBits: serverBits,
        level: o.level,
        memLevel: o.memLevel,
        noContextTakeover: serverNoContextTakeover,
      },
      inflate: { windowBits: clientBits, noContextTakeover: clientNoContextTakeover },
      threshold: o.threshold,
      inlineDeflateLimit: o.inlineDeflateLimit,
      inlineInflateLimit: o.inlineInflateLimit,
      limiter: o.limiter,
    };
  }
}

/** A negotiator's answer to one offer, shared by every connection that made the same offer. */
interface Decision {
  readonly plan: DeflatePlan;
  readonly response: ExtensionOffer;
}
