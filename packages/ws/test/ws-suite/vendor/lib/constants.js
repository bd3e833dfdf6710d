'use strict';
// Shim written for @wsts/ws (not part of ws): the constants ws's tests import, from our package.
const wsts = require('../../../../dist/cjs/index.js');

module.exports = {
  EMPTY_BUFFER: wsts.EMPTY_BUFFER,
  GUID: '258EAFA5-E914-47DA-95CA-C5AB0DC85B11',
  hasBlob: typeof Blob !== 'undefined',
  kListener: wsts.kListener,
  NOOP: () => {}
};
