import { MagicLinkError } from '../errors';
import { adapt } from './redis-adapter';
import type { RedisStoreClient } from './redis-adapter';
import { repeatedKey } from './guard';
import {
  INCREMENT_MANY_SCRIPT,
  INCREMENT_SCRIPT,
  TAKE_SCRIPT,
  asString,
  checkLimit,
  checkTtl,
  counterResults,
  isUnknownCommand,
  unavailable,
  unexpected,
  withoutArguments,
} from './redis-replies';
import type { CounterEntry, CounterResult, Store, StoreEntry } from './store';

export type {
  IoRedisLikeClient,
  NodeRedisLikeClient,
  NodeRedisLikeCluster,
  RedisStoreClient,
} from './redis-adapter';

/** Prepended to every key, so the package's keys can share a Redis database with the app's. */
export const DEFAULT_PREFIX = 'mlink:';

/**
 * How long one store call may wait for Redis before it rejects. Redis answers these commands in
 * well under a millisecond, so a second means the server is hung, partitioned or overloaded; the
 * flow then fails closed with a 503 instead of holding the request open.
 */
export const DEFAULT_COMMAND_TIMEOUT_MS = 1000;

/** Options for {@link redisStore}. */
export interface RedisStoreOptions {
  /**
   * Prepended to every key. Give each app its own prefix when apps share a database.
   *
   * @default 'mlink:' ({@link DEFAULT_PREFIX})
   */
  prefix?: string;
  /**
   * Milliseconds one call may wait for Redis before it rejects with `ERR_STORE_UNAVAILABLE`.
   *
   * @default 1000 ({@link DEFAULT_COMMAND_TIMEOUT_MS})
   */
  commandTimeoutMs?: number;
  /**
   * After every write (`set`, a `take` that found a value, `increment`, `delete`), wait until
   * this many replicas of the Redis server (in a cluster: of the key's master) have acknowledged
   * it (`WAIT`), and reject with `ERR_STORE_UNAVAILABLE` when fewer do within `waitTimeoutMs`.
   * Then a failover can never bring back a token that was already handed out: a `take` whose
   * deletion no replica has acknowledged hands nothing out (the sign-in answers `503`, and the
   * link still works once, on whichever node ends up serving it). The cost: one more round trip
   * per write, and every write fails closed while a master has fewer replicas in sync than this.
   * Off (0) by default.
   *
   * @default 0
   */
  waitForReplicas?: number;
  /**
   * With `waitForReplicas`, how long to wait for the replicas' acknowledgement.
   *
   * @default 100 ({@link DEFAULT_WAIT_TIMEOUT_MS})
   */
  waitTimeoutMs?: number;
}

/** How long a write waits for its replicas with `waitForReplicas`. */
export const DEFAULT_WAIT_TIMEOUT_MS = 100;

/**
 * A {@link Store} on Redis, shared by every instance of the app. Works with an `ioredis` client
 * or a node-redis v4+ client (`createClient()` or `createCluster()` from `redis`).
 *
 * - `take` is GETDEL (falling back to a Lua script before Redis 6.2), so a token is spent once
 *   across all instances.
 * - `increment` is INCR, PEXPIRE when the key has no expiry, and PTTL, in one Lua script: one
 *   round trip, atomic.
 * - Fails fast: while the client is not connected, every call rejects at once with a
 *   `MagicLinkError` `ERR_STORE_UNAVAILABLE`, and a call that Redis does not answer within
 *   `commandTimeoutMs` rejects too. Nothing waits in the client's offline queue.
 *
 * - Every key is written with a TTL (`SET … PX`; the increment script gives a counter without
 *   one its TTL), so nothing is kept forever.
 * - Every command touches one key, so it works unchanged on a Redis Cluster (ioredis `Cluster`,
 *   node-redis `createCluster()`): no CROSSSLOT, no hash tags needed.
 * - Replication is asynchronous: if a master dies before its replica has a `take`'s deletion and
 *   the replica is promoted, the token can be taken again. `waitForReplicas` closes that window
 *   (every write waits for replicas with `WAIT`, and fails closed when they do not acknowledge).
 *
 * Run Redis with `maxmemory-policy noeviction` (Redis's default): when it is full, writes then
 * fail closed with `ERR_STORE_UNAVAILABLE` (`503`) and nothing is lost. Under any `volatile-*` or
 * `allkeys-*` policy, a flood makes Redis silently evict pending sign-ins and rate-limit or
 * attempt counters, which kills links in flight and resets limits. About 205 bytes of Redis
 * memory per pending sign-in and 170 per counter; see the sizing tables in docs/stores.md.
 *
 * Connect the client before serving, and give it an `'error'` listener: an `'error'` event
 * with no listener crashes the process. Recommended client options, so that the client itself
 * gives up quickly too: ioredis `{ enableOfflineQueue: false, maxRetriesPerRequest: 1 }`;
 * node-redis `{ disableOfflineQueue: true }`.
 *
 * @example
 * // ioredis
 * import Redis from 'ioredis';
 * const client = new Redis(process.env.REDIS_URL!, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
 * client.on('error', (err) => console.error('redis', err));
 * await new Promise((resolve) => client.once('ready', resolve));
 * const store = redisStore(client);
 *
 * @example
 * // node-redis
 * import { createClient } from 'redis';
 * const client = createClient({ url: process.env.REDIS_URL, disableOfflineQueue: true });
 * client.on('error', (err) => console.error('redis', err));
 * await client.connect();
 * const store = redisStore(client, { prefix: 'myapp:mlink:' });
 */
