import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { Store } from '../stores/store';
import { incrementManyCases } from './store-suite-counters';

/** One conformance check: give it to your test runner as `it(name, run)`. */
export interface StoreConformanceCase {
  name: string;
  run: () => Promise<void>;
}

/** Options for {@link storeConformanceCases}. */
export interface StoreConformanceOptions {
  /**
   * Lets the given number of milliseconds pass for the store. Pass one that moves an injected
   * clock to run the expiry cases instantly; stores on a real server (Redis, a database) need
   * real time.
   *
   * @default a real sleep (`setTimeout`)
   */
  advance?: (ms: number) => Promise<void>;
}

/** Short real TTLs keep the whole suite around a second while leaving timers room to be late. */
const SHORT_TTL_MS = 100;
const LONG_TTL_MS = 60_000;

const sleep = (ms: number) =>
  new Promise<void>((resolve) => {
    setTimeout(resolve, ms);
  });

/**
 * The checks every {@link Store} must pass, one for each rule in the contract: get/set/overwrite,
 * TTL replacement, expiry, single-use `take` under concurrency, atomic fixed-window `increment`,
 * `delete`, faithful round trips of unusual keys and values, live keys that survive a burst
 * of writes to other keys (nothing live is evicted to make room), and, for a store that offers
 * the optional `getSync`, that it agrees with `get`. It uses `node:assert/strict`
 * and no test framework, so it runs under jest, vitest or `node:test`.
 *
 * Each case calls `makeStore` once and uses keys no other case uses, so the cases may share one
 * backing server and may run in any order.
 *
 * @example
 * // jest or vitest
 * import { storeConformanceCases } from 'express-magic-link/testing';
 *
 * describe('my store', () => {
 *   for (const c of storeConformanceCases(() => myStore(client))) it(c.name, c.run);
 * });
 *
 * @example
 * // A store with an injected clock runs the expiry cases without waiting.
 * let now = 0;
 * const cases = storeConformanceCases(() => memoryStore({ now: () => now }), {
 *   advance: async (ms) => { now += ms; },
 * });
 */
