import fc from 'fast-check';
import { MagicLinkError } from '../../lib/errors';
import { createRateLimiter } from '../../lib/flow/rate-limit';
import { guardStore } from '../../lib/stores/guard';
import { DEFAULT_MAX_ENTRIES, memoryStore } from '../../lib/stores/memory';
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

const FULL = { code: 'ERR_STORE_UNAVAILABLE', status: 503, message: /memoryStore: full/ };

/** Resolves to the rejection, or fails the test if the promise resolves. */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected the store to refuse the write');
    },
    (error: unknown) => error,
  );
}

describe('memoryStore bound: a full store refuses new keys and never evicts a live one', () => {
  it('never holds more than maxEntries, and refuses every new key past it', async () => {
    const store = memoryStore({ maxEntries: 100 });
    let refused = 0;
    for (let i = 0; i < 10_000; i++) {
      await store.set(`k${i}`, `v${i}`, 60_000).catch((error: unknown) => {
        expect(error).toMatchObject(FULL);
        refused += 1;
      });
    }
    expect(store.size).toBe(100);
    expect(refused).toBe(9_900);
    for (let i = 0; i < 100; i++) expect(await store.get(`k${i}`)).toBe(`v${i}`);
    expect(await store.get('k100')).toBeNull();
  });

  it('counters are bounded too: a new counter is refused, an existing one keeps counting', async () => {
    const store = memoryStore({ maxEntries: 50 });
    for (let i = 0; i < 50; i++) await store.increment(`rl:${i}`, 60_000);
    await expect(store.increment('rl:new', 60_000)).rejects.toMatchObject(FULL);
    expect(await store.increment('rl:7', 60_000)).toMatchObject({ count: 2 });
    expect(store.size).toBe(50);
  });

  it('the refusal is a MagicLinkError that guardStore passes on unchanged (the router answers 503)', async () => {
    const store = memoryStore({ maxEntries: 1 });
    await store.set('a', '1', 60_000);
    const error = await rejection(guardStore(store).set('b', '2', 60_000));
    expect(error).toBeInstanceOf(MagicLinkError);
    expect(error).toMatchObject(FULL);
    expect(String((error as Error).message)).toMatch(/maxEntries/);
    expect(String((error as Error).message)).not.toMatch(/"b"|\bb\b.*refused/);
  });

  it('reads, take, delete, overwrites and existing counters all work when full', async () => {
    let now = 0;
    const store = memoryStore({ maxEntries: 3, now: () => now });
    await store.set('pending', 'binding', 900_000);
    await store.increment('counter', 60_000);
    await store.set('token', 'record', 900_000);

    expect(await store.get('pending')).toBe('binding');
    await store.set('token', 'record 2', 900_000);
    expect(await store.get('token')).toBe('record 2');
    now += 1000;
    expect(await store.increment('counter', 60_000)).toEqual({ count: 2, resetMs: 59_000 });
    await expect(store.set('new', 'x', 60_000)).rejects.toMatchObject(FULL);
    await expect(store.increment('new', 60_000)).rejects.toMatchObject(FULL);

    // A take frees room for exactly one new key; so does a delete.
    expect(await store.take('token')).toBe('record 2');
    await store.set('new', 'x', 60_000);
    await expect(store.set('newer', 'y', 60_000)).rejects.toMatchObject(FULL);
    await store.delete('new');
    await store.set('newer', 'y', 60_000);
    expect(store.size).toBe(3);
    expect(await store.get('pending')).toBe('binding');
    expect(await store.increment('counter', 60_000)).toMatchObject({ count: 3 });
  });

  it('a refused write changes nothing', async () => {
    const store = memoryStore({ maxEntries: 2 });
    await store.set('a', '1', 60_000);
    await store.increment('b', 60_000);
    await expect(store.set('c', '3', 60_000)).rejects.toMatchObject(FULL);
    await expect(store.increment('c', 60_000)).rejects.toMatchObject(FULL);
    expect(await store.get('c')).toBeNull();
    expect(await store.get('a')).toBe('1');
    expect(await store.get('b')).toBe('1');
    expect(store.size).toBe(2);
  });

  it('expired entries are the only expendable ones: a full store makes room by dropping them', async () => {
    let now = 0;
    const store = memoryStore({ maxEntries: 3, now: () => now });
    await store.set('short', 's', 1000);
    await store.set('long', 'l', 60_000);
    await store.increment('counter', 60_000);
    await expect(store.set('x', 'x', 60_000)).rejects.toMatchObject(FULL);
    now += 999;
    await expect(store.set('x', 'x', 60_000)).rejects.toMatchObject(FULL);
    now += 1;
    await store.set('x', 'x', 60_000);
    expect(await store.get('short')).toBeNull();
    expect(await store.get('long')).toBe('l');
    expect(await store.get('x')).toBe('x');
    expect(await store.increment('counter', 60_000)).toMatchObject({ count: 2 });
  });

  it('drops expired entries in expiry order, however the TTLs were written and rewritten', async () => {
    let now = 0;
    const store = memoryStore({ maxEntries: 4, now: () => now });
    await store.set('a', 'a', 4000);
    await store.set('b', 'b', 1000);
    await store.set('c', 'c', 3000);
    await store.set('d', 'd', 2000);
    await store.set('a', 'a', 500); // now expires first
    await store.set('b', 'b', 10_000); // now expires last
    now += 2000;
    await store.set('e', 'e', 60_000); // drops a and d, leaves c and b
    expect(store.size).toBe(3);
    await store.set('f', 'f', 60_000);
    await expect(store.set('g', 'g', 60_000)).rejects.toMatchObject(FULL);
    now += 1000;
    await store.set('g', 'g', 60_000); // c expired
    expect([await store.get('b'), await store.get('c')]).toEqual(['b', null]);
  });

  it('F01b: a flood of distinct addresses cannot reset a per-address rate limit', async () => {
    let now = 0;
    const store = memoryStore({ maxEntries: 1000, now: () => now });
    const limiter = createRateLimiter(store, { perIp: [] });
    const victim = 'victim@example.com';
    for (let i = 0; i < 3; i++)
      expect(await limiter.check({ email: victim })).toEqual({ ok: true });
    expect(await limiter.check({ email: victim })).toMatchObject({ ok: false, scope: 'email' });

    let refused = 0;
    for (let i = 0; i < 5000; i++) {
      await limiter.check({ email: `user${i}@flood.example` }).catch((error: unknown) => {
        expect(error).toMatchObject(FULL);
        refused += 1;
      });
    }
    expect(refused).toBeGreaterThan(4000);
    expect(store.size).toBe(1000);

    // Within the same minute the victim's address is still limited: 429, never 303 again.
    now += 30_000;
    expect(await limiter.check({ email: victim })).toMatchObject({ ok: false, scope: 'email' });
  });

  it("F01: a flood cannot kill someone's pending sign-in or reset its code attempts", async () => {
    const store = memoryStore({ maxEntries: 100 });
    await store.set('pending:victim', 'binding', 900_000);
    await store.set('tok:victim', '{"e":"victim@example.com"}', 900_000);
    for (let i = 0; i < 4; i++) await store.increment('otpn:victim', 900_000);
    for (let i = 0; i < 1000; i++) {
      await store.set(`pending:flood${i}`, 'b', 900_000).catch(() => undefined);
      await store.increment(`rl:email:60000:flood${i}`, 60_000).catch(() => undefined);
    }
    expect(await store.take('pending:victim')).toBe('binding');
    expect(await store.take('tok:victim')).toBe('{"e":"victim@example.com"}');
    expect((await store.increment('otpn:victim', 900_000)).count).toBe(5);
  });

  it('behaves like a reference model (expiry, drop-on-write, refuse-when-full) under any sequence of operations', async () => {
    // Few keys, small bounds and TTLs that meet the clock steps exactly, so that re-used keys,
    // refusals and expiry on the boundary all happen often.
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
          // The reference: every entry held, expired ones included until a read of that key or
          // any write drops them, exactly as the store keeps them.
          const model = new Map<string, Held>();
          const live = (k: string): Held | undefined => {
            const held = model.get(k);
            if (held !== undefined && held.expiresAt <= now) model.delete(k);
            return held !== undefined && held.expiresAt > now ? held : undefined;
          };
          /** Whether the write is accepted. */
          const put = (k: string, value: string, expiresAt: number): boolean => {
            for (const [other, held] of model) if (held.expiresAt <= now) model.delete(other);
            if (!model.has(k) && model.size >= max) return false;
            model.set(k, { value, expiresAt });
            return true;
          };

          for (const o of ops) {
            const liveBefore = [...model].filter(([, h]) => h.expiresAt > now);
            switch (o.kind) {
              case 'advance':
                now += o.ms;
                break;
              case 'set': {
                const write = store.set(o.key, o.value, o.ttl);
                if (put(o.key, o.value, now + o.ttl)) await write;
                else await expect(write).rejects.toMatchObject(FULL);
                break;
              }
              case 'get':
                expect(await store.get(o.key)).toBe(live(o.key)?.value ?? null);
                break;
              case 'take':
                expect(await store.take(o.key)).toBe(live(o.key)?.value ?? null);
                model.delete(o.key);
                break;
              case 'increment': {
                const held = live(o.key);
                if (held !== undefined && String(Number(held.value)) !== held.value) {
                  await expect(store.increment(o.key, o.ttl)).rejects.toThrow(/non-counter/);
                  break;
                }
                const expiresAt = held?.expiresAt ?? now + o.ttl;
                const count = Number(held?.value ?? 0) + 1;
                const write = store.increment(o.key, o.ttl);
                if (put(o.key, String(count), expiresAt)) {
                  expect(await write).toEqual({ count, resetMs: expiresAt - now });
                } else {
                  await expect(write).rejects.toMatchObject(FULL);
                }
                break;
              }
              case 'delete':
                await store.delete(o.key);
                model.delete(o.key);
                break;
            }
            expect(store.size).toBe(model.size);
            expect(store.size).toBeLessThanOrEqual(max);
            // Nothing live was lost, except what this very operation took or deleted.
            for (const [k, held] of liveBefore) {
              if (
                held.expiresAt <= now ||
                ((o.kind === 'take' || o.kind === 'delete') && o.key === k)
              )
                continue;
              expect(model.has(k)).toBe(true);
            }
          }
          for (const [k, held] of model) {
            expect(await store.get(k)).toBe(held.expiresAt > now ? held.value : null);
          }
        },
      ),
      { numRuns: 1000 },
    );
  });

  it.each(['take', 'delete', 'expiry'] as const)(
    'a key removed by %s leaves room for a new one',
    async (how) => {
      let now = 0;
      const store = memoryStore({ maxEntries: 2, now: () => now });
      await store.set('a', 'old', 1000);
      await store.set('b', 'b', 70_000);
      await expect(store.set('c', 'c', 70_000)).rejects.toMatchObject(FULL);
      if (how === 'take') await store.take('a');
      if (how === 'delete') await store.delete('a');
      if (how === 'expiry') now += 1000;
      await store.set('c', 'c', 70_000);
      expect(await store.get('a')).toBeNull();
      expect(await store.get('b')).toBe('b');
      expect(await store.get('c')).toBe('c');
      expect(store.size).toBe(2);
    },
  );

  it('maxEntries of 1 keeps the first key until it goes', async () => {
    const store = memoryStore({ maxEntries: 1 });
    await store.set('a', '1', 60_000);
    await expect(store.set('b', '2', 60_000)).rejects.toMatchObject(FULL);
    expect(await store.get('a')).toBe('1');
    expect(await store.take('a')).toBe('1');
    await store.set('b', '2', 60_000);
    expect(await store.get('b')).toBe('2');
  });

  it('defaults to DEFAULT_MAX_ENTRIES', async () => {
    const store = memoryStore();
    const writes = Array.from({ length: DEFAULT_MAX_ENTRIES + 10 }, (_, i) =>
      store.set(`k${i}`, '', 60_000).then(
        () => true,
        () => false,
      ),
    );
    const accepted = (await Promise.all(writes)).filter(Boolean).length;
    expect(accepted).toBe(DEFAULT_MAX_ENTRIES);
    expect(store.size).toBe(DEFAULT_MAX_ENTRIES);
  });

  it('clear() drops everything', async () => {
    const store = memoryStore({ maxEntries: 1 });
    await store.set('a', '1', 60_000);
    store.clear();
    expect(store.size).toBe(0);
    expect(await store.get('a')).toBeNull();
    await store.set('b', '2', 60_000);
    expect(await store.get('b')).toBe('2');
  });
});

describe('memoryStore expiry', () => {
  it('drops an expired entry when it is read', async () => {
    let now = 0;
    const store = memoryStore({ now: () => now });
    await store.set('a', '1', 1000);
    now += 1000;
    expect(store.size).toBe(1);
    expect(await store.get('a')).toBeNull();
    expect(store.size).toBe(0);
  });

  it('drops every expired entry on the next write, and only those', async () => {
    let now = 0;
    const store = memoryStore({ now: () => now });
    for (let i = 0; i < 500; i++) await store.set(`short${i}`, 'v', 1000 + i);
    await store.set('long', 'v', 60_000);
    await store.increment('counter', 60_000);
    now += 1249;
    expect(store.size).toBe(502);
    await store.set('trigger', 'v', 1000);
    expect(store.size).toBe(503 - 250);
    now += 10_000;
    await store.increment('counter', 60_000);
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