export function redisStore(
  client: RedisStoreClient,
  options: RedisStoreOptions = {},
): Store & {
  setMany(entries: readonly StoreEntry[]): Promise<void>;
  incrementMany(counters: readonly CounterEntry[]): Promise<CounterResult[]>;
} {
  const adapter = adapt(client);
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(
      'redisStore: options must be an object. Call redisStore(client) or redisStore(client, { prefix }).',
    );
  }
  const prefix = options.prefix ?? DEFAULT_PREFIX;
  if (typeof prefix !== 'string') {
    throw new TypeError(
      `redisStore: prefix must be a string, but got ${typeof prefix}. Pass something like 'myapp:mlink:'.`,
    );
  }
  const timeoutMs = options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
  if (typeof timeoutMs !== 'number' || !Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new TypeError(
      `redisStore: commandTimeoutMs must be a positive number of milliseconds, but got ${String(timeoutMs)}. ` +
        `Omit it for the default of ${DEFAULT_COMMAND_TIMEOUT_MS}.`,
    );
  }

  const replicas = options.waitForReplicas ?? 0;
  if (typeof replicas !== 'number' || !Number.isSafeInteger(replicas) || replicas < 0) {
    throw new TypeError(
      `redisStore: waitForReplicas must be a whole number of replicas, but got ${String(replicas)}. ` +
        'Omit it (or pass 0) to not wait for replicas.',
    );
  }
  const waitMs = options.waitTimeoutMs ?? DEFAULT_WAIT_TIMEOUT_MS;
  if (typeof waitMs !== 'number' || !Number.isSafeInteger(waitMs) || waitMs <= 0) {
    throw new TypeError(
      `redisStore: waitTimeoutMs must be a positive whole number of milliseconds, but got ${String(waitMs)}. ` +
        `Omit it for the default of ${DEFAULT_WAIT_TIMEOUT_MS}.`,
    );
  }
  const wait = adapter.wait;
  if (replicas > 0 && wait === undefined) {
    throw new TypeError(
      'redisStore: waitForReplicas needs a client that can send WAIT to the node that serves a key: ' +
        'an ioredis Redis or Cluster, or a node-redis createClient() or createCluster().',
    );
  }

  let hasGetDel = true;

  function run(
    what: string,
    key: string,
    args: string[],
    send: () => Promise<unknown> = () => adapter.send(key, args),
    limitMs = timeoutMs,
  ): Promise<unknown> {
    const reason = adapter.notReady();
    if (reason !== undefined) {
      return Promise.reject(unavailable(`${what} refused: ${reason}`));
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(unavailable(`${what} timed out after ${limitMs} ms`));
      }, limitMs);
      timer.unref();
      let sent: Promise<unknown>;
      try {
        sent = send();
      } catch (error) {
        sent = Promise.reject(error);
      }
      // After a timeout the client may still settle the command later; that outcome is ignored.
      sent.then(
        (reply) => {
          clearTimeout(timer);
          resolve(reply);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(
            error instanceof MagicLinkError
              ? error
              : unavailable(`${what} failed`, withoutArguments(error)),
          );
        },
      );
    });
  }

  /** With waitForReplicas: resolves once enough replicas have the writes made so far. */
  async function replicated(what: string, key: string): Promise<void> {
    if (replicas === 0) return;
    const reply = await run(
      what,
      key,
      ['WAIT'],
      () => wait!(key, replicas, waitMs),
      timeoutMs + waitMs,
    );
    const acked = Number(reply);
    if (typeof reply !== 'number' || !Number.isSafeInteger(acked)) throw unexpected(what, reply);
    if (acked < replicas) {
      throw unavailable(
        `${what}: ${acked} of ${replicas} replica${replicas === 1 ? '' : 's'} acknowledged the write within ${waitMs} ms (waitForReplicas)`,
      );
    }
  }

  async function takeWithScript(key: string): Promise<string | null> {
    return asString('take', await run('take', key, ['EVAL', TAKE_SCRIPT, '1', key]));
  }

  async function takeOnce(k: string): Promise<string | null> {
    if (!hasGetDel) return takeWithScript(k);
    try {
      return asString('take', await run('take', k, ['GETDEL', k]));
    } catch (error) {
      if (!isUnknownCommand(error)) throw error;
      hasGetDel = false;
      return takeWithScript(k);
    }
  }

  async function incrementOne(key: string, ttlMs: number): Promise<CounterResult> {
    const k = prefix + key;
    const ttl = String(checkTtl(ttlMs));
    const reply = await run('increment', k, ['EVAL', INCREMENT_SCRIPT, '1', k, ttl]);
    if (!Array.isArray(reply) || reply.length !== 2) throw unexpected('increment', reply);
    const [result] = counterResults('increment', reply);
    await replicated('increment', k);
    return result!;
  }

  return {
    async get(key) {
      const k = prefix + key;
      return asString('get', await run('get', k, ['GET', k]));
    },

    async set(key, value, ttlMs) {
      const k = prefix + key;
      await run('set', k, ['SET', k, value, 'PX', String(checkTtl(ttlMs))]);
      await replicated('set', k);
    },

    async setMany(entries) {
      const commands = entries.map(({ key, value, ttlMs }) => {
        const k = prefix + key;
        return ['SET', k, value, 'PX', String(checkTtl(ttlMs))];
      });
      const first = commands[0]?.[1];
      if (first === undefined) return;
      const multi = adapter.multi;
      if (multi) {
        // One MULTI on one connection: one round trip, one key per command (no slot rules).
        await run('setMany', first, ['MULTI'], () => multi(commands));
      } else {
        // A cluster's keys may live on several nodes: every SET is sent at once, each to its
        // own node, so the round trips overlap. The same key twice still ends with the last.
        const last = new Map(commands.map((command) => [command[1]!, command]));
        await Promise.all(
          [...last.values()].map((command) => run('setMany', command[1]!, command)),
        );
      }
      await Promise.all(commands.map((command) => replicated('setMany', command[1]!)));
    },

    async take(key) {
      const k = prefix + key;
      const value = await takeOnce(k);
      // Handed out only once a replica has the deletion: a failover cannot bring it back.
      if (value !== null) await replicated('take', k);
      return value;
    },

    increment: incrementOne,

    async incrementMany(counters) {
      const keys = counters.map((c) => prefix + c.key);
      const args = counters.flatMap((c) => [String(checkTtl(c.ttlMs)), checkLimit(c.limit)]);
      if (new Set(keys).size !== keys.length) throw repeatedKey('redisStore');
      const first = keys[0];
      if (first === undefined) return [];
      if (!adapter.singleNode) {
        // A cluster: one script per key, each on its key's node, in order.
        const results: CounterResult[] = [];
        for (const [i, c] of counters.entries()) {
          const result = await incrementOne(c.key, c.ttlMs);
          results.push(result);
          if (result.count > Number(args[2 * i + 1])) break;
        }
        return results;
      }
      const reply = await run('incrementMany', first, [
        'EVAL',
        INCREMENT_MANY_SCRIPT,
        String(keys.length),
        ...keys,
        ...args,
      ]);
      if (!Array.isArray(reply) || reply.length < 2 || reply.length > 2 * keys.length) {
        throw unexpected('incrementMany', reply);
      }
      const results = counterResults('incrementMany', reply);
      // One node, one connection: one WAIT covers every write before it.
      await replicated('incrementMany', first);
      return results;
    },

    async delete(key) {
      const k = prefix + key;
      await run('delete', k, ['DEL', k]);
      await replicated('delete', k);
    },
  };
}