export function storeConformanceCases(
  makeStore: () => Store | Promise<Store>,
  options: StoreConformanceOptions = {},
): StoreConformanceCase[] {
  const advance = options.advance ?? sleep;
  const cases: StoreConformanceCase[] = [];

  function add(
    name: string,
    body: (store: Store, key: (label?: string) => string) => Promise<void>,
  ) {
    cases.push({
      name,
      async run() {
        const namespace = `conformance:${randomUUID()}:`;
        await body(await makeStore(), (label = 'k') => namespace + label);
      },
    });
  }

  add('get returns null for a key that was never set', async (store, key) => {
    assert.equal(await store.get(key()), null);
  });

  add('set then get returns the value', async (store, key) => {
    await store.set(key(), 'value', LONG_TTL_MS);
    assert.equal(await store.get(key()), 'value');
  });

  add('get does not consume the value', async (store, key) => {
    await store.set(key(), 'value', LONG_TTL_MS);
    assert.equal(await store.get(key()), 'value');
    assert.equal(await store.get(key()), 'value');
  });

  add('set overwrites the value', async (store, key) => {
    await store.set(key(), 'first', LONG_TTL_MS);
    await store.set(key(), 'second', LONG_TTL_MS);
    assert.equal(await store.get(key()), 'second');
  });

  add('a value expires after its TTL', async (store, key) => {
    await store.set(key(), 'value', SHORT_TTL_MS);
    assert.equal(await store.get(key()), 'value');
    await advance(SHORT_TTL_MS + 50);
    assert.equal(await store.get(key()), null);
  });

  add('set with a shorter TTL replaces a longer one', async (store, key) => {
    await store.set(key(), 'long', LONG_TTL_MS);
    await store.set(key(), 'short', SHORT_TTL_MS);
    await advance(SHORT_TTL_MS + 50);
    assert.equal(await store.get(key()), null);
  });

  add('set with a longer TTL replaces a shorter one', async (store, key) => {
    await store.set(key(), 'short', SHORT_TTL_MS);
    await store.set(key(), 'long', LONG_TTL_MS);
    await advance(SHORT_TTL_MS + 50);
    assert.equal(await store.get(key()), 'long');
  });

  add('an expired key behaves exactly like one never set', async (store, key) => {
    await store.set(key('a'), 'value', SHORT_TTL_MS);
    await store.set(key('b'), 'value', SHORT_TTL_MS);
    await store.set(key('c'), 'value', SHORT_TTL_MS);
    await advance(SHORT_TTL_MS + 50);
    assert.equal(await store.get(key('a')), null);
    assert.equal(await store.take(key('b')), null);
    const counter = await store.increment(key('c'), LONG_TTL_MS);
    assert.equal(counter.count, 1, 'increment on an expired key starts again at 1');
    assert.ok(counter.resetMs > SHORT_TTL_MS, 'the new counter has the new TTL');
  });

  add('take returns the value once, then null', async (store, key) => {
    await store.set(key(), 'token', LONG_TTL_MS);
    assert.equal(await store.take(key()), 'token');
    assert.equal(await store.take(key()), null);
    assert.equal(await store.get(key()), null);
  });

  add('take returns null for a missing key', async (store, key) => {
    assert.equal(await store.take(key()), null);
  });

  add('take returns null for an expired key', async (store, key) => {
    await store.set(key(), 'token', SHORT_TTL_MS);
    await advance(SHORT_TTL_MS + 50);
    assert.equal(await store.take(key()), null);
  });

  add('a key can be set again after take', async (store, key) => {
    await store.set(key(), 'first', LONG_TTL_MS);
    await store.take(key());
    await store.set(key(), 'second', LONG_TTL_MS);
    assert.equal(await store.take(key()), 'second');
  });

  add('50 concurrent takes of one key: exactly one gets the value', async (store, key) => {
    await store.set(key(), 'once', LONG_TTL_MS);
    const results = await Promise.all(Array.from({ length: 50 }, () => store.take(key())));
    assert.deepEqual(
      results.filter((r) => r !== null),
      ['once'],
    );
    assert.equal(results.filter((r) => r === null).length, 49);
  });

  add('increment creates a counter at 1 with the given TTL', async (store, key) => {
    const first = await store.increment(key(), LONG_TTL_MS);
    assert.equal(first.count, 1);
    assert.ok(
      first.resetMs > 0 && first.resetMs <= LONG_TTL_MS,
      `resetMs ${first.resetMs} must be in (0, ${LONG_TTL_MS}]`,
    );
    assert.ok(first.resetMs > LONG_TTL_MS - 1000, `resetMs ${first.resetMs} is about the TTL`);
  });

  add('increment counts 1, 2, 3 and resetMs stays within the window', async (store, key) => {
    for (const expected of [1, 2, 3]) {
      const { count, resetMs } = await store.increment(key(), LONG_TTL_MS);
      assert.equal(count, expected);
      assert.ok(resetMs > 0 && resetMs <= LONG_TTL_MS, `resetMs ${resetMs} out of range`);
    }
  });

  add('100 concurrent increments return 1..100, each exactly once', async (store, key) => {
    const results = await Promise.all(
      Array.from({ length: 100 }, () => store.increment(key(), LONG_TTL_MS)),
    );
    const counts = results.map((r) => r.count).sort((a, b) => a - b);
    assert.deepEqual(
      counts,
      Array.from({ length: 100 }, (_, i) => i + 1),
    );
    for (const { resetMs } of results) {
      assert.ok(resetMs > 0 && resetMs <= LONG_TTL_MS, `resetMs ${resetMs} out of range`);
    }
  });

  add(
    'increment keeps the first expiry (fixed window), then resets after it',
    async (store, key) => {
      // Ten times the step, so a busy machine that oversleeps the step still lands in the window.
      const window = 10 * SHORT_TTL_MS;
      const first = await store.increment(key(), window);
      assert.equal(first.count, 1);
      assert.ok(first.resetMs > 0 && first.resetMs <= window);
      await advance(SHORT_TTL_MS);
      const second = await store.increment(key(), LONG_TTL_MS);
      assert.equal(second.count, 2);
      assert.ok(
        second.resetMs > 0 && second.resetMs <= window - SHORT_TTL_MS + 10,
        `resetMs ${second.resetMs} must count down from the first increment's window, not restart`,
      );
      await advance(second.resetMs + 50);
      const third = await store.increment(key(), window);
      assert.equal(third.count, 1, 'the counter resets once the first window has passed');
    },
  );

  add('counters on different keys count independently', async (store, key) => {
    await store.increment(key('a'), LONG_TTL_MS);
    await store.increment(key('a'), LONG_TTL_MS);
    assert.equal((await store.increment(key('b'), LONG_TTL_MS)).count, 1);
    assert.equal((await store.increment(key('a'), LONG_TTL_MS)).count, 3);
  });

  add('delete removes a value and a counter', async (store, key) => {
    await store.set(key('value'), 'v', LONG_TTL_MS);
    await store.increment(key('counter'), LONG_TTL_MS);
    await store.delete(key('value'));
    await store.delete(key('counter'));
    assert.equal(await store.get(key('value')), null);
    assert.equal(await store.take(key('value')), null);
    assert.equal((await store.increment(key('counter'), LONG_TTL_MS)).count, 1);
  });

  add('delete of a missing key resolves', async (store, key) => {
    await store.delete(key());
    assert.equal(await store.get(key()), null);
  });

  add('values round-trip exactly: empty, unicode, JSON, long', async (store, key) => {
    const values = [
      '',
      ' leading and trailing ',
      'ünïcödé ✓ 日本語 🔑👩‍👩‍👧 e\u0301',
      '{"json":true,"nested":{"a":[1,2,3]}}',
      'line\r\nbreak\u0000nul\ttab',
      'x'.repeat(64 * 1024),
      '0',
      'null',
    ];
    for (const [i, value] of values.entries()) {
      await store.set(key(String(i)), value, LONG_TTL_MS);
    }
    for (const [i, value] of values.entries()) {
      assert.equal(await store.get(key(String(i))), value, `value ${i} changed on the way`);
    }
    assert.equal(await store.take(key('0')), '', 'take tells an empty string from a missing key');
    assert.equal(await store.take(key('0')), null);
  });

  add('keys are isolated, even when they look alike', async (store, key) => {
    const keys = ['k', 'K', 'k ', ' k', 'k:', 'k:1', 'kk', 'ķ', 'k*', 'k\n', '🔑'].map(key);
    for (const [i, k] of keys.entries()) await store.set(k, `v${i}`, LONG_TTL_MS);
    for (const [i, k] of keys.entries()) assert.equal(await store.get(k), `v${i}`);
    await store.delete(keys[0]!);
    assert.equal(await store.take(keys[1]!), 'v1');
    assert.equal(await store.get(keys[0]!), null);
    for (const [i, k] of keys.slice(2).entries()) assert.equal(await store.get(k), `v${i + 2}`);
  });

  add('set, take and delete on one key do not touch a counter on another', async (store, key) => {
    await store.increment(key('counter'), LONG_TTL_MS);
    await store.set(key('value'), 'v', LONG_TTL_MS);
    await store.take(key('value'));
    await store.delete(key('value'));
    assert.equal((await store.increment(key('counter'), LONG_TTL_MS)).count, 2);
  });

  add(
    'live keys survive 1,000 writes to other keys: nothing live is evicted to make room',
    async (store, key) => {
      await store.set(key('pending'), 'binding', LONG_TTL_MS);
      await store.increment(key('counter'), LONG_TTL_MS);
      await store.increment(key('counter'), LONG_TTL_MS);
      for (let i = 0; i < 500; i++) {
        await store.set(key(`other-value:${i}`), 'x'.repeat(64), LONG_TTL_MS);
        await store.increment(key(`other-counter:${i}`), LONG_TTL_MS);
      }
      assert.equal(await store.get(key('pending')), 'binding', 'a live value was dropped');
      assert.equal(
        (await store.increment(key('counter'), LONG_TTL_MS)).count,
        3,
        'a live counter was dropped, which would reset a rate limit',
      );
      assert.equal(await store.take(key('pending')), 'binding');
    },
  );

  add('setMany, when the store has it, writes every key with its own TTL', async (store, key) => {
    if (store.setMany === undefined) return;
    await store.set(key('old'), 'before', LONG_TTL_MS);
    await store.setMany([
      { key: key('a'), value: 'A', ttlMs: LONG_TTL_MS },
      { key: key('short'), value: 'S', ttlMs: SHORT_TTL_MS },
      { key: key('old'), value: 'after', ttlMs: SHORT_TTL_MS },
      { key: key('twice'), value: 'first', ttlMs: LONG_TTL_MS },
      { key: key('twice'), value: 'second', ttlMs: LONG_TTL_MS },
    ]);
    await store.setMany([]);
    assert.equal(await store.get(key('a')), 'A');
    assert.equal(await store.get(key('short')), 'S');
    assert.equal(await store.get(key('old')), 'after', 'setMany overwrites');
    assert.equal(await store.get(key('twice')), 'second', 'the last write to a key wins');
    await advance(SHORT_TTL_MS + 50);
    assert.equal(await store.get(key('short')), null, 'each key keeps its own TTL');
    assert.equal(await store.get(key('old')), null, 'the new TTL replaces the old one');
    assert.equal(await store.take(key('a')), 'A');
    assert.equal(await store.take(key('a')), null);
  });

  incrementManyCases(add, advance);

  add('getSync, when the store has it, agrees with get', async (store, key) => {
    if (store.getSync === undefined) return;
    const peek = (k: string) => store.getSync!(k);
    assert.equal(peek(key('missing')), null);
    await store.set(key(), 'first', SHORT_TTL_MS);
    assert.equal(peek(key()), 'first');
    await store.set(key(), 'second', LONG_TTL_MS);
    assert.equal(peek(key()), 'second', 'getSync must see an overwrite');
    await store.set(key('short'), 'value', SHORT_TTL_MS);
    await advance(SHORT_TTL_MS + 50);
    assert.equal(peek(key('short')), null, 'getSync must not return an expired value');
    assert.equal(peek(key()), 'second');
    await store.take(key());
    assert.equal(peek(key()), null, 'getSync must not see a taken value');
    await store.set(key('deleted'), 'value', LONG_TTL_MS);
    await store.delete(key('deleted'));
    assert.equal(peek(key('deleted')), null, 'getSync must not see a deleted value');
  });

  return cases;
}
