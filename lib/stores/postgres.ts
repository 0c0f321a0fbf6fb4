import { hash } from 'node:crypto';
import { DEFAULT_POSTGRES_TABLE, postgresSchemaSql, quoteTable } from './postgres-schema';
import type { PostgresSchemaOptions } from './postgres-schema';
import { repeatedKey } from './guard';
import { pgRunner, pgUnavailable } from './postgres-run';
import type { PgPoolLike, PgResult } from './postgres-run';
export type { PgPoolClientLike, PgPoolLike } from './postgres-run';
import type { CounterEntry, CounterResult, Store, StoreEntry } from './store';

/**
 * How long one store call may take, waiting for a pooled connection included, before it rejects;
 * Postgres also cancels the statement itself after this long (`statement_timeout`). These
 * statements touch one or a few rows by primary key, so a second means a lock held elsewhere, a
 * hung server or an exhausted pool: the flow then fails closed with a 503.
 */
export const DEFAULT_STATEMENT_TIMEOUT_MS = 1000;

/** Expired rows deleted by one sweep at most; a sweep runs after every {@link SWEEP_EVERY} writes. */
const SWEEP_LIMIT = 500;
const SWEEP_EVERY = 50;
/** A schema change may wait for locks far longer than a store call. */
const SCHEMA_TIMEOUT_MS = 30_000;

/** Options for {@link postgresStore}. */
export interface PostgresStoreOptions {
  /**
   * The table: `name` (in the connection's search path) or `schema.name`.
   *
   * @default 'magic_link_store'
   */
  table?: string;
  /**
   * Milliseconds one call may take before it rejects with `ERR_STORE_UNAVAILABLE`. Set on each
   * statement with `SET LOCAL statement_timeout`, whatever the pool's own settings.
   *
   * @default 1000 ({@link DEFAULT_STATEMENT_TIMEOUT_MS})
   */
  statementTimeoutMs?: number;
}

/** A {@link Store} on Postgres, with its schema helpers. */
export interface PostgresStore extends Store {
  setMany(entries: readonly StoreEntry[]): Promise<void>;
  incrementMany(counters: readonly CounterEntry[]): Promise<CounterResult[]>;
  /** Creates the table and its index if they do not exist (see {@link postgresSchemaSql}). */
  ensureSchema(options?: PostgresSchemaOptions): Promise<void>;
  /** Deletes up to 500 expired rows now; resolves with how many it deleted. */
  sweep(): Promise<number>;
}

/**
 * A {@link Store} on Postgres, shared by every instance of the app, for apps that already run
 * Postgres and no Redis. Pass the app's `pg` `Pool`; `pg` is an optional peer dependency.
 *
 * - One round trip per call: each call is one simple-protocol message, `SET LOCAL
 *   statement_timeout` and the statement, run as one implicit transaction. Keys and values go
 *   in as hex, so nothing the app stores is ever parsed as SQL. A key is stored as the first 16
 *   bytes of its SHA-256, which keeps rows and the index small.
 * - `take` is `DELETE … RETURNING`: when several instances race for one token, exactly one row
 *   is deleted, by one of them.
 * - `increment` is one `INSERT … ON CONFLICT DO UPDATE`: increment first, then the caller
 *   compares; the first increment sets the expiry, later ones keep it (a fixed window).
 * - Time is the database's `now()`, so every instance agrees whatever its own clock says.
 * - Every row expires: reads ignore expired rows, and every 50th write starts a sweep that
 *   deletes up to 500 of them (`FOR UPDATE SKIP LOCKED`, so sweeps never wait on anyone). No
 *   cron job is needed.
 * - Fails closed: a call that cannot get a connection and an answer within
 *   `statementTimeoutMs` rejects with `ERR_STORE_UNAVAILABLE` (the router answers `503`), and
 *   its connection is destroyed rather than returned to the pool. Once Postgres answers
 *   again, calls succeed again.
 * - Primary only: every call also runs `SET LOCAL transaction_read_only = off`, which a hot
 *   standby refuses, so a pool pointed at a read replica fails closed instead of reading
 *   tokens that the primary has already spent.
 *
 * @example
 * import pg from 'pg';
 * const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL });
 * const store = postgresStore(pool);
 * await store.ensureSchema(); // or run postgresSchemaSql() from your migrations
 * app.use(magicLinkRouter({ provider, secret, origin, store }));
 */
