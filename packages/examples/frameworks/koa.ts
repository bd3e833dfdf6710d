/**
 * Koa 3 and @wsts/server on one port: Koa's `app.callback()` serves HTTP, and an `'upgrade'` listener of
 * our own decides which upgrade requests become WebSockets (`noServer` + `handleUpgrade`), the way Koa
 * leaves routing to the application.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { rejectHandshake, WebSocketServer } from '@wsts/server';
import Koa from 'koa';
import { echo, type RunningApp } from './running-app.js';

export async function startKoaApp(port = 8080, host = '127.0.0.1'): Promise<RunningApp> {
  const app = new Koa();
  const wss = new WebSocketServer({ noServer: true });

  app.use(async (ctx, next) => {
    if (ctx.method === 'GET' && ctx.path === '/api/status') {
      ctx.body = { framework: 'koa', clients: wss.clients.size };
      return;
    }
    await next();
  });

  const server = http.createServer(app.callback());
  server.on('upgrade', (request, socket, head) => {
    const { pathname } = new URL(request.url ?? '/', 'http://localhost');
    if (pathname !== '/ws') {
      rejectHandshake(socket, 404, 'Not Found');
      return;
    }
    wss.handleUpgrade(request, socket, head, (connection) => void echo(connection));
  });

  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  const address = server.address() as AddressInfo;
  return {
    url: `http://${host}:${address.port}`,
    async close() {
      // WebSocket clients first: an upgraded socket keeps server.close() waiting until it is gone.
      await wss.close();
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}
