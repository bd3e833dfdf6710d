/**
 * @wsts/redis: a Redis pub/sub broker for the topics of an `@wsts/server` WebSocketServer, so that
 * `server.publish(topic, data)` in one process reaches the topic's subscribers in every process.
 */
export { RedisBroker, redisBroker } from './redis-broker.js';
export { REDIS_BROKER_DEFAULTS, type RedisBrokerOptions } from './options.js';
export type { RedisBrokerEvent, RedisBrokerStats, RedisConnectionRole } from './events.js';
export { decodeMessage, encodeMessage, FORMAT_VERSION, type DecodedMessage, type DecodeFailure } from './wire-format.js';
