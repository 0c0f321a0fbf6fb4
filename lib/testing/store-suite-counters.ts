import assert from 'node:assert/strict';
import type { Store } from '../stores/store';

/** How store-suite.ts registers one case (split from it by subject, to keep files short). */
export type AddCase = (
  name: string,
  body: (store: Store, key: (label?: string) => string) => Promise<void>,
) => void;

const SHORT_TTL_MS = 100;
const LONG_TTL_MS = 60_000;

/** The conformance cases for the optional `incrementMany`; each passes at once without it. */
export function incrementManyCases(add: AddCase, advance: (ms: number) => Promise<void>): void {
  add(
    'incrementMany, when the store has it, counts in order and stops after the first over its limit',
    async (store, key) => {
      if (store.incrementMany === undefined) return;
      assert.deepEqual(await store.incrementMany([]), []);
      await store.increment(key('b'), LONG_TTL_MS);
      await store.increment(key('b'), LONG_TTL_MS);
      const first = await store.incrementMany([
        { key: key('a'), ttlMs: LONG_TTL_MS, limit: 5 },
        { key: key('b'), ttlMs: LONG_TTL_MS, limit: 2 },
        { key: key('c'), ttlMs: LONG_TTL_MS, limit: 5 },
      ]);
      assert.deepEqual(
        first.map((r) => r.count),
        [1, 3],
        'b goes over its limit (3 > 2), so c is not counted',
      );
      for (const { resetMs } of first) {
        assert.ok(resetMs > 0 && resetMs <= LONG_TTL_MS, `resetMs ${resetMs} out of range`);
      }
      assert.equal(await store.get(key('c')), null, 'a counter after the refusal is not written');
      const second = await store.incrementMany([
        { key: key('a'), ttlMs: LONG_TTL_MS, limit: 5 },
        { key: key('c'), ttlMs: LONG_TTL_MS, limit: 5 },
      ]);
      assert.deepEqual(
        second.map((r) => r.count),
        [2, 1],
      );
      assert.equal((await store.increment(key('c'), LONG_TTL_MS)).count, 2, 'same counters');
    },
  );

  add('incrementMany keeps each counter its own fixed window', async (store, key) => {
    if (store.incrementMany === undefined) return;
    const batch = () =>
      store.incrementMany!([
        { key: key('short'), ttlMs: SHORT_TTL_MS, limit: 100 },
        { key: key('long'), ttlMs: LONG_TTL_MS, limit: 100 },
      ]);
    await batch();
    // A later increment with a longer TTL does not stretch the window.
    await store.incrementMany([{ key: key('short'), ttlMs: LONG_TTL_MS, limit: 100 }]);
    await advance(SHORT_TTL_MS + 50);
    assert.deepEqual(
      (await batch()).map((r) => r.count),
      [1, 2],
      'the short window reset, the long one did not',
    );
  });

  add(
    'incrementMany: 50 concurrent batches count each counter exactly once each',
    async (store, key) => {
      if (store.incrementMany === undefined) return;
      const results = await Promise.all(
        Array.from({ length: 50 }, () =>
          store.incrementMany!([
            { key: key('x'), ttlMs: LONG_TTL_MS, limit: 1000 },
            { key: key('y'), ttlMs: LONG_TTL_MS, limit: 1000 },
          ]),
        ),
      );
      for (const at of [0, 1]) {
        assert.deepEqual(
          results.map((r) => r[at]!.count).sort((a, b) => a - b),
          Array.from({ length: 50 }, (_, i) => i + 1),
        );
      }
    },
  );

  add('incrementMany refuses a key given twice, and changes nothing', async (store, key) => {
    if (store.incrementMany === undefined) return;
    await assert.rejects(
      store.incrementMany([
        { key: key('d'), ttlMs: LONG_TTL_MS, limit: 5 },
        { key: key('d'), ttlMs: LONG_TTL_MS, limit: 5 },
      ]),
      TypeError,
    );
    assert.equal(await store.get(key('d')), null);
  });
}
