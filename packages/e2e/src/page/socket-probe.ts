/**
 * Browser-side helper: wraps a WebSocket, records its events in order and lets scenario code await the
 * next message or the close, each with a deadline so a broken server fails the test instead of hanging.
 */

/** The close event's fields, as plain data. */
export interface CloseInfo {
  code: number;
  reason: string;
  wasClean: boolean;
}

/** One received message: text stays a string, binary arrives as ArrayBuffer or Blob per binaryType. */
export type Received = string | ArrayBuffer | Blob;

export class SocketProbe {
  readonly ws: WebSocket;
  /** Event names in arrival order: "open", "message", "error", "close:CODE". */
  readonly events: string[] = [];
  readonly opened: Promise<void>;
  readonly closed: Promise<CloseInfo>;
  private readonly queue: Received[] = [];
  private waiter: ((message: Received) => void) | undefined;

  constructor(url: string, protocols?: string | string[], binaryType: BinaryType = 'arraybuffer') {
    this.ws = protocols === undefined ? new WebSocket(url) : new WebSocket(url, protocols);
    this.ws.binaryType = binaryType;
    // Recorders first: promise continuations run between listeners, so a scenario awaiting `closed` must
    // find the close already recorded.
    this.ws.addEventListener('open', () => this.events.push('open'));
    this.ws.addEventListener('error', () => this.events.push('error'));
    this.ws.addEventListener('close', (event) => this.events.push(`close:${event.code}`));
    this.opened = new Promise((resolve, reject) => {
      this.ws.addEventListener('open', () => resolve());
      this.ws.addEventListener('close', (event) => reject(new Error(`closed before open: ${event.code} ${event.reason}`)));
    });
    // A rejected `opened` that nobody awaits must not surface as an unhandled rejection.
    this.opened.catch(() => undefined);
    this.closed = new Promise((resolve) => {
      this.ws.addEventListener('close', (event) => resolve({ code: event.code, reason: event.reason, wasClean: event.wasClean }));
    });
    this.ws.addEventListener('message', (event: MessageEvent<Received>) => {
      this.events.push('message');
      const waiter = this.waiter;
      if (waiter !== undefined) {
        this.waiter = undefined;
        waiter(event.data);
      } else {
        this.queue.push(event.data);
      }
    });
  }

  /** The next message, or a rejection after `timeoutMs` or when the socket closes first. */
  next(timeoutMs: number): Promise<Received> {
    const queued = this.queue.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        reject(new Error(`no message within ${timeoutMs} ms (events: ${this.events.slice(-5).join(',')})`));
      }, timeoutMs);
      this.closed.then(
        (info) => {
          clearTimeout(timer);
          reject(new Error(`closed (${info.code} ${info.reason}) while waiting for a message`));
        },
        () => undefined,
      );
      this.waiter = (message) => {
        clearTimeout(timer);
        resolve(message);
      };
    });
  }

  /** The close event, or a rejection after `timeoutMs`. */
  waitClosed(timeoutMs: number): Promise<CloseInfo> {
    return deadline(this.closed, timeoutMs, 'close event');
  }
}

/** Rejects when `promise` does not settle in time. */
export function deadline<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: nothing within ${timeoutMs} ms`)), timeoutMs);
    }),
  ]).finally(() => clearTimeout(timer));
}
