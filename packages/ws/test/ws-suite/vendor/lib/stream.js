'use strict';
// Shim written for @wsts/ws (not part of ws): createWebSocketStream, from our package.
module.exports = require('../../../../dist/cjs/index.js').createWebSocketStream;
