/** `Sec-WebSocket-Accept` computation (RFC 6455 section 4.2.2 step 5.4). @module */

import { base64Encode } from './base64.js';
import { sha1, sha1Ascii } from './sha1.js';
import { utf8Encoder } from '../text/encoding.js';

/** The GUID RFC 6455 appends to the client's key before hashing. */
export const WEBSOCKET_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** Digest scratch: the value is turned into a string before the next call can reuse it. */
const digest = new Uint8Array(20);

/** base64(SHA-1(key + GUID)): the value the server must answer a `Sec-WebSocket-Key` with. */
export function computeAccept(key: string): string {
  // A valid key is base64, hence ASCII: hash its code units directly. Anything else is encoded as UTF-8
  // first, which gives the same bytes for ASCII, so both paths agree.
  if (sha1Ascii(key, WEBSOCKET_GUID, digest)) return base64Encode(digest);
  return base64Encode(sha1(utf8Encoder.encode(key + WEBSOCKET_GUID)));
}
