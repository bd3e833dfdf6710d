import type { Buffer } from 'node:buffer';

/** One complete data message, as yielded by a connection's async iterator. */
export class WebSocketMessage {
  constructor(
    /** The payload. For text it holds UTF-8 the codec already validated. */
    readonly data: Buffer,
    /** True for a binary message, false for text. */
    readonly binary: boolean,
  ) {}

  /** The payload decoded as UTF-8 (decoded on each access: keep the result if you need it twice). */
  get text(): string {
    return this.data.toString('utf8');
  }
}
