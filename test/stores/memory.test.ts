import fc from 'fast-check';
import {
  DEFAULT_MAX_ENTRIES,
  DEFAULT_SWEEP_INTERVAL_MS,
  memoryStore,
} from '../../lib/stores/memory';
import { storeConformanceCases } from '../../lib/testing/store-suite';
import { realClockConformanceCases } from '../helpers/store-time';

describe('memoryStore conformance, real clock', () => {
  for (const c of realClockConformanceCases(() => memoryStore())) it(c.name, c.run);
});

describe('memoryStore conformance, injected clock', () => {
  let now = 1_000_000;
  const cases = storeConformanceCases(() => memoryStore({ now: () => now }), {
    advance: async (ms) => {
      now += ms;
    },
  });
  for (const c of cases) it(c.name, c.run);
});

describe('memoryStore bound (LRU)', () => {
  it('never holds more than maxEntries', async () => {
    const store = memoryStore({ maxEntries: 100 });
    for (let i = 0; i < 10_000; i++) await store.set(`k${i}`, 'v', 60_000);
    expect(store.size).toBe(100);
    expect(await store.get('k9999')).toBe('v');
    expect(await store.get('k9900')).toBe('v');
    expect(await store.get('k9899')).toBeNull();
  });

  it('counters are bounded too', async () => {
    const store = memoryStore({ maxEntries: 50 });
    for (let i = 0; i < 1000; i++) await store.increment(`rl:${i}`, 60_000);
    expect(store.size).toBe(50);
  });

  it('evicts the least recently used key; get, set and increment count as use', async () => {
    const store = memoryStore({ maxEntries: 3 });
    await store.set('a', '1', 60_000);
    await store.set('b', '2', 60_000);
    await store.set('c', '3', 60_000);
    await store.get('a');
    await store.set('d', '4', 60_000);
    expect(await store.get('b')).toBeNull();

    await store.increment('c', 60_000);
    await store.set('e', '5', 60_000);
    expect(await store.get('a')).toBeNull();
    expect(await store.get('c')).toBe('4');

    await store.set('d', '4 again', 60_000);
    await store.set('f', '6', 60_000);
    expect(await store.get('e')).toBeNull();
    expect(await store.get('d')).toBe('4 again');
    expect(store.size).toBe(3);
  });

  it('behaves like a reference LRU with expiry under any sequence of operations', async () => {
    // Few keys, small bounds and TTLs that meet the sweep interval exactly, so that re-used keys,
    // evictions, sweeps and expiry on the boundary all happen often.
    const key = fc.constantFrom('a', 'b', 'c', 'd');
    const ttl = fc.constantFrom(500, 1000, 60_000, 70_000);
    const op = fc.oneof(
      fc.record({
        kind: fc.constant('set' as const),
        key,
        value: fc.string({ maxLength: 3 }),
        ttl,
      }),
      fc.record({ kind: fc.constant('increment' as const), key, ttl }),
      fc.record({ kind: fc.constantFrom('get' as const, 'take' as const, 'delete' as const), key }),
      fc.record({ kind: fc.constant('advance' as const), ms: fc.constantFrom(500, 1000, 60_000) }),
    );

    interface Held {
      key: string;
      value: string;
      expiresAt: number;
    }

    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 3 }),
        fc.array(op, { maxLength: 80 }),
        async (max, ops) => {
          let now = 0;
          const store = memoryStore({ maxEntries: max, now: () => now });
          // The reference: an array from least to most recently used, expired entries included
          // until they are read or swept, exactly as the store keeps them.
          let model: Held[] = [];
          let nextSweepAt = DEFAULT_SWEEP_INTERVAL_MS;
          const drop = (k: string) => {
            model = model.filter((h) => h.key !== k);
          };
          const live = (k: string): Held | undefined => {
            const held = model.find((h) => h.key === k);
            if (held !== undefined && held.expiresAt <= now) drop(k);
            return held !== undefined && held.expiresAt > now ? held : undefined;
          };
          const put = (k: string, value: string, expiresAt: number) => {
            drop(k);
            model.push({ key: k, value, expiresAt });
            if (now >= nextSweepAt) {
              nextSweepAt = now + DEFAULT_SWEEP_INTERVAL_MS;
              model = model.filter((h) => h.expiresAt > now);
            }
            while (model.length > max) model.shift();
          };

          for (const o of ops) {
            switch (o.kind) {
              case 'advance':
                now += o.ms;
                break;
              case 'set':
                await store.set(o.key, o.value, o.ttl);
                put(o.key, o.value, now + o.ttl);
                break;
              case 'get': {
                const held = live(o.key);
                expect(await store.get(o.key)).toBe(held?.value ?? null);
                // A read moves the entry to the recent end; only writes sweep and evict.
                if (held !== undefined) {
                  drop(held.key);
                  model.push(held);
                }
                break;
              }
              case 'take': {
                const held = live(o.key);
                expect(await store.take(o.key)).toBe(held?.value ?? null);
                drop(o.key);
                break;
              }
              case 'increment': {
                const held = live(o.key);
                if (held !== undefined && String(Number(held.value)) !== held.value) {
                  await expect(store.increment(o.key, o.ttl)).rejects.toThrow(/non-counter/);
                  break;
                }
                const expiresAt = held?.expiresAt ?? now + o.ttl;
                expect(await store.increment(o.key, o.ttl)).toEqual({
                  count: Number(held?.value ?? 0) + 1,
                  resetMs: expiresAt - now,
                });
                put(o.key, String(Number(held?.value ?? 0) + 1), expiresAt);
                break;
              }
              case 'delete':
                await store.delete(o.key);
                drop(o.key);
                break;
            }
            expect(store.size).toBe(model.length);
          }
        },
      ),
      { numRuns: 1000 },
    );
  });

  it.each(['take', 'delete', 'expiry'] as const)(
    'a key removed by %s and set again is not evicted in place of the oldest',
    async (how) => {
      let now = 0;
      const store = memoryStore({ maxEntries: 2, now: () => now });
      await store.set('a', 'old', 1000);
      if (how === 'take') await store.take('a');
      if (how === 'delete') await store.delete('a');
      if (how === 'expiry') now += DEFAULT_SWEEP_INTERVAL_MS;
      await store.set('b', 'b', 70_000);
      await store.set('a', 'new', 70_000);
      await store.set('c', 'c', 70_000);
      expect(await store.get('b')).toBeNull();
      expect(await store.get('a')).toBe('new');
      expect(await store.get('c')).toBe('c');
      expect(store.size).toBe(2);
    },
  );

  it('maxEntries of 1 keeps only the latest key', async () => {
    const store = memoryStore({ maxEntries: 1 });
    await store.set('a', '1', 60_000);
    await store.set('b', '2', 60_000);
    expect(await store.get('a')).toBeNull();
    expect(await store.get('b')).toBe('2');
  });

  it('defaults to DEFAULT_MAX_ENTRIES', async () => {
    const store = memoryStore();
    for (let i = 0; i < DEFAULT_MAX_ENTRIES + 10; i++) void store.set(`k${i}`, '', 60_000);
    expect(store.size).toBe(DEFAULT_MAX_ENTRIES);
  });

  it('clear() drops everything', async () => {
    const store = memoryStore();
    await store.set('a', '1', 60_000);
    store.clear();
    expect(store.size).toBe(0);
    expect(await store.get('a')).toBeNull();
  });
});

