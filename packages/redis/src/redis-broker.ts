/**
 * The Redis pub/sub {@link TopicBroker}: each topic is the Redis channel `prefix + topic`; a publish
 * is one PUBLISH on the broker's publishing connection, and a second connection holds the SUBSCRIBEs
 * for the topics this process has subscribers to. The client library is node-redis (`@redis/client`),
 * chosen by measurement (see the README).
 *
 * Nothing here throws into the server or waits on Redis inside a server call: every call returns at
 * once, Redis work completes (or fails, and is counted) in the background.
 * @module
 */
import { randomBytes } from 'node:crypto';
import { createClient } from '@redis/client';
import type { BrokerMessage, TopicBroker } from '@wsts/server';
import { debug, debugEnabled } from './debug.js';
import type { RedisBrokerEvent, RedisBrokerStats, RedisConnectionRole } from './events.js';
import { type RedisBrokerOptions, type ResolvedOptions, resolveOptions } from './options.js';
import { decodeMessage, encodeMessage, HEADER_LENGTH, ORIGIN_LENGTH } from './wire-format.js';

/** One node-redis connection as this module configures it (RESP3, no modules). */
function newClient(options: Parameters<typeof createClient>[0] & object) {
  return createClient(options);
}
type Client = ReturnType<typeof newClient>;

/** Mutable counters behind {@link RedisBrokerStats}. */
interface Counters {
  published: number;
  delivered: number;
  droppedOffline: number;
  droppedBackpressure: number;
  lostInFlight: number;
  garbled: number;
  deliverErrors: number;
  disconnects: number;
}

function asError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}

/**
 * A {@link TopicBroker} over Redis pub/sub. Create it with {@link redisBroker} and pass it to
 * `new WebSocketServer({ broker })`; the server calls `start`, `subscribe`, `unsubscribe`, `publish`
 * and `close`. Read {@link RedisBroker.stats} for what was delivered and dropped.
 */
