/**
 * Express 5 and @wsts/server on one port: Express handles HTTP through `http.createServer(app)`, and the
 * WebSocketServer attaches to that same server with `server`, taking the upgrade requests for `/ws`
 * (other upgrade paths get a 404; plain requests never reach it).
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from '@wsts/server';
import express from 'express';
import { echo, type RunningApp } from './running-app.js';

export async function startExpressApp(port = 8080, host = '127.0.0.1'): Promise<RunningApp> {
  const app = express();
  const server = http.createServer(app);
  const wss = new WebSocketServer({ server, path: '/ws' });

  app.get('/api/status', (_request, response) => {
    response.json({ framework: 'express', clients: wss.clients.size });
  });
  wss.on('connection', (connection) => void echo(connection));

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
