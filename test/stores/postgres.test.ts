import { createHash } from 'node:crypto';
import type { Pool } from 'pg';
import { MagicLinkError } from '../../lib/errors';
import { postgresStore } from '../../lib/stores/postgres';
import type { PgPoolLike } from '../../lib/stores/postgres';
import { postgresSchemaSql } from '../../lib/stores/postgres-schema';
import { describeWithPostgres } from '../helpers/postgres';
import { realClockConformanceCases } from '../helpers/store-time';

// A pg Pool is what the app passes; checked here by the compiler, without a cast.
type PoolFits = Pool extends PgPoolLike ? true : false;
const poolFits: PoolFits = true;

describe('postgresStore options', () => {
  const pool: PgPoolLike = { connect: () => Promise.reject(new Error('not used')) };

  it('takes a pg Pool', () => {
    expect(poolFits).toBe(true);
  });

  it.each([
    [null, /pool must be a pg Pool/],
    ['postgres://localhost/db', /pool must be a pg Pool/],
    [{ query: () => undefined }, /pool must be a pg Pool/],
  ])('refuses %p as the pool', (bad, message) => {
    expect(() => postgresStore(bad as unknown as PgPoolLike)).toThrow(message);
  });

  it.each([
    [{ table: 'Robert"; DROP TABLE users; --' }, /table must be a name or schema\.name/],
    [{ table: 'a.b.c' }, /table must be a name or schema\.name/],
    [{ table: '' }, /table must be a name or schema\.name/],
    [{ statementTimeoutMs: 0 }, /statementTimeoutMs must be a positive whole number/],
    [{ statementTimeoutMs: 1.5 }, /statementTimeoutMs must be a positive whole number/],
  ])('refuses %p', (options, message) => {
    expect(() => postgresStore(pool, options)).toThrow(TypeError);
    expect(() => postgresStore(pool, options)).toThrow(message);
  });

  it('writes a logged table by default and an UNLOGGED one when asked', () => {
    expect(postgresSchemaSql()).toMatch(/^CREATE TABLE IF NOT EXISTS "magic_link_store"/);
    expect(postgresSchemaSql({ unlogged: true, table: 'auth.links' })).toMatch(
      /^CREATE UNLOGGED TABLE IF NOT EXISTS "auth"\."links"/,
    );
  });

  it('rejects with ERR_STORE_UNAVAILABLE when the pool cannot connect', async () => {
    await expect(postgresStore(pool).get('k')).rejects.toMatchObject({
      code: 'ERR_STORE_UNAVAILABLE',
    });
  });
});

describeWithPostgres('postgresStore on a real Postgres', (pg) => {
  let store: ReturnType<typeof postgresStore>;

  beforeAll(async () => {
    store = postgresStore(pg().pool({ max: 20 }), { statementTimeoutMs: 10_000 });
    await store.ensureSchema();
    // Twice, and concurrently: idempotent, and safe when instances start together.
    await Promise.all([store.ensureSchema(), store.ensureSchema()]);
  });

  describe('conformance', () => {
    for (const c of realClockConformanceCases(() => store)) it(c.name, c.run, 60_000);
  });

  it('20 racers on one token: one winner', async () => {
    await store.set('race', 'token', 60_000);
    const results = await Promise.all(Array.from({ length: 20 }, () => store.take('race')));
    expect(results.filter((r) => r !== null)).toEqual(['token']);
  });

  it('keys and values that look like SQL are stored, not run', async () => {
    const key = `k'); DROP TABLE magic_link_store; --`;
    await store.set(key, `'\\x00'::bytea; SELECT 1`, 60_000);
    expect(await store.get(key)).toBe(`'\\x00'::bytea; SELECT 1`);
    expect(await store.take(key)).toBe(`'\\x00'::bytea; SELECT 1`);
  });

  it('keeps expired rows out of reads and deletes them in bounded sweeps', async () => {
    const raw = pg().pool();
    for (let i = 0; i < 30; i++) await store.set(`sweep:${i}`, 'x', 1);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await store.get('sweep:0')).toBeNull();
    const before = await raw.query(
      `SELECT count(*)::int AS n FROM magic_link_store WHERE expires_at <= now()`,
    );
    expect(before.rows[0].n).toBeGreaterThanOrEqual(30);
    let swept = 0;
    for (let n = await store.sweep(); n > 0; n = await store.sweep()) swept += n;
    expect(swept).toBeGreaterThanOrEqual(30);
    const after = await raw.query(
      `SELECT count(*)::int AS n FROM magic_link_store WHERE expires_at <= now()`,
    );
    expect(after.rows[0].n).toBe(0);
  });

  it('sweeps by itself as it writes: no cron job', async () => {
    const raw = pg().pool();
    // Rows are keyed by the first 16 bytes of the key's SHA-256.
    const autoKeys = Array.from({ length: 40 }, (_, i) =>
      createHash('sha256').update(`auto:${i}`).digest().subarray(0, 16),
    );
    for (let i = 0; i < 40; i++) await store.set(`auto:${i}`, 'x', 1);
    await new Promise((resolve) => setTimeout(resolve, 50));
    // 60 more writes cross the store's every-50-writes mark at least once.
    for (let i = 0; i < 60; i++) await store.set(`live:${i}`, 'x', 60_000);
    let left = Infinity;
    for (let tries = 0; tries < 100 && left > 0; tries++) {
      const { rows } = await raw.query(
        `SELECT count(*)::int AS n FROM magic_link_store WHERE key = ANY($1::bytea[])`,
        [autoKeys],
      );
      left = rows[0].n;
      if (left > 0) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(left).toBe(0);
  });

  it('stores a 16-byte digest of each key, never the key text', async () => {
    const raw = pg().pool();
    const key = 'p:self-hosted:tok:digest-check-0123456789abcdefghijklmnopqrstuvwxyz';
    await store.set(key, 'v', 60_000);
    await store.incrementMany([{ key: `${key}:counter`, ttlMs: 60_000, limit: 5 }]);
    const { rows } = await raw.query(
      `SELECT key FROM magic_link_store WHERE key = ANY($1::bytea[])`,
      [[key, `${key}:counter`].map((k) => createHash('sha256').update(k).digest().subarray(0, 16))],
    );
    expect(rows).toHaveLength(2);
    const text = await raw.query(
      `SELECT count(*)::int AS n FROM magic_link_store WHERE position('digest-check'::bytea in key) > 0`,
    );
    expect(text.rows[0].n).toBe(0);
    expect(await store.get(key)).toBe('v');
  });

  it('a counter holding a non-number rejects, and the error does not quote the value', async () => {
    await store.set('not-a-counter', 'secret-value', 60_000);
    const error = await store.increment('not-a-counter', 60_000).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MagicLinkError);
    expect(
      JSON.stringify({ m: (error as Error).message, c: String((error as Error).cause) }),
    ).not.toContain('secret-value');
  });
});
