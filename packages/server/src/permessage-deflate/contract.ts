/**
 * The slice of the @wsts/protocol contract (docs/architecture.md) that permessage-deflate plugs into,
 * plus the three errors this module raises, built in one place so their codes are chosen once.
 */
import { HandshakeError, ProtocolError } from '@wsts/protocol';

export { concatBytes, freezeOffer, HandshakeError, ProtocolError } from '@wsts/protocol';
export type {
  ClientExtensionNegotiator,
  EncodedMessage,
  Extension,
  ExtensionOffer,
  ServerExtensionNegotiator,
} from '@wsts/protocol';

/** A peer message that inflates past the size limit: 1009, as for an oversized frame. */
export function messageTooBig(limit: number): ProtocolError {
  return new ProtocolError(1009, `inflated message exceeds the ${limit}-byte limit`);
}

/** Compressed data zlib cannot inflate: 1007, the payload is not what its RSV1 bit claims. */
export function corruptData(detail: string): ProtocolError {
  return new ProtocolError(1007, `invalid compressed data: ${detail}`);
}

/**
 * A permessage-deflate response a client cannot accept. RFC 7692 section 5 says the client fails the
 * connection; the status is the one the client received (101), as the protocol's client handshake does.
 */
export function badResponse(detail: string): HandshakeError {
  return new HandshakeError(101, `unacceptable permessage-deflate response: ${detail}`);
}