describe('memoryStore expiry sweeping', () => {
  it('drops an expired entry when it is read', async () => {
    let now = 0;
    const store = memoryStore({ now: () => now });
    await store.set('a', '1', 1000);
    now += 1000;
    expect(store.size).toBe(1);
    expect(await store.get('a')).toBeNull();
    expect(store.size).toBe(0);
  });

  it('sweeps every expired entry on the first write after the sweep interval', async () => {
    let now = 0;
    const store = memoryStore({ now: () => now });
    for (let i = 0; i < 500; i++) await store.set(`short${i}`, 'v', 1000);
    await store.set('long', 'v', 10 * DEFAULT_SWEEP_INTERVAL_MS);
    now += DEFAULT_SWEEP_INTERVAL_MS - 1;
    await store.set('trigger', 'v', 1000);
    expect(store.size).toBe(502);
    now += 1;
    await store.set('trigger', 'v', 1000);
    expect(store.size).toBe(2);
    expect(await store.get('long')).toBe('v');
  });

  it('keeps no timer, so it never holds the process open', () => {
    const before = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    memoryStore();
    const after = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    expect(after).toBe(before);
  });
});

describe('memoryStore atomicity', () => {
  it('take is one synchronous step: the value is gone before take() returns its promise', () => {
    const store = memoryStore();
    void store.set('k', 'v', 60_000);
    const first = store.take('k');
    const second = store.take('k');
    return expect(Promise.all([first, second])).resolves.toEqual(['v', null]);
  });

  it('increment rejects on a key that holds a non-counter value', async () => {
    const store = memoryStore();
    for (const value of ['not a number', '', ' 5', '007', '5.0', '1e3']) {
      await store.set('k', value, 60_000);
      await expect(store.increment('k', 60_000)).rejects.toThrow(/non-counter/);
    }
  });
});

