/**
 * The contract between a {@link WebSocketServer}'s topics and whatever carries them to other processes
 * and machines (`@wsts/redis`, or one of your own). The server calls the broker; the broker calls back
 * only through the `deliver` function it is started with.
 *
 * Guarantees a broker gives: a message published in this process reaches every other process whose
 * broker subscribed to its topic, in publish order per publishing process, and never comes back to this
 * process (the server has already delivered it to its own subscribers). Delivery across processes is at
 * most once: a broker that loses its transport drops what is published meanwhile, counts it, and
 * resumes by itself.
 * @module
 */

/** One published message, as it crosses processes. */
export interface BrokerMessage {
  readonly topic: string;
  /** The payload. For text messages, UTF-8 bytes that the server has already validated. */
  readonly data: Uint8Array;
  readonly binary: boolean;
}

/** Carries topics between processes. The server owns it once passed as the `broker` option. */
export interface TopicBroker {
  /**
   * Called once by the server that owns the broker. `deliver` fans a message from another process out
   * to this process's subscribers; the broker must call it only for topics it is subscribed to.
   */
  start(deliver: (message: BrokerMessage) => void): void;
  /** This process has its first local subscriber to `topic`: receive the topic from now on. */
  subscribe(topic: string): void;
  /** The last local subscriber to `topic` left: stop receiving it. */
  unsubscribe(topic: string): void;
  /** A message published in this process, for the other processes (not to be delivered back here). */
  publish(message: BrokerMessage): void;
  /** Called by the server's `close()`: release connections and timers; resolves when done. */
  close(): Promise<void>;
}
