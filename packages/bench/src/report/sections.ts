/** Section names the report code matches on (the bar's goals, the tables' notes), in one place. */

/** One server process per contender: ours, ws, Bun. */
export const FANOUT_SECTION = 'fanout (one publisher)';

/** Ours only: one process without Redis against several processes sharing the subscribers through Redis. */
export const FANOUT_REDIS_SECTION = 'fanout across processes (Redis)';

/** Contender id of ours on `processes` server processes publishing through Redis. */
export function redisContender(processes: number): string {
  return `redis-${processes}`;
}

/** Each client alone in its process against the raw peers: ours (`connect()` and WHATWG), ws, undici. */
export const CLIENT_SECTION = 'client (one connection, client CPU)';
