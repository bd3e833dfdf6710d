/**
 * Errors raised by the codec, and the one place where protocol violations are mapped to close codes.
 * @module
 */

/** Close codes from RFC 6455 section 7.4.1 and the IANA "WebSocket Close Code Number Registry". */
export const CloseCode = {
  NORMAL: 1000,
  GOING_AWAY: 1001,
  PROTOCOL_ERROR: 1002,
  UNSUPPORTED_DATA: 1003,
  /** Reserved: never sent on the wire. */
  RESERVED: 1004,
  /** Reported when a close frame carried no status code; never sent on the wire. */
  NO_STATUS: 1005,
  /** Reported when the connection dropped without a close frame; never sent on the wire. */
  ABNORMAL: 1006,
  INVALID_PAYLOAD: 1007,
  POLICY_VIOLATION: 1008,
  MESSAGE_TOO_BIG: 1009,
  MANDATORY_EXTENSION: 1010,
  INTERNAL_ERROR: 1011,
  SERVICE_RESTART: 1012,
  TRY_AGAIN_LATER: 1013,
  BAD_GATEWAY: 1014,
  /** TLS handshake failure; never sent on the wire. */
  TLS_HANDSHAKE: 1015,
} as const;

/**
 * Whether `code` may appear in a close frame on the wire (RFC 6455 section 7.4 and the IANA registry):
 * 1000-1003 and 1007-1014 are defined, 3000-4999 belong to libraries and applications; 1004, 1005, 1006
 * and 1015 are reserved for local reporting and everything else is unassigned.
 */
export function isValidCloseCode(code: number): boolean {
  if (!Number.isInteger(code)) return false;
  if (code >= 1000 && code <= 1003) return true;
  if (code >= 1007 && code <= 1014) return true;
  return code >= 3000 && code <= 4999;
}

/** A violation of RFC 6455 by the peer; `code` is the close code to send (1002, 1007, 1009, 1003...). */
export class ProtocolError extends Error {
  /** The close code the connection is failed with. */
  readonly code: number;

  constructor(code: number, message: string) {
    super(message);
    this.name = 'ProtocolError';
    this.code = code;
  }
}

/** Characters of a peer's input an error message quotes at most. */
export const EXCERPT_LENGTH = 40;

/**
 * Quotes at most {@link EXCERPT_LENGTH} characters of a peer's input, around `at`, for an error
 * message: a message names what was wrong without reflecting a 15 KB header back at its sender.
 */
export function excerpt(input: string, at = 0): string {
  if (input.length <= EXCERPT_LENGTH) return JSON.stringify(input);
  const start = Math.max(0, Math.min(at - EXCERPT_LENGTH / 2, input.length - EXCERPT_LENGTH));
  const end = start + EXCERPT_LENGTH;
  return `${start > 0 ? '...' : ''}${JSON.stringify(input.slice(start, end))}${end < input.length ? '...' : ''} (${input.length} characters)`;
}

/** A handshake that cannot succeed; `status` is the HTTP status a server answers with. */
export class HandshakeError extends Error {
  /** HTTP status for a server to answer with (for a client: the status it received). */
  readonly status: number;
  /** Extra response headers (e.g. `Sec-WebSocket-Version: 13` with a 426). */
  readonly headers: [string, string][];

  constructor(status: number, message: string, headers: [string, string][] = []) {
    super(message);
    this.name = 'HandshakeError';
    this.status = status;
    this.headers = headers;
  }
}

/** What a send after our close (or after a failure) reports to its callback. */
export function notOpenError(): Error {
  return new Error('WebSocket is not open: a close frame was already sent or the connection failed');
}

/*
 * The error -> close code mapping. Every violation the codec detects, and every failure an extension
 * reports, becomes a ProtocolError through one of these functions, and the code a failure's close frame
 * carries is chosen by closeCodeFor: the choice of code for each class of error is made here and nowhere
 * else.
 */

/** Framing or sequencing violation (RFC 6455 section 7.4.1: 1002). */
export function protocolViolation(reason: string): ProtocolError {
  return new ProtocolError(CloseCode.PROTOCOL_ERROR, reason);
}

/** Payload inconsistent with the message type, e.g. invalid UTF-8 in text (1007). */
export function invalidPayload(reason: string): ProtocolError {
  return new ProtocolError(CloseCode.INVALID_PAYLOAD, reason);
}

/** A message or frame larger than the configured limit (1009). */
export function messageTooBig(reason: string): ProtocolError {
  return new ProtocolError(CloseCode.MESSAGE_TOO_BIG, reason);
}

/** A message that breaks a limit other than size, e.g. too many fragments (1008). */
export function policyViolation(reason: string): ProtocolError {
  return new ProtocolError(CloseCode.POLICY_VIOLATION, reason);
}

/** A failure on our side, e.g. an extension that could not encode an outgoing message (1011). */
export function internalError(reason: string): ProtocolError {
  return new ProtocolError(CloseCode.INTERNAL_ERROR, reason);
}

function messageOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message || 'extension failure';
}

/**
 * What an extension's failed decode fails the connection with: its own ProtocolError (1009 from a
 * decompression limit, say), else 1007: the peer sent a payload the extension cannot decode.
 */
export function decodeFailure(error: unknown): ProtocolError {
  return error instanceof ProtocolError ? error : invalidPayload(messageOf(error));
}

/**
 * What an extension's failed encode fails the connection with: its own ProtocolError, else 1011: our
 * side could not produce the message, which is no fault of the peer's.
 */
export function encodeFailure(error: unknown): ProtocolError {
  return error instanceof ProtocolError ? error : internalError(messageOf(error));
}

/** The code a failure's close frame carries: the error's own when it may be sent, else 1002. */
export function closeCodeFor(error: ProtocolError): number {
  return isValidCloseCode(error.code) ? error.code : CloseCode.PROTOCOL_ERROR;
}
