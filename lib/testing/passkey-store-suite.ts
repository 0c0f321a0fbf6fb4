import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { PasskeyStore, StoredPasskey } from '../passkeys/store';

/** One conformance check: give it to your test runner as `it(name, run)`. */
export interface PasskeyStoreConformanceCase {
  name: string;
  run: () => Promise<void>;
}

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
      firstName: null,
      lastName: null,
      rawAttributes: {},
    },
    publicKey: 'pQECAyYgASFYIA',
    counter: 0,
    transports: ['internal'],
    name: 'Passkey',
    backedUp: false,
    createdAt: new Date(1_700_000_000_000),
    lastUsedAt: null,
    ...overrides,
  };
}

/** A deep copy, to compare against after the store's copies were changed. */
function snapshot(p: StoredPasskey): StoredPasskey {
  return {
    ...p,
    profile: JSON.parse(JSON.stringify(p.profile)) as StoredPasskey['profile'],
    transports: [...p.transports],
    createdAt: new Date(p.createdAt),
    lastUsedAt: p.lastUsedAt === null ? null : new Date(p.lastUsedAt),
  };
}

/**
 * The checks every {@link PasskeyStore} must pass, one per rule of its contract: round trips,
 * unique ids, copies not references, listing by user in creation order, and `use`, `rename`
 * and `delete` that touch only the given user's passkey and take effect at once. It uses
 * `node:assert/strict` and no test framework. Each case calls `makeStore` once and uses fresh
 * user ids, so cases may share one database.
 *
 * @example
 * import { passkeyStoreConformanceCases } from 'express-magic-link/testing';
 *
 * describe('my passkey store', () => {
 *   for (const c of passkeyStoreConformanceCases(() => myPasskeyStore(pool))) it(c.name, c.run);
 * });
 */
export function passkeyStoreConformanceCases(
  makeStore: () => PasskeyStore | Promise<PasskeyStore>,
): PasskeyStoreConformanceCase[] {
  const cases: PasskeyStoreConformanceCase[] = [];
  function add(name: string, body: (store: PasskeyStore, user: () => string) => Promise<void>) {
    cases.push({
      name,
      async run() {
        await body(await makeStore(), () => `user_${randomUUID()}`);
      },
    });
  }

  add('get returns null for an unknown id', async (store) => {
    assert.equal(await store.get(`missing${randomUUID()}`), null);
  });

  add('create then get returns every field as given', async (store, user) => {
    const p = passkey(user(), {
      counter: 7,
      transports: ['hybrid', 'internal'],
      name: 'Laptop',
      backedUp: true,
      lastUsedAt: new Date(1_700_000_100_000),
    });
    await store.create(p);
    const got = await store.get(p.id);
    assert.deepEqual(got, p);
    assert.ok(got?.createdAt instanceof Date, 'createdAt is a Date');
  });

  add(
    'create rejects a second passkey with the same id, even for another user',
    async (store, user) => {
      const p = passkey(user());
      await store.create(p);
      await assert.rejects(store.create({ ...passkey(user()), id: p.id }));
      assert.equal((await store.get(p.id))?.userId, p.userId);
    },
  );

  add('get returns a copy: changing it changes nothing stored', async (store, user) => {
    const p = passkey(user());
    const expected = snapshot(p);
    await store.create(p);
    const got = (await store.get(p.id))!;
    got.counter = 99;
    got.name = 'changed';
    got.profile.email = 'changed@example.test';
    got.transports.push('usb');
    assert.deepEqual(await store.get(p.id), expected);
  });

  add(
    'create keeps a copy: changing the object given changes nothing stored',
    async (store, user) => {
      const p = passkey(user());
      const expected = snapshot(p);
      await store.create(p);
      p.name = 'changed';
      p.profile.email = 'changed@example.test';
      assert.deepEqual(await store.get(p.id), expected);
    },
  );

  add(
    'listByUser lists only that user, oldest first; [] for an unknown user',
    async (store, user) => {
      const alice = user();
      const bob = user();
      const second = passkey(alice, { createdAt: new Date(1_700_000_002_000) });
      const first = passkey(alice, { createdAt: new Date(1_700_000_001_000) });
      await store.create(second);
      await store.create(first);
      await store.create(passkey(bob));
      assert.deepEqual(
        (await store.listByUser(alice)).map((p) => p.id),
        [first.id, second.id],
      );
      assert.deepEqual(await store.listByUser(user()), []);
    },
  );

  add('use records the counter and the time, for its owner only', async (store, user) => {
    const p = passkey(user());
    await store.create(p);
    assert.equal(await store.use(user(), p.id, 5, new Date(1_700_000_500_000)), false);
    assert.equal((await store.get(p.id))?.counter, 0);
    assert.equal(await store.use(p.userId, p.id, 5, new Date(1_700_000_500_000)), true);
    const got = await store.get(p.id);
    assert.equal(got?.counter, 5);
    assert.equal(got?.lastUsedAt?.getTime(), 1_700_000_500_000);
    assert.equal(await store.use(p.userId, `missing${randomUUID()}`, 1, new Date()), false);
  });

  add('rename changes the name, for its owner only', async (store, user) => {
    const p = passkey(user());
    await store.create(p);
    assert.equal(await store.rename(user(), p.id, 'stolen'), false);
    assert.equal((await store.get(p.id))?.name, 'Passkey');
    assert.equal(await store.rename(p.userId, p.id, 'Phone'), true);
    assert.equal((await store.get(p.id))?.name, 'Phone');
  });

  add('delete removes at once, for its owner only', async (store, user) => {
    const p = passkey(user());
    await store.create(p);
    assert.equal(await store.delete(user(), p.id), false);
    assert.notEqual(await store.get(p.id), null);
    assert.equal(await store.delete(p.userId, p.id), true);
    assert.equal(await store.get(p.id), null);
    assert.deepEqual(await store.listByUser(p.userId), []);
    assert.equal(await store.delete(p.userId, p.id), false);
  });

  add('deleteByUser removes every passkey of that user and no other', async (store, user) => {
    const alice = user();
    const bob = user();
    const a1 = passkey(alice);
    const a2 = passkey(alice);
    const b1 = passkey(bob);
    for (const p of [a1, a2, b1]) await store.create(p);
    assert.equal(await store.deleteByUser(alice), 2);
    assert.equal(await store.get(a1.id), null);
    assert.equal(await store.get(a2.id), null);
    assert.deepEqual(await store.listByUser(alice), []);
    assert.notEqual(await store.get(b1.id), null);
    assert.equal(await store.deleteByUser(alice), 0);
  });

  add('a deleted id can be created again', async (store, user) => {
    const p = passkey(user());
    await store.create(p);
    await store.delete(p.userId, p.id);
    await store.create(p);
    assert.deepEqual(await store.get(p.id), p);
  });

  return cases;
}
