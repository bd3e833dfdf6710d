// Every way opening a connection can fail is a WebSocketConnectError whose `kind` says which step failed
// ('network', 'timeout', 'unexpected-status', 'redirect', 'invalid-accept', 'invalid-protocol', ...).
import { connect, WebSocketConnectError } from '@wsts/server';

const url = process.argv[2] ?? 'ws://127.0.0.1:8000';

for (const target of [`${url}`, 'ws://127.0.0.1:1/', 'ftp://127.0.0.1/']) {
  try {
    const connection = await connect(target, {
      protocols: ['chat'], // offered; this server picks none, which is allowed
      headers: { Authorization: 'Bearer example-token' },
      origin: 'https://app.example',
      handshakeTimeout: 3_000, // the whole handshake: DNS, TCP, TLS, response (default 30 s)
      maxRedirects: 0, // the default: browsers never follow redirects for WebSockets
    });
    console.log(`${target}: connected, protocol=${JSON.stringify(connection.protocol)}`);
    connection.close();
  } catch (error) {
    if (!(error instanceof WebSocketConnectError)) throw error;
    console.log(`${target}: ${error.kind}${error.status === undefined ? '' : ` (HTTP ${error.status})`}`);
  }
}
