/**
 * What a broker tells about itself: events for `onEvent` and the counters of `stats`.
 * @module
 */

/**
 * The broker's two connections to Redis: one publishes, one is in subscribed mode (Redis accepts
 * no other commands on a subscribed connection, so one connection cannot do both).
 */
export type RedisConnectionRole = 'publisher' | 'subscriber';

/** An event passed to the `onEvent` option. */
export type RedisBrokerEvent =
  /** The connection is up and ready (on the subscriber: every current topic is being resubscribed). */
  | { readonly type: 'connect'; readonly connection: RedisConnectionRole }
  /** A ready connection was lost; reconnection attempts follow by themselves. */
  | { readonly type: 'disconnect'; readonly connection: RedisConnectionRole; readonly error: Error }
  /** An error that did not end a ready connection: a refused reconnection attempt, a failed command. */
  | { readonly type: 'error'; readonly connection: RedisConnectionRole; readonly error: Error };

/**
 * Counters since the broker was created, as a snapshot (`broker.stats` returns a new object each
 * time). Redis pub/sub delivers at most once: the `dropped*` and `lostInFlight` counters are what this
 * process knows it did not send; what another process missed while its own connection was down is
 * counted nowhere, because Redis does not keep it.
 */
export interface RedisBrokerStats {
  /** Both connections are ready. */
  readonly connected: boolean;
  /** Topics subscribed now. */
  readonly topics: number;
  /** Publishes Redis acknowledged. */
  readonly published: number;
  /** Messages from other processes passed to the server (`deliver`). */
  readonly delivered: number;
  /** Publishes dropped because the publishing connection was down. */
  readonly droppedOffline: number;
  /** Publishes dropped because `maxPendingBytes` were already waiting for Redis to acknowledge them. */
  readonly droppedBackpressure: number;
  /** Publishes sent whose acknowledgement never came: the connection was lost (they may or may not have been delivered). */
  readonly lostInFlight: number;
  /** Bytes handed to Redis and not acknowledged yet. */
  readonly pendingBytes: number;
  /** Messages on our channels that were not a message of a format this broker reads; dropped. */
  readonly garbled: number;
  /** Messages `deliver` threw on (the exception is caught and logged). */
  readonly deliverErrors: number;
  /** Ready connections lost, both connections together. */
  readonly disconnects: number;
}
