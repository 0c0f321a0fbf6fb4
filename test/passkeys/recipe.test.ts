// docs/passkeys.md's recipe, "passkeys in your own database", as a user would use it: the code
// block in the doc is this file's text, it compiles with the project, and it passes the
// PasskeyStore conformance cases and a sign-in against a real Postgres.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Pool } from 'pg';
import { passkeyStoreConformanceCases } from '../../lib/testing/index';
import { describeWithPostgres } from '../helpers/postgres';
import { createPasskeyApp, enroll, request, signInByEmail, signInOptions } from './helpers';
import { PASSKEYS_TABLE, myPasskeyStore } from './recipe/postgres-passkey-store';

const ROOT = path.resolve(__dirname, '../..');

it('docs/passkeys.md carries the recipe exactly as tested here', () => {
  const doc = readFileSync(path.join(ROOT, 'docs/passkeys.md'), 'utf8');
  const recipe = readFileSync(path.join(__dirname, 'recipe/postgres-passkey-store.ts'), 'utf8');
  expect(doc).toContain('```ts\n' + recipe + '```');
});

describeWithPostgres('the Postgres passkey recipe', (pg) => {
  let pool: Pool;
  beforeAll(async () => {
    pool = pg().pool({ max: 4 });
    await pool.query(PASSKEYS_TABLE);
  });

  describe('conformance', () => {
    for (const c of passkeyStoreConformanceCases(() => myPasskeyStore(pool))) it(c.name, c.run);
  });

  it('20 racing uses of one counter value: one records it', async () => {
    const store = myPasskeyStore(pool);
    const userId = `user_${Date.now()}_race`;
    const id = `race${Date.now()}`;
    await store.create({
      id,
      userId,
      profile: {
        id: userId,
        idpId: userId,
        organizationId: null,
        connectionId: 'conn',
        connectionType: 'MagicLink',
        email: 'race@example.test',
        firstName: null,
        lastName: null,
        rawAttributes: {},
      },
      publicKey: 'pQECAyYgASFYIA',
      counter: 4,
      transports: [],
      name: 'Key',
      backedUp: false,
      createdAt: new Date(),
      lastUsedAt: null,
    });
    const wins = await Promise.all(
      Array.from({ length: 20 }, () => store.use(userId, id, 5, new Date())),
    );
    expect(wins.filter(Boolean)).toHaveLength(1);
  });

  it('enrolls and signs in through the router', async () => {
    const store = myPasskeyStore(pool);
    const app = await createPasskeyApp({ passkeys: { store } });
    try {
      const authenticator = app.authenticator();
      const owner = request.agent(app.url);
      await signInByEmail(app, owner, 'pg@example.com');
      const id = await enroll(owner, authenticator);
      const browser = request.agent(app.url);
      const assertion = authenticator.authenticate(await signInOptions(browser));
      const res = await browser.post('/auth/passkeys/sign-in').send(assertion);
      expect(res.status).toBe(200);
      expect((await store.get(id))?.counter).toBe(1);
    } finally {
      await app.close();
    }
  });
});
