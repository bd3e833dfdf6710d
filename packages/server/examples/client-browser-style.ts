// The WHATWG API: this is the code a browser page runs. Only the import differs (browsers have a
// global WebSocket); events, readyState, send() and close() behave as the standard says.
import { WebSocket } from '@wsts/server';

const ws = new WebSocket(process.argv[2] ?? 'ws://127.0.0.1:8000');

ws.onopen = () => ws.send('Hello from the WHATWG API');
ws.onmessage = (event) => {
  console.log(`received: ${event.data}`);
  if (String(event.data).startsWith('Thanks')) ws.close(1000, 'done');
};
ws.onerror = () => console.log('error'); // always followed by a close event with code 1006
ws.onclose = (event) => console.log(`closed: ${event.code} clean=${event.wasClean}`);
