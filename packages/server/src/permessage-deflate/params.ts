/**
 * RFC 7692 section 7.1: the four permessage-deflate parameters, read from one offer or one response
 * and checked. Section 5 makes the rules strict on both sides: an unknown parameter, a bad value or a
 * parameter given twice makes a server decline that offer and makes a client fail the connection, so
 * this parser reports the first problem instead of guessing.
 */
import type { ExtensionOffer } from './contract.js';

/** The name used in `Sec-WebSocket-Extensions`. */
export const EXTENSION_NAME = 'permessage-deflate';

/** The parameters of one permessage-deflate offer or response, after validation. */
export interface DeflateParams {
  serverNoContextTakeover: boolean;
  clientNoContextTakeover: boolean;
  /** 8..15, or undefined when absent. */
  serverMaxWindowBits: number | undefined;
  /** 8..15; `true` when an offer names it without a value ("I can limit my window"); undefined when absent. */
  clientMaxWindowBits: number | true | undefined;
}

/** Either the parsed parameters or the reason they are unacceptable. */
export type ParseResult = { ok: true; params: DeflateParams } | { ok: false; reason: string };

/** RFC 7692 section 7.1.2: a decimal integer from 8 to 15 without leading zeros. */
const WINDOW_BITS = /^(?:8|9|1[0-5])$/;

/**
 * Reads the parameters of an offer (`kind` 'offer', sent by a client) or a response (`kind`
 * 'response', sent by a server). The only asymmetry in the RFC: `client_max_window_bits` may come
 * without a value in an offer, never in a response.
 */
export function parseDeflateParams(
  params: readonly (readonly [string, string | true])[],
  kind: 'offer' | 'response',
): ParseResult {
  const out: DeflateParams = {
    serverNoContextTakeover: false,
    clientNoContextTakeover: false,
    serverMaxWindowBits: undefined,
    clientMaxWindowBits: undefined,
  };
  const seen = new Set<string>();
  for (const [name, value] of params) {
    if (seen.has(name)) return { ok: false, reason: `duplicated parameter ${name}` };
    seen.add(name);
    switch (name) {
      case 'server_no_context_takeover':
      case 'client_no_context_takeover':
        if (value !== true) return { ok: false, reason: `${name} takes no value` };
        if (name === 'server_no_context_takeover') out.serverNoContextTakeover = true;
        else out.clientNoContextTakeover = true;
        break;
      case 'server_max_window_bits':
        if (value === true || !WINDOW_BITS.test(value)) {
          return { ok: false, reason: `${name} needs a value from 8 to 15` };
        }
        out.serverMaxWindowBits = Number(value);
        break;
      case 'client_max_window_bits':
        if (value === true) {
          if (kind === 'response') return { ok: false, reason: `${name} needs a value in a response` };
          out.clientMaxWindowBits = true;
        } else if (WINDOW_BITS.test(value)) {
          out.clientMaxWindowBits = Number(value);
        } else {
          return { ok: false, reason: `${name} needs a value from 8 to 15` };
        }
        break;
      default:
        return { ok: false, reason: `unknown parameter ${name}` };
    }
  }
  return { ok: true, params: out };
}

/** Writes parameters back as a header element, in the RFC's order. */
export function formatDeflateParams(params: DeflateParams): ExtensionOffer {
  const list: [string, string | true][] = [];
  if (params.serverNoContextTakeover) list.push(['server_no_context_takeover', true]);
  if (params.clientNoContextTakeover) list.push(['client_no_context_takeover', true]);
  if (params.serverMaxWindowBits !== undefined) {
    list.push(['server_max_window_bits', String(params.serverMaxWindowBits)]);
  }
  if (params.clientMaxWindowBits !== undefined) {
    list.push(['client_max_window_bits', params.clientMaxWindowBits === true ? true : String(params.clientMaxWindowBits)]);
  }
  return { name: EXTENSION_NAME, params: list };
}
