'use strict';
// Shim written for @wsts/ws (not part of ws): the event classes, from our package.
const { CloseEvent, ErrorEvent, Event, MessageEvent } = require('../../../../dist/cjs/index.js');

module.exports = { CloseEvent, ErrorEvent, Event, MessageEvent };
