/**
 * @wsts/protocol: a sans-I/O RFC 6455 codec. Bytes in, events out; no dependencies, no I/O, no timers.
 * @packageDocumentation
 */

export { CloseCode, HandshakeError, isValidCloseCode, ProtocolError } from './errors.js';
export { getHeaderValues, headerPairs, type HeadersInput, isToken } from './handshake/headers.js';
export { computeAccept, WEBSOCKET_GUID } from './handshake/accept.js';
export { sha1 } from './handshake/sha1.js';
export { isWebSocketUpgrade, upgrade, type ServerHandshakeOptions, type UpgradeResult } from './handshake/server.js';
export {
  acceptClientHandshake,
  createClientHandshake,
  isHandshakeHeader,
  type ClientHandshake,
  type ClientHandshakeOptions,
  type ClientHandshakeResult,
} from './handshake/client.js';
export {
  acceptExtendedConnect,
  checkExtendedConnectResponse,
  createExtendedConnectRequest,
  isExtendedConnect,
  WEBSOCKET_PROTOCOL,
  type ExtendedConnectOptions,
  type ExtendedConnectRequest,
} from './handshake/extended-connect.js';
export type {
  ClientExtensionNegotiator,
  EncodedMessage,
  Extension,
  ExtensionOffer,
  ServerExtensionNegotiator,
} from './extensions/extension.js';
export { disposeExtensions } from './extensions/extension.js';
export { formatExtensionHeader, freezeOffer, parseExtensionHeader } from './handshake/extension-header.js';
export { FrameDecoder, type FrameDecoderOptions, type FrameSink, Opcode, RSV1, RSV2, RSV3 } from './frames/decoder.js';
export { encodeFrame, encodeFrameHeader } from './frames/encoder.js';
export { applyMask, maskCopy } from './bytes/mask.js';
export { concatBytes } from './bytes/buffers.js';
export { isValidUtf8, Utf8Validator } from './text/utf8.js';
export { decodeClosePayload, encodeClosePayload, MAX_CLOSE_REASON_BYTES, type CloseStatus } from './frames/close.js';
export {
  Connection,
  DEFAULT_MAX_FRAGMENTS,
  DEFAULT_MAX_MESSAGE_SIZE,
  PONGS_PER_RECEIVE,
  type ConnectionEvent,
  type ConnectionOptions,
  type ConnectionState,
} from './connection/connection.js';
export { prepareMessage, type PreparedMessage, type PrepareOptions } from './frames/prepared.js';
