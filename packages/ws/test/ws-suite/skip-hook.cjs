'use strict';
// A mocha root hook for ws-suite.test.ts: skips the tests named in the JSON file WS_SUITE_SKIP (file name
// and full title). After a test crashes the process, the suite is run again skipping what already ran.
const fs = require('node:fs');
const path = require('node:path');

const list = process.env.WS_SUITE_SKIP ? JSON.parse(fs.readFileSync(process.env.WS_SUITE_SKIP, 'utf8')) : [];
const skip = new Set(list);

exports.mochaHooks = {
  beforeEach() {
    const test = this.currentTest;
    if (skip.has(`${path.basename(test.file)} ${test.fullTitle()}`)) this.skip();
  },
};
