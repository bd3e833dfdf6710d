/**
 * A server's topics: which of its connections subscribe to what, and the fan-out of one published
 * message to all of them, framed once (and compressed once per compression setting) and written to each
 * subscriber as the same bytes. The cross-process side is a {@link TopicBroker}'s; this module tells it
 * when a topic gains its first local subscriber or loses its last, and hands it local publishes.
 * @module
 */
import type { Buffer } from 'node:buffer';
import { prepareMessage, type PreparedMessage } from '@wsts/protocol';
import type { BrokerMessage, TopicBroker } from './broker.js';
import { toBuffer } from './message-data.js';
import type { SharedCompression } from './permessage-deflate/index.js';

/** What `publish` did, returned synchronously. */
export interface PublishReport {
  /** Subscribers the message was queued for (written, or waiting for its compression in their order). */
  delivered: number;
  /**
   * Subscribers that did not get it because more than `publishHighWaterMark` was queued for them
   * (each also counts it in its `skippedMessages`).
   */
  skipped: number;
  /** Of the skipped, those closed with 1013 (`publishOverflow: 'close'`); 0 with `'skip'`. */
  closed: number;
}

/**
 * How a subscriber can take a published message: the plain frame (no extension, or permessage-deflate
 * with context takeover), once-compressed frames for its compression setting, or neither (an extension
 * of another kind, which must see the message: it goes through the subscriber's own `send`).
 */
export type PublishPath = typeof PLAIN_FRAME | SharedCompression | undefined;

/** The path of a subscriber that takes the uncompressed frame. */
export const PLAIN_FRAME = 'plain-frame';

/** What one subscriber did with a message (see {@link Subscriber.takePublished}). */
export const Taken = { Delivered: 0, Skipped: 1, Closed: 2, NotOpen: 3 } as const;
export type Taken = (typeof Taken)[keyof typeof Taken];

/** A connection as its server's topics see it (WebSocketConnection's internal hooks). */
export interface Subscriber {
  /** @internal The topics it subscribes to; owned by the connection, kept in step by {@link Topics}. */
  readonly subscriptions: Set<string> | undefined;
  /** @internal */
  readonly publishPath: PublishPath;
  /**
   * @internal Queues `message` unless more than `limit` bytes are queued (then skips, or closes when
   * `close`); `message` undefined: through `send`.
   */
  takePublished(
    message: PreparedMessage | Promise<PreparedMessage> | undefined,
    payload: Buffer,
    binary: boolean,
    limit: number,
    close: boolean,
  ): Taken;
}

/** The topic options of a server, resolved. */
export interface TopicSettings {
  publishHighWaterMark: number;
  closeSlowSubscribers: boolean;
  maxTopicLength: number;
  fragmentSize: number | undefined;
  broker: TopicBroker | undefined;
  /** A broker call threw: reported on the server's 'error' (when listened to). */
  reportError(error: Error): void;
}

const EMPTY_REPORT: PublishReport = Object.freeze({ delivered: 0, skipped: 0, closed: 0 });

/** Checks a topic name: a string of at most `maxLength` UTF-16 code units. */
export function checkTopic(topic: unknown, maxLength: number): asserts topic is string {
  if (typeof topic !== 'string') {
    throw new TypeError(`a topic is a string, got ${topic === null ? 'null' : typeof topic}`);
  }
  if (topic.length > maxLength) {
    throw new RangeError(`a topic is at most ${maxLength} characters (maxTopicLength), got ${topic.length}`);
  }
}

/** The topics of one server. */
export class Topics {
  private readonly subscribers = new Map<string, Set<Subscriber>>();
  /** The server is shutting down: local publishes no longer go to the broker. */
  private closing = false;
  /** broker.close() was called: the broker hears nothing more, and what it delivers is ignored. */
  private brokerClosed = false;

  constructor(private readonly settings: TopicSettings) {
    const broker = settings.broker;
    if (broker !== undefined) broker.start(this.deliver);
  }

  /** The longest topic accepted. */
  get maxTopicLength(): number {
    return this.settings.maxTopicLength;
  }

  /** Adds `topic` to a subscriber that did not have it (the subscriber checked). */
  add(subscriber: Subscriber, topic: string): void {
    let set = this.subscribers.get(topic);
    if (set === undefined) {
      set = new Set();
      this.subscribers.set(topic, set);
      // The first local subscriber: the broker starts receiving the topic for this process.
      this.toBroker((broker) => broker.subscribe(topic));
    }
    set.add(subscriber);
  }

  /** Removes `topic` from a subscriber that had it. */
  remove(subscriber: Subscriber, topic: string): void {
    const set = this.subscribers.get(topic);
    if (set === undefined || !set.delete(subscriber)) return;
    if (set.size === 0) {
      this.subscribers.delete(topic);
      this.toBroker((broker) => broker.unsubscribe(topic));
    }
  }

