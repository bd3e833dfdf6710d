/**
 * The WHATWG-style surface ws layers on its sockets: `on<event>` attributes and `addEventListener` with
 * typed event objects. Compiled against `ws` and `@wsts/ws` by test/types.test.ts.
 */
import type WebSocket from 'ws';
import { exact, use } from './assert.js';

export function attributes(ws: WebSocket): void {
  ws.onopen = (event) => {
    use(event.type);
    event.target.send('hello');
  };
  ws.onmessage = (event) => {
    exact<WebSocket.Data>()(event.data);
    if (typeof event.data === 'string') use(event.data.toUpperCase());
  };
  ws.onclose = (event) => use(event.code + 1, event.reason.length, event.wasClean);
  ws.onerror = (event) => use(event.message.length, event.error);
  ws.onmessage = null;
  if (ws.onclose !== null) use('has a close handler');
}

export function listeners(ws: WebSocket): void {
  ws.addEventListener('message', (event) => {
    exact<WebSocket.Data>()(event.data);
    exact<WebSocket>()(event.target);
  });
  ws.addEventListener('open', (event) => use(event.type), { once: true });
  ws.addEventListener('close', (event) => exact<number>()(event.code));
  const onError = (event: WebSocket.ErrorEvent): void => use(event.message);
  ws.addEventListener('error', onError);
  ws.removeEventListener('error', onError);
  const handler = { handleEvent: (event: WebSocket.MessageEvent) => use(event.data) };
  ws.addEventListener('message', handler);
  ws.removeEventListener('message', handler);
}