export function postgresStore(pool: PgPoolLike, options: PostgresStoreOptions = {}): PostgresStore {
  if (typeof pool !== 'object' || pool === null || typeof pool.connect !== 'function') {
    throw new TypeError(
      'postgresStore: pool must be a pg Pool (or anything with its connect()). ' +
        'Pass new pg.Pool({ connectionString }), not a URL or a Client.',
    );
  }
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(
      'postgresStore: options must be an object. Call postgresStore(pool) or postgresStore(pool, { table }).',
    );
  }
  const tableName = options.table ?? DEFAULT_POSTGRES_TABLE;
  const table = quoteTable(tableName);
  const timeoutMs = options.statementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS;
  if (typeof timeoutMs !== 'number' || !Number.isSafeInteger(timeoutMs) || timeoutMs <= 0) {
    throw new TypeError(
      `postgresStore: statementTimeoutMs must be a positive whole number of milliseconds, but got ${String(timeoutMs)}. ` +
        `Omit it for the default of ${DEFAULT_STATEMENT_TIMEOUT_MS}.`,
    );
  }

  const runner = pgRunner(pool, 'postgresStore');
  /** Runs one message on a pooled connection, bounded by `limitMs` from the call on. */
  function run(what: string, sql: string, limitMs = timeoutMs): Promise<PgResult[]> {
    return runner(what, sql, limitMs);
  }

  let writes = 0;
  let sweeping = false;
  const sweepSql = `DELETE FROM ${table} WHERE key IN (SELECT key FROM ${table} WHERE expires_at <= now() ORDER BY expires_at LIMIT ${SWEEP_LIMIT} FOR UPDATE SKIP LOCKED) AND expires_at <= now()`;

  async function sweep(): Promise<number> {
    const replies = await run('sweep', `${sweepSql} RETURNING 1`);
    return replies.at(-1)!.rows.length;
  }

  /** After every SWEEP_EVERY writes, one sweep in the background; never more than one at once. */
  function wrote(): void {
    writes += 1;
    if (writes % SWEEP_EVERY !== 0 || sweeping) return;
    sweeping = true;
    sweep()
      .catch(() => undefined)
      .finally(() => (sweeping = false));
  }

  const live = 't.expires_at > now()';
  /** Increments the counter that `source` names (key, '1', expiry): a fixed window. */
  const counterUpsert = (source: string) =>
    `INSERT INTO ${table} AS t (key, value, expires_at) ${source} ` +
    `ON CONFLICT (key) DO UPDATE SET ` +
    `value = CASE WHEN ${live} THEN convert_to((convert_from(t.value, 'UTF8')::bigint + 1)::text, 'UTF8') ELSE excluded.value END, ` +
    `expires_at = CASE WHEN ${live} THEN t.expires_at ELSE excluded.expires_at END`;

  const upsert = (rows: string[]) =>
    `INSERT INTO ${table} (key, value, expires_at) VALUES ${rows.join(', ')} ` +
    'ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at';
  const row = (key: string, value: string, ttlMs: number) =>
    `(${keyOf(key)}, ${hex(value)}, ${expiry(checkTtl(ttlMs))})`;

  return {
    async get(key) {
      const replies = await run(
        'get',
        `SELECT value FROM ${table} WHERE key = ${keyOf(key)} AND expires_at > now()`,
      );
      const found = replies.at(-1)!.rows[0];
      return found === undefined ? null : text('get', found['value']);
    },

    async set(key, value, ttlMs) {
      await run('set', upsert([row(key, value, ttlMs)]));
      wrote();
    },

    async setMany(entries) {
      if (!Array.isArray(entries)) {
        throw new TypeError('postgresStore: setMany takes an array of { key, value, ttlMs }.');
      }
      // One INSERT may not touch a row twice: the last write to a key wins, as in sequence.
      const last = new Map<string, string>();
      for (const { key, value, ttlMs } of entries) last.set(key, row(key, value, ttlMs));
      if (last.size === 0) return;
      await run('setMany', upsert([...last.values()]));
      wrote();
    },

    async take(key) {
      // Deletes an expired row too (it is garbage), but hands out only a live one.
      const replies = await run(
        'take',
        `DELETE FROM ${table} WHERE key = ${keyOf(key)} RETURNING value, expires_at > now() AS live`,
      );
      const found = replies.at(-1)!.rows[0];
      return found === undefined || found['live'] !== true ? null : text('take', found['value']);
    },

    async increment(key, ttlMs) {
      const replies = await run(
        'increment',
        `${counterUpsert(`VALUES (${keyOf(key)}, ${hex('1')}, ${expiry(checkTtl(ttlMs))})`)} ${COUNTER_RETURNING}`,
      );
      wrote();
      const [result] = counterRows('increment', replies.at(-1)!.rows, 1);
      return result!;
    },

    async incrementMany(counters) {
      const checked = counters.map((c) => ({
        key: keyOf(c.key),
        expires: expiry(checkTtl(c.ttlMs)),
        limit: checkLimit(c.limit),
      }));
      if (new Set(counters.map((c) => c.key)).size !== counters.length) {
        throw repeatedKey('postgresStore');
      }
      if (checked.length === 0) return [];
      // One statement: each counter's upsert reads the row the one before it returned, and
      // runs only when that count is within its limit, so they run in order and stop after the
      // first over its limit. One transaction, so each row lock is held to its end: every
      // request takes its counters in the same order (IP, then address), so none deadlock.
      const steps = checked.map(({ key, expires }, i) => {
        const source =
          i === 0
            ? `VALUES (${key}, ${hex('1')}, ${expires})`
            : `SELECT ${key}, ${hex('1')}, ${expires} FROM c${i - 1} WHERE c${i - 1}.count::numeric <= ${checked[i - 1]!.limit}`;
        return `c${i} AS (${counterUpsert(source)} ${COUNTER_RETURNING})`;
      });
      const select = checked
        .map((_, i) => `SELECT ${i} AS i, count, reset_ms FROM c${i}`)
        .join(' UNION ALL ');
      const replies = await run('incrementMany', `WITH ${steps.join(', ')} ${select} ORDER BY i`);
      wrote();
      const rows = replies.at(-1)!.rows;
      if (rows.length === 0 || rows.length > checked.length) {
        throw pgUnavailable('postgresStore', 'incrementMany got an unexpected reply from Postgres');
      }
      return counterRows('incrementMany', rows, rows.length);
    },

    async delete(key) {
      await run('delete', `DELETE FROM ${table} WHERE key = ${keyOf(key)}`);
    },

    sweep,

    async ensureSchema(schemaOptions = {}) {
      // Two instances starting at once must not race on CREATE … IF NOT EXISTS.
      await run(
        'ensureSchema',
        `SELECT pg_advisory_xact_lock(hashtext('express-magic-link:schema')); ` +
          postgresSchemaSql({ ...schemaOptions, table: tableName }),
        SCHEMA_TIMEOUT_MS,
      );
    },
  };
}