export class RedisBroker implements TopicBroker {
  readonly #options: ResolvedOptions;
  /** This broker's id in every message it publishes, so that it can drop its own when they come back. */
  readonly #origin: Buffer = randomBytes(ORIGIN_LENGTH);
  readonly #counters: Counters = {
    published: 0,
    delivered: 0,
    droppedOffline: 0,
    droppedBackpressure: 0,
    lostInFlight: 0,
    garbled: 0,
    deliverErrors: 0,
    disconnects: 0,
  };
  /** The topics the server wants, by channel name. */
  readonly #topics = new Map<string, string>();
  /** The channels handed to the subscriber connection (which resubscribes them after a reconnect by itself). */
  readonly #applied = new Set<string>();
  #flushScheduled = false;
  #deliver: ((message: BrokerMessage) => void) | undefined;
  #publisher: Client | undefined;
  #subscriber: Client | undefined;
  readonly #ready: Record<RedisConnectionRole, boolean> = { publisher: false, subscriber: false };
  #pendingBytes = 0;
  /** Publishes dropped since the publisher was last ready, for one log line per outage. */
  #droppedThisOutage = 0;
  #closing: Promise<void> | undefined;

  /** Use {@link redisBroker}; the constructor takes the same options. */
  constructor(options: RedisBrokerOptions) {
    this.#options = resolveOptions(options);
  }

  /** A snapshot of the broker's counters. */
  get stats(): RedisBrokerStats {
    return {
      connected: this.#ready.publisher && this.#ready.subscriber,
      topics: this.#topics.size,
      pendingBytes: this.#pendingBytes,
      ...this.#counters,
    };
  }

  /** Connects to Redis in the background; delivery to `deliver` begins once the subscriber connection is up. */
  start(deliver: (message: BrokerMessage) => void): void {
    if (this.#deliver !== undefined) throw new Error('RedisBroker: start() was already called; a broker serves one server');
    if (this.#closing !== undefined) throw new Error('RedisBroker: start() after close()');
    this.#deliver = deliver;
    this.#publisher = this.#connect('publisher');
    this.#subscriber = this.#connect('subscriber');
    if (this.#topics.size > 0) this.#scheduleFlush();
  }

  subscribe(topic: string): void {
    if (this.#closing !== undefined) return;
    const channel = this.#options.prefix + topic;
    if (this.#topics.has(channel)) return;
    this.#topics.set(channel, topic);
    this.#scheduleFlush();
  }

  unsubscribe(topic: string): void {
    if (this.#closing !== undefined) return;
    if (this.#topics.delete(this.#options.prefix + topic)) this.#scheduleFlush();
  }

  publish(message: BrokerMessage): void {
    const publisher = this.#publisher;
    if (publisher === undefined || !this.#ready.publisher || this.#closing !== undefined) {
      this.#counters.droppedOffline++;
      if (this.#droppedThisOutage++ === 0 && debugEnabled && this.#closing === undefined) {
        debug('publisher not connected: dropping publishes until it is (counted in stats.droppedOffline)');
      }
      return;
    }
    const channel = this.#options.prefix + message.topic;
    const cost = HEADER_LENGTH + message.data.length + channel.length;
    if (this.#pendingBytes + cost > this.#options.maxPendingBytes) {
      if (this.#counters.droppedBackpressure++ === 0 && debugEnabled) {
        debug(
          `over maxPendingBytes (${this.#options.maxPendingBytes}) unacknowledged: dropping publishes (counted in stats.droppedBackpressure)`,
        );
      }
      return;
    }
    this.#pendingBytes += cost;
    publisher.publish(channel, encodeMessage(this.#origin, message.data, message.binary)).then(
      () => {
        this.#pendingBytes -= cost;
        this.#counters.published++;
      },
      () => {
        // The connection went down with this publish unacknowledged (the disconnect itself is
        // reported once, by the connection's error listener), or the client is closing.
        this.#pendingBytes -= cost;
        this.#counters.lostInFlight++;
      },
    );
  }

  /** Waits up to `closeTimeout` for unacknowledged publishes, then closes both connections. */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#topics.clear();
    const publisher = this.#publisher;
    const subscriber = this.#subscriber;
    // The subscriptions end with their connection; nothing to wait for there.
    if (subscriber !== undefined) subscriber.destroy();
    if (publisher === undefined) return;
    if (this.#ready.publisher && this.#pendingBytes > 0) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, this.#options.closeTimeout);
      });
      // close() sends what is queued and waits for the replies; destroy() afterwards cuts it short.
      await Promise.race([publisher.close().catch(() => undefined), timeout]);
      clearTimeout(timer);
    }
    publisher.destroy();
    this.#ready.publisher = false;
    this.#ready.subscriber = false;
    if (debugEnabled) debug('closed');
  }

  #connect(role: RedisConnectionRole): Client {
    const { url, reconnectDelay, maxReconnectDelay, connectTimeout } = this.#options;
    const client = newClient({
      url,
      // Publishes while disconnected are dropped and counted here instead of queued without bound;
      // the subscriber keeps its (topic-bounded) queue of SUBSCRIBE/UNSUBSCRIBE commands.
      disableOfflineQueue: role === 'publisher',
      socket: {
        connectTimeout,
        reconnectStrategy: (retries: number) => {
          const delay = Math.min(reconnectDelay * 2 ** retries, maxReconnectDelay);
          // Jitter, so that the processes of a deployment do not all reconnect in the same instant.
          return Math.round(delay * (0.8 + Math.random() * 0.4));
        },
      },
    });
    client.on('ready', () => {
      this.#ready[role] = true;
      if (debugEnabled) debug(`${role} connected to ${redact(url)}`);
      if (role === 'publisher' && this.#droppedThisOutage > 0) {
        if (debugEnabled) debug(`publisher reconnected; ${this.#droppedThisOutage} publishes were dropped while it was down`);
        this.#droppedThisOutage = 0;
      }
      this.#emit({ type: 'connect', connection: role });
    });
    client.on('error', (value: unknown) => {
      const error = asError(value);
      if (this.#closing !== undefined) return;
      if (this.#ready[role]) {
        this.#ready[role] = false;
        this.#counters.disconnects++;
        if (debugEnabled) debug(`${role} lost its connection (${error.message}); reconnecting`);
        this.#emit({ type: 'disconnect', connection: role, error });
      } else {
        if (debugEnabled) debug(`${role}: ${error.message}`);
        this.#emit({ type: 'error', connection: role, error });
      }
    });
    // connect() retries by itself (the reconnect strategy never gives up) and settles when ready or
    // closed; its failures are reported through the 'error' listener above.
    client.connect().catch(() => undefined);
    return client;
  }

  /** Applies the topic changes of this tick in one SUBSCRIBE and one UNSUBSCRIBE. */
  #scheduleFlush(): void {
    if (this.#flushScheduled || this.#subscriber === undefined) return;
    this.#flushScheduled = true;
    queueMicrotask(() => {
      this.#flushScheduled = false;
      const subscriber = this.#subscriber;
      if (subscriber === undefined || this.#closing !== undefined) return;
      const add = [...this.#topics.keys()].filter((channel) => !this.#applied.has(channel));
      const remove = [...this.#applied].filter((channel) => !this.#topics.has(channel));
      for (const channel of add) this.#applied.add(channel);
      for (const channel of remove) this.#applied.delete(channel);
      // node-redis keeps the listener of each channel until it is unsubscribed, and resubscribes
      // the channels with listeners after each reconnect: the Redis side follows #applied.
      if (add.length > 0) subscriber.subscribe(add, this.#onMessage, true).catch(this.#onSubscriptionError);
      if (remove.length > 0) subscriber.unsubscribe(remove, this.#onMessage, true).catch(this.#onSubscriptionError);
    });
  }

  readonly #onSubscriptionError = (value: unknown): void => {
    // A SUBSCRIBE or UNSUBSCRIBE cut by a lost connection: the reconnect resubscribes what is current.
    if (this.#closing !== undefined) return;
    const error = asError(value);
    if (debugEnabled) debug(`subscriber: ${error.message}`);
    this.#emit({ type: 'error', connection: 'subscriber', error });
  };

  readonly #onMessage = (payload: Buffer, channelName: Buffer): void => {
    const channel = channelName.toString('utf8');
    const topic = this.#topics.get(channel);
    // Between UNSUBSCRIBE and its reply Redis may still send the channel's messages: not ours any more.
    if (topic === undefined || this.#deliver === undefined) return;
    const decoded = decodeMessage(payload);
    if ('error' in decoded) {
      this.#counters.garbled++;
      if (debugEnabled) debug(`dropped a message on ${channel}: ${decoded.error}`);
      return;
    }
    if (this.#origin.equals(decoded.origin)) return;
    try {
      this.#deliver({ topic, data: decoded.data, binary: decoded.binary });
      this.#counters.delivered++;
    } catch (error) {
      this.#counters.deliverErrors++;
      if (debugEnabled) debug(`deliver threw on a message of ${JSON.stringify(topic)}: ${asError(error).message}`);
    }
  };

  #emit(event: RedisBrokerEvent): void {
    const onEvent = this.#options.onEvent;
    if (onEvent === undefined) return;
    try {
      onEvent(event);
    } catch (error) {
      if (debugEnabled) debug(`onEvent threw on ${event.type}: ${asError(error).message}`);
    }
  }
}

/** The URL without its password, for log lines. */
function redact(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
}

/**
 * A Redis pub/sub broker for a server's topics:
 * `new WebSocketServer({ port, broker: redisBroker({ url: 'redis://127.0.0.1:6379' }) })`.
 * Throws a TypeError or RangeError for an unknown option or a value out of range; never later.
 */
export function redisBroker(options: RedisBrokerOptions): RedisBroker {
  return new RedisBroker(options);
}
