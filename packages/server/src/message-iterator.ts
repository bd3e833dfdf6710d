import type { WebSocketMessage } from './websocket-message.js';

/**
 * The queue behind `for await (const message of connection)`. The connection pushes, the consumer
 * pulls; `full` tells the connection to pause the socket so a slow consumer cannot make us buffer
 * without bound.
 */
export class MessageQueue implements AsyncIterableIterator<WebSocketMessage> {
  private readonly items: WebSocketMessage[] = [];
  private waiting: ((result: IteratorResult<WebSocketMessage>) => void) | undefined;
  private ended = false;

  constructor(
    private readonly highWaterMark: number,
    /** Called when the consumer stops early (break/return), so the connection can forget us. */
    private readonly onReturn: (queue: MessageQueue) => void,
    /** Called after the consumer took an item, so the connection can resume reading. */
    private readonly onDrain: () => void,
  ) {}

  /** True when the consumer is behind by `highWaterMark` messages. */
  get full(): boolean {
    return this.items.length >= this.highWaterMark;
  }

  push(message: WebSocketMessage): void {
    if (this.ended) return;
    const waiting = this.waiting;
    if (waiting !== undefined) {
      this.waiting = undefined;
      waiting({ value: message, done: false });
    } else {
      this.items.push(message);
    }
  }

  /** No more messages: the connection closed. Queued messages are still delivered first. */
  end(): void {
    this.ended = true;
    const waiting = this.waiting;
    if (waiting !== undefined) {
      this.waiting = undefined;
      waiting({ value: undefined, done: true });
    }
  }

  next(): Promise<IteratorResult<WebSocketMessage>> {
    const item = this.items.shift();
    if (item !== undefined) {
      this.onDrain();
      return Promise.resolve({ value: item, done: false });
    }
    if (this.ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => {
      this.waiting = resolve;
    });
  }

  return(): Promise<IteratorResult<WebSocketMessage>> {
    this.items.length = 0;
    this.end();
    this.onReturn(this);
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<WebSocketMessage> {
    return this;
  }
}

/**
 * A connection's running async iterators: made with the first, dropped with the last, so a connection
 * nobody iterates holds none.
 */
export class MessageIterators {
  private queues: readonly MessageQueue[] = [];

  /** True while a consumer is `highWaterMark` messages behind: the connection stops reading. */
  get lagging(): boolean {
    for (const queue of this.queues) if (queue.full) return true;
    return false;
  }

  add(queue: MessageQueue): void {
    this.queues = [...this.queues, queue];
  }

  /** Forgets a queue whose consumer stopped; returns whether any is left. */
  remove(queue: MessageQueue): boolean {
    // A new array, not a splice: a push or end loop may be running over the old one.
    this.queues = this.queues.filter((other) => other !== queue);
    return this.queues.length > 0;
  }

  push(message: WebSocketMessage): void {
    for (const queue of this.queues) queue.push(message);
  }

  /** The connection closed: every iterator ends once it has delivered what it holds. */
  endAll(): void {
    for (const queue of this.queues) queue.end();
  }
}