// The time left is read against clock_timestamp(), not now(): now() is this transaction's start,
// and a counter created by a transaction that started later carries that later start plus the
// TTL, so against now() it could show more time left than the TTL itself (seen as 60000.1 ms of a
// 60000 ms window under 100 concurrent increments). clock_timestamp() is read after the row lock
// is held, so after any such transaction's start: never more than the TTL. At least 1 ms: a window
// that ends while this statement runs is still counted in, so it has not reset yet.
const COUNTER_RETURNING = `RETURNING convert_from(value, 'UTF8') AS count, GREATEST(1, ceil(extract(epoch FROM expires_at - clock_timestamp()) * 1000))::text AS reset_ms`;

function counterRows(what: string, rows: Record<string, unknown>[], n: number): CounterResult[] {
  if (rows.length !== n)
    throw pgUnavailable('postgresStore', `${what} got an unexpected reply from Postgres`);
  return rows.map((found) => {
    const count = Number(found['count']);
    const resetMs = Number(found['reset_ms']);
    if (!Number.isSafeInteger(count) || !Number.isFinite(resetMs)) {
      throw pgUnavailable('postgresStore', `${what} got an unexpected reply from Postgres`);
    }
    return { count, resetMs };
  });
}

/** A limit as a SQL numeric literal: digits only, so it cannot be read as SQL. */
function checkLimit(limit: number): string {
  if (typeof limit !== 'number' || Number.isNaN(limit)) {
    throw new TypeError(
      `postgresStore: a counter's limit must be a number, but got ${String(limit)}.`,
    );
  }
  if (!Number.isFinite(limit)) return limit > 0 ? '1e308' : '-1e308';
  return `${limit.toFixed(6)}::numeric`;
}

/**
 * A string as a bytea literal made only of hex digits: no quoting, escaping or encoding setting
 * (`standard_conforming_strings`, `client_encoding`) can turn a key or value into SQL.
 */
function hex(value: string): string {
  return `decode('${Buffer.from(value, 'utf8').toString('hex')}', 'hex')`;
}

/**
 * A key as it is stored: the first 16 bytes of its SHA-256, as a hex bytea literal. The router's
 * keys run to 60 characters (a prefix and a 43-character digest), and Postgres keeps each twice
 * (the row and the primary-key index): 16 bytes instead saves about 90 bytes a row. 128 bits
 * make a collision between two keys out of reach, and keys are only ever looked up whole.
 */
function keyOf(key: string): string {
  return `decode('${hash('sha256', key, 'hex').slice(0, 32)}', 'hex')`;
}

function expiry(ttlMs: number): string {
  return `now() + ${ttlMs} * interval '1 millisecond'`;
}

function text(what: string, value: unknown): string {
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  throw pgUnavailable('postgresStore', `${what} got an unexpected reply from Postgres`);
}

// Whole milliseconds, rounded up, as redisStore does: a tiny TTL must not mean "already expired".
function checkTtl(ttlMs: number): number {
  if (typeof ttlMs !== 'number' || !Number.isFinite(ttlMs) || ttlMs <= 0) {
    throw new TypeError(
      `postgresStore: ttlMs must be a positive number of milliseconds, but got ${String(ttlMs)}.`,
    );
  }
  return Math.ceil(ttlMs);
}
