/** `Sec-WebSocket-Accept` computation (RFC 6455 section 4.2.2 step 5.4). @module */

import { base64Encode } from './base64.js';
import { sha1 } from './sha1.js';
import { utf8Encoder } from './text.js';

/** The GUID RFC 6455 appends to the client's key before hashing. */
export const WEBSOCKET_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** base64(SHA-1(key + GUID)): the value the server must answer a `Sec-WebSocket-Key` with. */
export function computeAccept(key: string): string {
  return base64Encode(sha1(utf8Encoder.encode(key + WEBSOCKET_GUID)));
}
