'use strict';
// Shim written for @wsts/ws (not part of ws). ws's tests use `Sender.frame(data, options)` only to craft
// raw frames for a peer; this builds them with our codec's frame encoder (@wsts/protocol) and returns
// the frame's chunks, as ws's Sender.frame does. There is no Sender class here.
const { randomFillSync } = require('crypto');
// The codec's CommonJS build, as a CommonJS user of @wsts/protocol gets it.
const { encodeFrameHeader, maskCopy } = require('@wsts/protocol');

function frame(data, options) {
  const payload = typeof data === 'string' ? Buffer.from(data) : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const rsv = options.rsv1 ? 4 : 0;
  const fin = options.fin !== false;
  if (!options.mask) {
    return [Buffer.from(encodeFrameHeader(options.opcode, fin, rsv, payload.length)), payload];
  }
  const key = options.maskBuffer || randomFillSync(Buffer.alloc(4));
  const header = Buffer.from(encodeFrameHeader(options.opcode, fin, rsv, payload.length, key));
  const masked = Buffer.from(maskCopy(payload, key));
  return [header, masked];
}

module.exports = { frame };