describe('memoryStore options', () => {
  it.each([0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '10'])(
    'maxEntries %p throws a TypeError that says the fix',
    (maxEntries) => {
      expect(() => memoryStore({ maxEntries: maxEntries as number })).toThrow(TypeError);
      expect(() => memoryStore({ maxEntries: maxEntries as number })).toThrow(
        /^memoryStore: maxEntries must be a positive integer, but got .*\. Pass a whole number/,
      );
    },
  );

  it('now must be a function', () => {
    expect(() => memoryStore({ now: 5 as unknown as () => number })).toThrow(
      /^memoryStore: now must be a function/,
    );
  });

  it('warnInProduction must be a boolean', () => {
    expect(() => memoryStore({ warnInProduction: 'no' as unknown as boolean })).toThrow(
      /^memoryStore: warnInProduction must be a boolean/,
    );
  });

  it('options must be an object', () => {
    expect(() => memoryStore(42 as never)).toThrow(/^memoryStore: options must be an object/);
  });

  it.each([0, -5, Number.NaN, Number.POSITIVE_INFINITY])('ttlMs %p rejects', async (ttl) => {
    const store = memoryStore();
    await expect(store.set('k', 'v', ttl)).rejects.toThrow(/ttlMs must be a positive number/);
    await expect(store.increment('k', ttl)).rejects.toThrow(/ttlMs must be a positive number/);
  });
});

describe('memoryStore production warning', () => {
  const originalEnv = process.env['NODE_ENV'];
  let warn: jest.SpyInstance;

  beforeEach(() => {
    warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
  });
  afterEach(() => {
    warn.mockRestore();
    process.env['NODE_ENV'] = originalEnv;
  });

  function freshMemoryStore(): typeof memoryStore {
    let fresh: typeof memoryStore | undefined;
    jest.isolateModules(() => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      fresh = (require('../../lib/stores/memory') as { memoryStore: typeof memoryStore })
        .memoryStore;
    });
    return fresh!;
  }

  it('warns once per process when NODE_ENV is production, and says what to use instead', () => {
    process.env['NODE_ENV'] = 'production';
    const create = freshMemoryStore();
    create();
    create();
    expect(warn).toHaveBeenCalledTimes(1);
    const message = String(warn.mock.calls[0]?.[0]);
    expect(message).toMatch(/memoryStore\(\)/);
    expect(message).toMatch(/one process/);
    expect(message).toMatch(/redisStore/);
    expect(message).toMatch(/warnInProduction: false/);
  });

  it('does not warn outside production', () => {
    process.env['NODE_ENV'] = 'development';
    freshMemoryStore()();
    expect(warn).not.toHaveBeenCalled();
  });

  it('does not warn with warnInProduction: false', () => {
    process.env['NODE_ENV'] = 'production';
    const create = freshMemoryStore();
    create({ warnInProduction: false });
    expect(warn).not.toHaveBeenCalled();
    create();
    expect(warn).toHaveBeenCalledTimes(1);
  });
});
