/**
 * ws's error vocabulary. The protocol is enforced by our codec; its `ProtocolError`s are renamed here to
 * the message and `code` a ws user matches on (`'WS_ERR_INVALID_UTF8'`, "Invalid WebSocket frame: ..."),
 * keeping ours as `cause`. Connection errors of our own (limits, timeouts) pass through unchanged.
 * @module
 */
import { ProtocolError } from '@wsts/protocol';
import { READY_STATES } from './constants.js';

/** A ws-style frame error: `code` names the violation, `statusCode` is the close code sent. */
export interface WsFrameError extends Error {
  code: string;
  statusCode: number;
}

interface Rename {
  readonly test: RegExp;
  readonly message: (match: RegExpExecArray) => string;
  readonly code: string;
  readonly range: boolean;
}

/** Our codec's messages (packages/protocol) and what ws says for the same violation. */
const RENAMES: readonly Rename[] = [
  {
    test: /^Reserved opcode 0x([0-9a-f]+)/,
    message: (m) => `invalid opcode ${Number.parseInt(m[1]!, 16)}`,
    code: 'WS_ERR_INVALID_OPCODE',
    range: true,
  },
  {
    test: /^Continuation frame without a message/,
    message: () => 'invalid opcode 0',
    code: 'WS_ERR_INVALID_OPCODE',
    range: true,
  },
  { test: /^New data frame while a fragmented/, message: () => 'invalid opcode 1', code: 'WS_ERR_INVALID_OPCODE', range: true },
  { test: /^Fragmented control frame/, message: () => 'FIN must be set', code: 'WS_ERR_EXPECTED_FIN', range: true },
  { test: /^RSV bits set on a control frame/, message: () => 'RSV1 must be clear', code: 'WS_ERR_UNEXPECTED_RSV_1', range: true },
  {
    test: /^RSV1 set on a continuation frame/,
    message: () => 'RSV1 must be clear',
    code: 'WS_ERR_UNEXPECTED_RSV_1',
    range: true,
  },
  {
    test: /^RSV bits 0x([0-9a-f]+) set/,
    message: (m) => (Number.parseInt(m[1]!, 16) & 3 ? 'RSV2 and RSV3 must be clear' : 'RSV1 must be clear'),
    code: 'RSV',
    range: true,
  },
  {
    test: /^Control frame payload longer than 125 bytes/,
    message: () => 'invalid payload length',
    code: 'WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH',
    range: true,
  },
  { test: /^Unmasked frame from a client/, message: () => 'MASK must be set', code: 'WS_ERR_EXPECTED_MASK', range: true },
  { test: /^Masked frame from a server/, message: () => 'MASK must be clear', code: 'WS_ERR_UNEXPECTED_MASK', range: true },
  {
    test: /^Invalid close code (\d+)/,
    message: (m) => `invalid status code ${m[1]}`,
    code: 'WS_ERR_INVALID_CLOSE_CODE',
    range: true,
  },
  {
    test: /^Close frame with a 1-byte payload/,
    message: () => 'invalid payload length 1',
    code: 'WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH',
    range: true,
  },
  { test: /UTF-8/, message: () => 'invalid UTF-8 sequence', code: 'WS_ERR_INVALID_UTF8', range: false },
];

function frameError(error: ProtocolError): Error {
  const text = error.message;
  if (error.code === 1009) {
    const renamed = new RangeError('Max payload size exceeded', { cause: error }) as RangeError & Partial<WsFrameError>;
    renamed.code = 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH';
    renamed.statusCode = 1009;
    return renamed;
  }
  for (const rename of RENAMES) {
    const match = rename.test.exec(text);
    if (match === null) continue;
    const message = `Invalid WebSocket frame: ${rename.message(match)}`;
    const renamed = (rename.range ? new RangeError(message, { cause: error }) : new Error(message, { cause: error })) as Error &
      Partial<WsFrameError>;
    renamed.code =
      rename.code === 'RSV' ? (message.includes('RSV2') ? 'WS_ERR_UNEXPECTED_RSV_2_3' : 'WS_ERR_UNEXPECTED_RSV_1') : rename.code;
    renamed.statusCode = error.code;
    return renamed;
  }
  return error;
}

/** The error a ws user expects for `error`: frame violations renamed, anything else unchanged. */
export function toWsError(error: Error): Error {
  return error instanceof ProtocolError ? frameError(error) : error;
}

/** "WebSocket is not open: readyState 2 (CLOSING)", ws's error for using a socket that is not open. */
export function notOpenError(readyState: number): Error {
  return new Error(`WebSocket is not open: readyState ${readyState} (${READY_STATES[readyState]})`);
}
