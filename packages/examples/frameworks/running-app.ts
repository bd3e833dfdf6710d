import type { WebSocketConnection } from '@wsts/server';

/** What each framework example hands back once it listens: where, and how to stop it. */
export interface RunningApp {
  /** `http://host:port` of the server; the WebSocket endpoint is `ws://host:port/ws`. */
  url: string;
  /** Sends 1001 to every WebSocket client, waits for them, then closes the HTTP server. */
  close(): Promise<void>;
}

/** The echo loop the three examples share. Awaiting each send pauses reading while the peer lags. */
export async function echo(connection: WebSocketConnection): Promise<void> {
  for await (const message of connection) await connection.send(message.data, { binary: message.binary });
}
