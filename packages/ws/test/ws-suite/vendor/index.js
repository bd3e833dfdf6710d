'use strict';
// Shim written for @wsts/ws (not part of ws): ws's tests `require('..')`; this hands them our package.
// It loads the package's CommonJS entry (what `require('@wsts/ws')` returns): the `WebSocket` class
// carrying WebSocket.Server, WebSocket.createWebSocketStream, ... exactly as `require('ws')` returns.
module.exports = require('../../../dist/cjs/main.cjs');
