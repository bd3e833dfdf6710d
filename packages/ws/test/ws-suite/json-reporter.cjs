'use strict';
// A mocha reporter for ws-suite.test.ts: one JSON line per finished test (and per failed hook) appended
// to the file named by WS_SUITE_REPORT, so a run cut short by its timeout still reports what it did.
// A 'begin' line precedes each test: a test that crashed the process is the one begun and never ended.
// Each line carries the test's function source (`body`), from which the test file classifies it.
const fs = require('node:fs');
const Mocha = require('mocha');

const { EVENT_TEST_BEGIN, EVENT_TEST_PASS, EVENT_TEST_FAIL, EVENT_TEST_PENDING, EVENT_RUN_END } = Mocha.Runner.constants;

class JsonLinesReporter extends Mocha.reporters.Base {
  constructor(runner, options) {
    super(runner, options);
    const file = process.env.WS_SUITE_REPORT;
    const write = (record) => fs.appendFileSync(file, `${JSON.stringify(record)}\n`);
    const record = (test, state, error) =>
      write({
        kind: test.type === 'hook' ? 'hook' : 'test',
        file: test.file ? require('node:path').basename(test.file) : '',
        title: test.fullTitle(),
        state,
        body: test.body || '',
        error: error ? String(error.stack || error.message || error).split('\n').slice(0, 6).join('\n') : undefined,
      });
    runner.on(EVENT_TEST_BEGIN, (test) => record(test, 'begin'));
    runner.on(EVENT_TEST_PASS, (test) => record(test, 'passed'));
    runner.on(EVENT_TEST_FAIL, (test, error) => record(test, 'failed', error));
    runner.on(EVENT_TEST_PENDING, (test) => record(test, 'pending'));
    runner.once(EVENT_RUN_END, () => write({ kind: 'end' }));
  }
}

module.exports = JsonLinesReporter;
