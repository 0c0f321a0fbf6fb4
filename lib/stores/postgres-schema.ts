/** The table {@link postgresStore} uses when no `table` option is given, in the search path's first schema. */
export const DEFAULT_POSTGRES_TABLE = 'magic_link_store';

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

/** Options for {@link postgresSchemaSql} and `PostgresStore.ensureSchema()`. */
export interface PostgresSchemaOptions {
  /**
   * `CREATE UNLOGGED TABLE`: no write-ahead log, so writes cost less, but Postgres empties the
   * table after a crash (not after a clean restart), and the table is not copied to replicas.
   * A crash then loses links in flight and resets rate-limit and code-attempt counters, and it
   * forgets sign-outs (a `sealedCookieSession` keeps its revocation list in the store, so a
   * cookie signed out before the crash works again until it expires). Leave it off unless those
   * costs are acceptable to you.
   *
   * @default false
   */
  unlogged?: boolean;
}

/**
 * The quoted form of a table option: `name` or `schema.name`, lower-case letters, digits and
 * underscores only, so it can be spliced into SQL. Throws a `TypeError` for anything else.
 */
export function quoteTable(table: unknown, factory = 'postgresStore'): string {
  const parts = typeof table === 'string' ? table.split('.') : [];
  if (parts.length < 1 || parts.length > 2 || !parts.every((p) => IDENTIFIER.test(p))) {
    throw new TypeError(
      `${factory}: table must be a name or schema.name of lower-case letters, digits and ` +
        `underscores, but got ${JSON.stringify(table) ?? String(table)}. ` +
        `Pass something like 'magic_link_store' or 'auth.magic_link_store', or omit it.`,
    );
  }
  return parts.map((p) => `"${p}"`).join('.');
}

/**
 * The SQL that creates the store's table and its expiry index, idempotently. Run it from your
 * migrations, or call `ensureSchema()` on the store once at startup.
 *
 * - `key` is the first 16 bytes of the SHA-256 of the store's key (its UTF-8 form), `value`
 *   the value's UTF-8 bytes: any string round-trips, NUL characters included.
 * - `expires_at` is set from the database's clock; the index on it lets the store delete
 *   expired rows a bounded batch at a time.
 * - Privileges the store needs at runtime: `SELECT, INSERT, UPDATE, DELETE` on the table.
 *   Creating it needs `CREATE` on the schema (which must exist).
 *
 * @example
 * import { postgresSchemaSql } from 'express-magic-link';
 * await pool.query(postgresSchemaSql({ table: 'auth.magic_link_store' }));
 */
export function postgresSchemaSql(
  options: PostgresSchemaOptions & { table?: string } = {},
): string {
  const table = quoteTable(options.table ?? DEFAULT_POSTGRES_TABLE, 'postgresSchemaSql');
  const bare = (options.table ?? DEFAULT_POSTGRES_TABLE).split('.').pop()!;
  const unlogged = options.unlogged ?? false;
  if (typeof unlogged !== 'boolean') {
    throw new TypeError(
      'postgresSchemaSql: unlogged must be a boolean. Pass unlogged: true or omit it.',
    );
  }
  return [
    `CREATE ${unlogged ? 'UNLOGGED ' : ''}TABLE IF NOT EXISTS ${table} (`,
    '  key bytea PRIMARY KEY,',
    '  value bytea NOT NULL,',
    '  expires_at timestamptz NOT NULL',
    ');',
    `CREATE INDEX IF NOT EXISTS "${bare}_expires_at" ON ${table} (expires_at);`,
  ].join('\n');
}
