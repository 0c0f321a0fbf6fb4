import type { PasskeyStore, StoredPasskey } from '../passkeys/store';
import { DEFAULT_STATEMENT_TIMEOUT_MS } from './postgres';
import type { PgPoolLike } from './postgres-run';
import { pgRunner, pgText, pgUnavailable } from './postgres-run';
import { quoteTable } from './postgres-schema';

const FACTORY = 'postgresPasskeyStore';

/** The table {@link postgresPasskeyStore} uses when no `table` option is given. */
export const DEFAULT_POSTGRES_PASSKEY_TABLE = 'magic_link_passkeys';

/** A schema change may wait for locks far longer than a store call. */
const SCHEMA_TIMEOUT_MS = 30_000;

/** Options for {@link postgresPasskeyStore}. */
export interface PostgresPasskeyStoreOptions {
  /**
   * The table: `name` (in the connection's search path) or `schema.name`.
   *
   * @default 'magic_link_passkeys'
   */
  table?: string;
  /**
   * Milliseconds one call may take, waiting for a pooled connection included, before it
   * rejects with `ERR_STORE_UNAVAILABLE`. Set on each statement with `SET LOCAL
   * statement_timeout`, whatever the pool's own settings.
   *
   * @default 1000
   */
  statementTimeoutMs?: number;
}

/** A {@link PasskeyStore} on Postgres, with its schema helper. */
export interface PostgresPasskeyStore extends PasskeyStore {
  /** Creates the table and its index if they do not exist (see {@link postgresPasskeySchemaSql}). */
  ensureSchema(): Promise<void>;
}

/**
 * The SQL that creates the passkey table and its index, idempotently: run it from your
 * migrations, or call `ensureSchema()` on the store once at startup.
 *
 * - A logged table (never `UNLOGGED`): passkeys live for years, and a crash must not forget them.
 * - `id` (the credential id) is the primary key: unique across users, and the index a passkey
 *   sign-in looks up. `(user_id, created_at)` is the second index: the passkeys page lists by
 *   user, oldest first, and account deletion removes by user.
 * - Privileges the store needs at runtime: `SELECT, INSERT, UPDATE, DELETE` on the table.
 *   Creating it needs `CREATE` on the schema (which must exist).
 *
 * @example
 * import { postgresPasskeySchemaSql } from 'express-magic-link';
 * await pool.query(postgresPasskeySchemaSql({ table: 'auth.passkeys' }));
 */
export function postgresPasskeySchemaSql(options: { table?: string } = {}): string {
  const name = options.table ?? DEFAULT_POSTGRES_PASSKEY_TABLE;
  const table = quoteTable(name, 'postgresPasskeySchemaSql');
  const bare = name.split('.').pop()!;
  return [
    `CREATE TABLE IF NOT EXISTS ${table} (`,
    '  id text PRIMARY KEY,',
    '  user_id text NOT NULL,',
    '  profile jsonb NOT NULL,',
    '  public_key text NOT NULL,',
    '  counter bigint NOT NULL CHECK (counter >= 0),',
    '  transports text[] NOT NULL,',
    '  name text NOT NULL,',
    '  backed_up boolean NOT NULL,',
    '  created_at timestamptz NOT NULL,',
    '  last_used_at timestamptz',
    ');',
    `CREATE INDEX IF NOT EXISTS "${bare}_user_id" ON ${table} (user_id, created_at);`,
  ].join('\n');
}

/**
 * A {@link PasskeyStore} on the app's Postgres: passkeys survive restarts and are shared by
 * every instance. Pass the app's `pg` `Pool` (matched by shape; `pg` is not imported).
 *
 * - One round trip per call, as `postgresStore`: `SET LOCAL statement_timeout`, `SET LOCAL
 *   transaction_read_only = off` (so a pool on a read replica fails closed) and the statement.
 *   Strings go in as hex, so nothing stored is ever parsed as SQL.
 * - Fails closed: a down, hung or exhausted database rejects with `ERR_STORE_UNAVAILABLE`
 *   within `statementTimeoutMs`, so a passkey sign-in answers 503 and never goes through on
 *   a passkey it could not read or record.
 * - `use` is one compare-and-set: it records the new counter only if it is higher than the
 *   stored one (or both are 0, an authenticator that keeps no counter). Of two sign-ins that
 *   race with the same counter (a cloned key), one records it and the other is refused.
 * - `deleteByUser` removes a user's passkeys for account deletion.
 *
 * @example
 * import pg from 'pg';
 * const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL });
 * const passkeyStore = postgresPasskeyStore(pool);
 * await passkeyStore.ensureSchema(); // or run postgresPasskeySchemaSql() from your migrations
 * app.use(magicLinkRouter({ provider, secret, origin, store, passkeys: { store: passkeyStore } }));
 */
