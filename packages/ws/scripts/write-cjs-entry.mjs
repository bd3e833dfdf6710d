// Finishes the CommonJS build (dist/cjs, compiled by tsconfig.cjs.json): marks the folder CommonJS and
// writes the entry `require('@wsts/ws')` loads, which returns the WebSocket class itself, as ws's does.
import { writeFileSync } from 'node:fs';

const dir = new URL('../dist/cjs/', import.meta.url);
writeFileSync(new URL('package.json', dir), '{"type":"commonjs"}\n');
writeFileSync(new URL('main.cjs', dir), "'use strict';\n// The class, carrying WebSocket.Server, WebSocket.WebSocketServer, ... (see index.ts).\nmodule.exports = require('./index.js').default;\n");
writeFileSync(
  new URL('main.d.cts', dir),
  "import WebSocket = require('./index.js');\ndeclare const _default: typeof WebSocket.default;\nexport = _default;\n",
);
