import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { postgresPasskeySchemaSql, postgresPasskeyStore } from '../../lib/index';
import type { PgPoolLike, PostgresPasskeyStore, StoredPasskey } from '../../lib/index';
import { passkeyStoreConformanceCases } from '../../lib/testing/index';
import { describeWithPostgres } from '../helpers/postgres';
import {
  createPasskeyApp,
  enroll,
  request,
  signInByEmail,
  signInOptions,
} from '../passkeys/helpers';

function passkey(userId: string, overrides: Partial<StoredPasskey> = {}): StoredPasskey {
  return {
    id: randomUUID().replace(/-/g, ''),
    userId,
    profile: {
      id: userId,
      idpId: userId,
      organizationId: null,
      connectionId: 'conn',
      connectionType: 'MagicLink',
      email: `${userId}@example.test`,
      firstName: "O'Brien; DROP TABLE x; --",
      lastName: null,
      rawAttributes: { nested: { a: [1, 2] } },
    },
    publicKey: 'pQECAyYgASFYIA',
    counter: 0,
    transports: ['internal'],
    name: "Bob's \\ 'key'",
    backedUp: false,
    createdAt: new Date(1_700_000_000_123),
    lastUsedAt: null,
    ...overrides,
  };
}

describe('postgresPasskeyStore options', () => {
  const pool: PgPoolLike = { connect: () => Promise.reject(new Error('ECONNREFUSED')) };

  it.each([
    [undefined, /postgresPasskeyStore: pool must be a pg Pool/],
    ['postgres://localhost', /postgresPasskeyStore: pool must be a pg Pool/],
    [{ query() {} }, /postgresPasskeyStore: pool must be a pg Pool/],
  ])('refuses the pool %p', (bad, message) => {
    expect(() => postgresPasskeyStore(bad as unknown as PgPoolLike)).toThrow(TypeError);
    expect(() => postgresPasskeyStore(bad as unknown as PgPoolLike)).toThrow(message);
  });

  it.each([
    [null, /postgresPasskeyStore: options must be an object/],
    [{ table: 'Robert"; DROP' }, /postgresPasskeyStore: table must be a name or schema.name/],
    [{ table: 'a.b.c' }, /postgresPasskeyStore: table must be/],
    [{ statementTimeoutMs: 0 }, /postgresPasskeyStore: statementTimeoutMs must be a positive/],
    [{ statementTimeoutMs: 1.5 }, /statementTimeoutMs must be a positive whole number/],
    [{ statementTimeoutMs: '1000' }, /statementTimeoutMs must be a positive whole number/],
  ])('refuses the options %p', (options, message) => {
    const make = () => postgresPasskeyStore(pool, options as never);
    expect(make).toThrow(TypeError);
    expect(make).toThrow(message);
  });

  it('ships a logged table, keyed by credential id, indexed by user', () => {
    const sql = postgresPasskeySchemaSql({ table: 'auth.passkeys' });
    expect(sql).toMatch(/^CREATE TABLE IF NOT EXISTS "auth"\."passkeys" \(/);
    expect(sql).not.toMatch(/UNLOGGED/);
    expect(sql).toMatch(/id text PRIMARY KEY/);
    expect(sql).toMatch(
      /CREATE INDEX IF NOT EXISTS "passkeys_user_id" ON "auth"\."passkeys" \(user_id/,
    );
  });

  it('docs/postgres.md shows the schema exactly as shipped', () => {
    const doc = readFileSync(path.join(__dirname, '../../docs/postgres.md'), 'utf8');
    expect(doc).toContain('```sql\n' + postgresPasskeySchemaSql() + '\n```');
  });

  it('a pool that cannot connect: every method rejects with ERR_STORE_UNAVAILABLE', async () => {
    const store = postgresPasskeyStore(pool);
    const calls: Promise<unknown>[] = [
      store.get('x'),
      store.create(passkey('u')),
      store.listByUser('u'),
      store.use('u', 'x', 1, new Date()),
      store.rename('u', 'x', 'n'),
      store.delete('u', 'x'),
      store.deleteByUser('u'),
      store.ensureSchema(),
    ];
    for (const call of calls) {
      await expect(call).rejects.toMatchObject({ code: 'ERR_STORE_UNAVAILABLE' });
    }
  });

  it('a pool that never answers: rejects within statementTimeoutMs', async () => {
    const hung: PgPoolLike = { connect: () => new Promise(() => undefined) };
    await expect(
      postgresPasskeyStore(hung, { statementTimeoutMs: 50 }).get('x'),
    ).rejects.toMatchObject({ code: 'ERR_STORE_UNAVAILABLE' });
  });
});

describeWithPostgres('postgresPasskeyStore on a real Postgres', (pg) => {
  let store: PostgresPasskeyStore;
  beforeAll(async () => {
    store = postgresPasskeyStore(pg().pool({ max: 20 }), { statementTimeoutMs: 10_000 });
    await store.ensureSchema();
    await store.ensureSchema(); // idempotent
  });

  describe('conformance', () => {
    for (const c of passkeyStoreConformanceCases(() => store)) it(c.name, c.run, 30_000);
  });

  it('the table is logged, with a primary key on id and an index on user_id', async () => {
    const raw = pg().pool();
    const { rows } = await raw.query<{ relpersistence: string }>(
      `SELECT relpersistence FROM pg_class WHERE relname = 'magic_link_passkeys'`,
    );
    expect(rows[0]?.relpersistence).toBe('p');
    const indexes = await raw.query<{ indexdef: string }>(
      `SELECT indexdef FROM pg_indexes WHERE tablename = 'magic_link_passkeys' ORDER BY indexname`,
    );
    expect(indexes.rows.map((r) => r.indexdef)).toEqual([
      expect.stringMatching(/UNIQUE INDEX magic_link_passkeys_pkey .*\(id\)/),
      expect.stringMatching(/INDEX magic_link_passkeys_user_id .*\(user_id, created_at\)/),
    ]);
  });

  it('keeps quotes, backslashes and non-ASCII as given', async () => {
    const p = passkey(`ü'ser\\${randomUUID()}`, { name: 'Clé "🔑"', transports: [] });
    await store.create(p);
    expect(await store.get(p.id)).toEqual(p);
    expect(await store.listByUser(p.userId)).toEqual([p]);
  });

  it('20 racing uses of one counter value: exactly one records it', async () => {
    const p = passkey(`user_${randomUUID()}`, { counter: 4 });
    await store.create(p);
    const results = await Promise.all(
      Array.from({ length: 20 }, () => store.use(p.userId, p.id, 5, new Date(1_700_000_900_000))),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
    expect((await store.get(p.id))?.counter).toBe(5);
    // The counter never goes back or stands still, except for a key that keeps none (0).
    expect(await store.use(p.userId, p.id, 5, new Date())).toBe(false);
    expect(await store.use(p.userId, p.id, 3, new Date())).toBe(false);
    expect(await store.use(p.userId, p.id, 6, new Date())).toBe(true);
    const zero = passkey(`user_${randomUUID()}`);
    await store.create(zero);
    expect(await store.use(zero.userId, zero.id, 0, new Date())).toBe(true);
    expect(await store.use(zero.userId, zero.id, 0, new Date())).toBe(true);
  });

  it('a statement held up past statementTimeoutMs rejects with ERR_STORE_UNAVAILABLE', async () => {
    const p = passkey(`user_${randomUUID()}`);
    await store.create(p);
    const locker = await pg().pool().connect();
    try {
      await locker.query('BEGIN');
      await locker.query('SELECT 1 FROM magic_link_passkeys WHERE id = $1 FOR UPDATE', [p.id]);
      const quick = postgresPasskeyStore(pg().pool(), { statementTimeoutMs: 300 });
      await expect(quick.use(p.userId, p.id, 1, new Date())).rejects.toMatchObject({
        code: 'ERR_STORE_UNAVAILABLE',
      });
    } finally {
      await locker.query('ROLLBACK');
      locker.release();
    }
    // The sign-in that timed out was refused; whether its write landed once the lock went is
    // unknown (as for any timed-out statement), but the store answers again at once.
    expect(await store.use(p.userId, p.id, 2, new Date())).toBe(true);
    expect((await store.get(p.id))?.counter).toBe(2);
  });

  describe('through the router, with the software authenticator', () => {
    it('enrolls and signs in; the counter is kept in Postgres', async () => {
      const app = await createPasskeyApp({ passkeys: { store } });
      try {
        const authenticator = app.authenticator();
        const owner = request.agent(app.url);
        await signInByEmail(app, owner, 'pg-passkey@example.com');
        const id = await enroll(owner, authenticator);
        const browser = request.agent(app.url);
        // The options first: the agent attaches its cookies when the request is created.
        const assertion = authenticator.authenticate(await signInOptions(browser));
        const res = await browser.post('/auth/passkeys/sign-in').send(assertion);
        expect(res.status).toBe(200);
        const { rows } = await pg()
          .pool()
          .query<{ counter: string }>('SELECT counter FROM magic_link_passkeys WHERE id = $1', [
            id,
          ]);
        expect(rows[0]?.counter).toBe('1');
      } finally {
        await app.close();
      }
    }, 60_000);

    it('20 sign-ins racing with one counter value (a cloned key): one goes through', async () => {
      const app = await createPasskeyApp({ passkeys: { store } });
      try {
        const authenticator = app.authenticator();
        const owner = request.agent(app.url);
        await signInByEmail(app, owner, 'pg-clone@example.com');
        await enroll(owner, authenticator);
        const browsers = Array.from({ length: 20 }, () => request.agent(app.url));
        const assertions = await Promise.all(
          browsers.map(async (b) =>
            authenticator.authenticate(await signInOptions(b), { counter: 1 }),
          ),
        );
        const answers = await Promise.all(
          browsers.map((b, i) => b.post('/auth/passkeys/sign-in').send(assertions[i])),
        );
        expect(answers.filter((r) => r.status === 200)).toHaveLength(1);
        expect(answers.filter((r) => r.status !== 200).every((r) => r.status < 500)).toBe(true);
      } finally {
        await app.close();
      }
    }, 120_000);

    it('Postgres down: passkey sign-in answers 503 and signs nobody in; it recovers', async () => {
      const app = await createPasskeyApp({
        passkeys: { store: postgresPasskeyStore(pg().pool(), { statementTimeoutMs: 2000 }) },
      });
      try {
        const authenticator = app.authenticator();
        const owner = request.agent(app.url);
        await signInByEmail(app, owner, 'pg-down@example.com');
        await enroll(owner, authenticator);
        const browser = request.agent(app.url);
        const assertion = authenticator.authenticate(await signInOptions(browser));
        await pg().stop();
        let down;
        try {
          down = await browser.post('/auth/passkeys/sign-in').send(assertion);
        } finally {
          await pg().restart();
        }
        expect(down.status).toBe(503);
        expect(down.text).not.toMatch(/postgres|ECONNREFUSED|at .*\.ts/i);
        const me = await browser.get('/account');
        expect(me.status).not.toBe(200);
        // Back up: the same browser signs in with a fresh challenge.
        const fresh = authenticator.authenticate(await signInOptions(browser));
        const again = await browser.post('/auth/passkeys/sign-in').send(fresh);
        expect(again.status).toBe(200);
      } finally {
        await app.close();
      }
    }, 120_000);
  });
});
