// Finishes the CommonJS build (dist/cjs, compiled by tsconfig.cjs.json): marks the folder CommonJS and
// writes the entry `require('@wsts/ws')` loads, which returns the WebSocket class itself, as ws's does.
import { writeFileSync } from 'node:fs';

const dir = new URL('../dist/cjs/', import.meta.url);
writeFileSync(new URL('package.json', dir), '{"type":"commonjs"}\n');
writeFileSync(new URL('main.cjs', dir), "'use strict';\n// The class, carrying WebSocket.Server, WebSocket.WebSocketServer, ... (see index.ts).\nmodule.exports = require('./index.js').default;\n");
writeFileSync(
  new URL('main.d.cts', dir),
  // `export =` of the class by name carries its value, its instance type and its namespace of type names,
  // so `import WebSocket = require('@wsts/ws')` gets `WebSocket.RawData`, `WebSocket.Server`, ... too.
  "import ws = require('./index.js');\nexport = ws.WebSocket;\n",
);
