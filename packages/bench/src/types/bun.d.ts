// The slice of Bun's global API the Bun servers under test use (src/servers/bun-*.ts). Written here
// rather than depending on bun-types, whose globals would clash with @types/node across the package:
// these files are compiled by tsc like every other server and run by the bun binary from dist/.

declare namespace Bun {
  /** A message as Bun's WebSocket server hands it over: a string for text, a Buffer for binary. */
  type WebSocketMessage = string | Uint8Array;

  interface ServerWebSocket<T> {
    readonly data: T;
    /** Returns bytes sent, -1 when queued behind backpressure, 0 when dropped. */
    send(data: WebSocketMessage, compress?: boolean): number;
    subscribe(topic: string): void;
  }

  interface WebSocketHandler<T> {
    message(ws: ServerWebSocket<T>, message: WebSocketMessage): void;
    open?(ws: ServerWebSocket<T>): void;
    maxPayloadLength?: number;
    idleTimeout?: number;
    sendPings?: boolean;
    perMessageDeflate?: boolean;
    backpressureLimit?: number;
  }

  interface Server {
    readonly port: number;
    upgrade<T>(request: Request, options?: { data?: T }): boolean;
    publish(topic: string, data: WebSocketMessage, compress?: boolean): number;
  }

  interface ServeOptions<T> {
    hostname?: string;
    port?: number;
    fetch(request: Request, server: Server): Response | undefined;
    websocket: WebSocketHandler<T>;
  }

  function serve<T>(options: ServeOptions<T>): Server;
  /** Runs the garbage collector; `true` waits for a full, synchronous collection. */
  function gc(force: boolean): void;
}