export function postgresPasskeyStore(
  pool: PgPoolLike,
  options: PostgresPasskeyStoreOptions = {},
): PostgresPasskeyStore {
  if (typeof pool !== 'object' || pool === null || typeof pool.connect !== 'function') {
    throw new TypeError(
      `${FACTORY}: pool must be a pg Pool (or anything with its connect()). ` +
        'Pass new pg.Pool({ connectionString }), not a URL or a Client.',
    );
  }
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new TypeError(
      `${FACTORY}: options must be an object. Call ${FACTORY}(pool) or ${FACTORY}(pool, { table }).`,
    );
  }
  const tableName = options.table ?? DEFAULT_POSTGRES_PASSKEY_TABLE;
  const table = quoteTable(tableName, FACTORY);
  const timeoutMs = options.statementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS;
  if (typeof timeoutMs !== 'number' || !Number.isSafeInteger(timeoutMs) || timeoutMs <= 0) {
    throw new TypeError(
      `${FACTORY}: statementTimeoutMs must be a positive whole number of milliseconds, but got ${String(timeoutMs)}. ` +
        `Omit it for the default of ${DEFAULT_STATEMENT_TIMEOUT_MS}.`,
    );
  }
  const runner = pgRunner(pool, FACTORY);
  const run = async (what: string, sql: string, limitMs = timeoutMs) =>
    (await runner(what, sql, limitMs)).at(-1)!.rows;

  const owned = (userId: string, id: string) =>
    `id = ${pgText(str('id', id))} AND user_id = ${pgText(str('userId', userId))}`;

  return {
    async create(p) {
      const values = [
        pgText(str('id', p.id)),
        pgText(str('userId', p.userId)),
        `${pgText(JSON.stringify(p.profile))}::jsonb`,
        pgText(str('publicKey', p.publicKey)),
        String(counterOf(p.counter)),
        `ARRAY[${transportsOf(p.transports).map(pgText).join(', ')}]::text[]`,
        pgText(str('name', p.name)),
        boolOf(p.backedUp),
        time('createdAt', p.createdAt),
        p.lastUsedAt === null ? 'NULL' : time('lastUsedAt', p.lastUsedAt),
      ];
      const rows = await run(
        'create',
        `INSERT INTO ${table} (id, user_id, profile, public_key, counter, transports, name, ` +
          `backed_up, created_at, last_used_at) VALUES (${values.join(', ')}) ` +
          'ON CONFLICT (id) DO NOTHING RETURNING 1',
      );
      if (rows.length !== 1) throw new Error(`${FACTORY}: this passkey id exists`);
    },

    async get(id) {
      const rows = await run('get', `${select(table)} WHERE id = ${pgText(str('id', id))}`);
      return rows[0] === undefined ? null : fromRow(rows[0]);
    },

    async listByUser(userId) {
      const rows = await run(
        'listByUser',
        `${select(table)} WHERE user_id = ${pgText(str('userId', userId))} ORDER BY created_at, id`,
      );
      return rows.map(fromRow);
    },

    async use(userId, id, counter, usedAt) {
      const c = counterOf(counter);
      // Compare-and-set under the row lock: a racer that lost re-reads the new counter and
      // matches nothing, so one counter value signs in once.
      const rows = await run(
        'use',
        `UPDATE ${table} SET counter = ${c}, last_used_at = ${time('usedAt', usedAt)} ` +
          `WHERE ${owned(userId, id)} AND (counter < ${c} OR (counter = 0 AND ${c} = 0)) RETURNING 1`,
      );
      return rows.length === 1;
    },

    async rename(userId, id, name) {
      const rows = await run(
        'rename',
        `UPDATE ${table} SET name = ${pgText(str('name', name))} WHERE ${owned(userId, id)} RETURNING 1`,
      );
      return rows.length === 1;
    },

    async delete(userId, id) {
      const rows = await run(
        'delete',
        `DELETE FROM ${table} WHERE ${owned(userId, id)} RETURNING 1`,
      );
      return rows.length === 1;
    },

    async deleteByUser(userId) {
      const rows = await run(
        'deleteByUser',
        `WITH gone AS (DELETE FROM ${table} WHERE user_id = ${pgText(str('userId', userId))} RETURNING 1) ` +
          'SELECT count(*)::text AS n FROM gone',
      );
      const n = Number(rows[0]?.['n']);
      if (!Number.isSafeInteger(n))
        throw pgUnavailable(FACTORY, 'deleteByUser got an unexpected reply');
      return n;
    },

    async ensureSchema() {
      // Two instances starting at once must not race on CREATE … IF NOT EXISTS.
      await run(
        'ensureSchema',
        `SELECT pg_advisory_xact_lock(hashtext('express-magic-link:passkeys-schema')); ` +
          postgresPasskeySchemaSql({ table: tableName }),
        SCHEMA_TIMEOUT_MS,
      );
    },
  };
}

