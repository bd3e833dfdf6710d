/**
 * Fastify 5 and @wsts/server on one port: once Fastify is ready, the WebSocketServer attaches to its
 * underlying `fastify.server` and takes the upgrade requests for `/ws`; a `preClose` hook closes the
 * WebSocket clients so that `fastify.close()` shuts everything down.
 */
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from '@wsts/server';
import Fastify from 'fastify';
import { echo, type RunningApp } from './running-app.js';

export async function startFastifyApp(port = 8080, host = '127.0.0.1'): Promise<RunningApp> {
  const fastify = Fastify();
  let wss: WebSocketServer | undefined;

  fastify.get('/api/status', async () => ({ framework: 'fastify', clients: wss?.clients.size ?? 0 }));
  // Hooks must be added before ready(); the server they close is created after it.
  fastify.addHook('preClose', async () => {
    await wss?.close();
  });

  await fastify.ready();
  wss = new WebSocketServer({ server: fastify.server, path: '/ws' });
  wss.on('connection', (connection) => void echo(connection));

  await fastify.listen({ port, host });
  const address = fastify.server.address() as AddressInfo;
  return { url: `http://${host}:${address.port}`, close: () => fastify.close() };
}