  /** The subscriber is gone: every subscription of it ends. */
  leave(subscriber: Subscriber): void {
    const own = subscriber.subscriptions;
    if (own === undefined) return;
    for (const topic of own) this.remove(subscriber, topic);
    own.clear();
  }

  /** Local subscribers of `topic`. */
  count(topic: string): number {
    return this.subscribers.get(topic)?.size ?? 0;
  }

  /** Topics with at least one local subscriber. */
  names(): string[] {
    return [...this.subscribers.keys()];
  }

  /**
   * Publishes to the local subscribers of `topic` but `exclude`, then hands the message to the broker
   * (unless it came from the broker).
   */
  publish(topic: string, payload: Buffer, binary: boolean, exclude: Subscriber | undefined): PublishReport {
    const report = this.fanOut(topic, payload, binary, exclude);
    if (!this.closing) this.toBroker((broker) => broker.publish({ topic, data: payload, binary }));
    return report;
  }

  /** The server is shutting down: local publishes stay local from now on. */
  shutDown(): void {
    this.closing = true;
  }

  /** Closes the broker, once (the server's `close()`, after its connections are gone). */
  async close(): Promise<void> {
    this.closing = true;
    const broker = this.settings.broker;
    if (broker === undefined || this.brokerClosed) return;
    this.brokerClosed = true;
    try {
      await broker.close();
    } catch (error) {
      this.settings.reportError(asError(error));
    }
  }

  /** The broker's `deliver`: a message from another process, fanned out like a local publish. */
  private readonly deliver = (message: BrokerMessage): void => {
    if (this.brokerClosed) return;
    const { topic, data, binary } = message;
    if (typeof topic !== 'string' || !(data instanceof Uint8Array)) return;
    this.fanOut(topic, toBuffer(data), binary === true, undefined);
  };

  /**
   * One message to every subscriber: the uncompressed frame made once for all who take it, and the
   * compressed frames once per compression setting. A compression that runs on the thread pool is
   * handed to its subscribers as a promise, so each subscriber's later messages wait behind it in its
   * own queue (the codec's), and nobody else waits.
   */
  private fanOut(topic: string, payload: Buffer, binary: boolean, exclude: Subscriber | undefined): PublishReport {
    const set = this.subscribers.get(topic);
    if (set === undefined || (set.size === 1 && set.has(exclude as Subscriber))) return { ...EMPTY_REPORT };
    const { publishHighWaterMark: limit, closeSlowSubscribers: close, fragmentSize } = this.settings;
    const size = payload.length;
    let plain: PreparedMessage | undefined;
    const plainFrame = (): PreparedMessage => (plain ??= prepareMessage(payload, binary, { fragmentSize }));
    let compressed: Map<string, PreparedMessage | Promise<PreparedMessage>> | undefined;
    let delivered = 0;
    let skipped = 0;
    let closed = 0;
    // A subscriber closed by this publish (policy 'close') leaves the set only when its socket is gone,
    // so the set does not change under the loop.
    for (const subscriber of set) {
      if (subscriber === exclude) continue;
      const path = subscriber.publishPath;
      let message: PreparedMessage | Promise<PreparedMessage> | undefined;
      if (path === PLAIN_FRAME || (path !== undefined && size < path.threshold)) message = plainFrame();
      else if (path !== undefined) {
        compressed ??= new Map();
        message = compressed.get(path.key);
        if (message === undefined) {
          message = compressOnce(path, payload, binary, fragmentSize, plainFrame);
          compressed.set(path.key, message);
        }
      }
      switch (subscriber.takePublished(message, payload, binary, limit, close)) {
        case Taken.Delivered:
          delivered++;
          break;
        case Taken.Skipped:
          skipped++;
          break;
        case Taken.Closed:
          skipped++;
          closed++;
          break;
        default:
        // Closing already: it gets nothing more, and is not counted.
      }
    }
    return { delivered, skipped, closed };
  }

  /** Calls the broker, if any and not closed; a throw is reported, never passed to the caller. */
  private toBroker(call: (broker: TopicBroker) => void): void {
    const broker = this.settings.broker;
    if (broker === undefined || this.brokerClosed) return;
    try {
      call(broker);
    } catch (error) {
      this.settings.reportError(asError(error));
    }
  }
}

/**
 * The compressed frames for one compression setting. A zlib failure is not the subscribers' fault:
 * they get the uncompressed frame instead (RSV1 clear), which every permessage-deflate peer reads.
 */
function compressOnce(
  compression: SharedCompression,
  payload: Buffer,
  binary: boolean,
  fragmentSize: number | undefined,
  fallback: () => PreparedMessage,
): PreparedMessage | Promise<PreparedMessage> {
  const frame = (data: Uint8Array): PreparedMessage => prepareMessage(data, binary, { rsv1: true, fragmentSize });
  let result: Uint8Array | Promise<Uint8Array>;
  try {
    result = compression.compress(payload);
  } catch {
    return fallback();
  }
  if (result instanceof Uint8Array) return frame(result);
  return result.then(frame, fallback);
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