/** One JSON text per row, so the driver's own type parsers (dates, bigint) play no part. */
function select(table: string): string {
  const ms = (column: string) => `(extract(epoch FROM ${column}) * 1000)::bigint`;
  return (
    `SELECT json_build_object('id', id, 'userId', user_id, 'profile', profile, ` +
    `'publicKey', public_key, 'counter', counter, 'transports', transports, 'name', name, ` +
    `'backedUp', backed_up, 'createdAt', ${ms('created_at')}, 'lastUsedAt', ${ms('last_used_at')})::text ` +
    `AS passkey FROM ${table}`
  );
}

interface Row {
  id: string;
  userId: string;
  profile: StoredPasskey['profile'];
  publicKey: string;
  counter: number;
  transports: string[];
  name: string;
  backedUp: boolean;
  createdAt: number;
  lastUsedAt: number | null;
}

function fromRow(row: Record<string, unknown>): StoredPasskey {
  const json = row['passkey'];
  if (typeof json !== 'string') throw pgUnavailable(FACTORY, 'got an unexpected reply');
  const r = JSON.parse(json) as Row;
  return {
    id: r.id,
    userId: r.userId,
    profile: r.profile,
    publicKey: r.publicKey,
    counter: r.counter,
    transports: r.transports,
    name: r.name,
    backedUp: r.backedUp,
    createdAt: new Date(r.createdAt),
    lastUsedAt: r.lastUsedAt === null ? null : new Date(r.lastUsedAt),
  };
}

// What the flow hands over is checked, so a bug upstream is a clear error, never odd SQL.
function str(field: string, value: unknown): string {
  if (typeof value !== 'string') throw new TypeError(`${FACTORY}: ${field} must be a string.`);
  return value;
}

function counterOf(value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new TypeError(`${FACTORY}: counter must be a whole number of at least 0.`);
  }
  return value;
}

function transportsOf(value: unknown): string[] {
  if (!Array.isArray(value)) throw new TypeError(`${FACTORY}: transports must be an array.`);
  return value.map((t) => str('transports', t));
}

function boolOf(value: unknown): string {
  if (typeof value !== 'boolean') throw new TypeError(`${FACTORY}: backedUp must be a boolean.`);
  return value ? 'true' : 'false';
}

function time(field: string, value: unknown): string {
  // By tag, not instanceof: a Date from another realm (a test runner's) is a Date too.
  const ms =
    Object.prototype.toString.call(value) === '[object Date]' ? (value as Date).getTime() : NaN;
  if (!Number.isFinite(ms)) throw new TypeError(`${FACTORY}: ${field} must be a valid Date.`);
  return `(timestamptz 'epoch' + ${ms} * interval '1 millisecond')`;
}
