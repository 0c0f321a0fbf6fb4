import { createHash, randomBytes } from 'node:crypto';
import type Redis from 'ioredis';
import { createClient } from 'redis';
import { MagicLinkError } from '../../lib/errors';
import { DEFAULT_PREFIX, redisStore } from '../../lib/stores/redis';
import type { Store } from '../../lib/stores/store';
import { storeConformanceCases } from '../../lib/testing/store-suite';
import { connectIoredis, describeWithRedis } from '../helpers/redis';

// What redisStore leaves in Redis, and what Redis does with it when memory runs out. Each block
// gets its own redis-server, so a SCAN of the whole server sees only what these tests wrote.

const MINUTE = 60_000;
// These tests send hundreds of commands at once on a shared machine; they are about memory, not
// about failing fast, so no command should give up after the default second.
const PATIENT_MS = 30_000;
const PENDING_TTL_MS = 15 * MINUTE;

const id22 = () => randomBytes(16).toString('base64url');
const b64u43 = () => randomBytes(32).toString('base64url');
const digest = (text: string) => createHash('sha256').update(text).digest('base64url');

/** A self-hosted token record as the provider writes it (`{ e, b, s, c, x }`), about 400 bytes. */
function tokenRecord(): string {
  return JSON.stringify({
    e: `someone.${id22()}@example.com`,
    b: b64u43(),
    s: randomBytes(172).toString('base64url'),
    c: b64u43(),
    x: Date.now() + PENDING_TTL_MS,
  });
}

/**
 * What the router writes for one sign-in to a fresh address from a shared IP, plus what the
 * self-hosted provider writes (a token record and a code binding) when `selfHosted`.
 */
async function signIn(store: Store, selfHosted = true): Promise<void> {
  const email = digest(`${id22()}@example.com`);
  await store.increment(`rl:ip:60000:127.0.0.1`, MINUTE);
  await store.increment(`rl:ip:3600000:127.0.0.1`, 60 * MINUTE);
  await store.increment(`rl:email:60000:${email}`, MINUTE);
  await store.increment(`rl:email:3600000:${email}`, 60 * MINUTE);
  const binding = b64u43();
  if (selfHosted) {
    const tokenHash = b64u43();
    await store.set(`tok:${tokenHash}`, tokenRecord(), PENDING_TTL_MS);
    await store.set(`otp:${binding}`, tokenHash, PENDING_TTL_MS);
  }
  await store.set(`pending:${id22()}`, binding, PENDING_TTL_MS);
}

async function usedMemory(client: Redis): Promise<number> {
  const info = await client.info('memory');
  return Number(/^used_memory:(\d+)/m.exec(info)![1]);
}

async function scanAll(client: Redis): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await client.scan(cursor, 'COUNT', 1000);
    keys.push(...batch);
    cursor = next;
  } while (cursor !== '0');
  return keys;
}

function expectStoreFull(error: unknown): void {
  expect(error).toBeInstanceOf(MagicLinkError);
  expect(error).toMatchObject({ code: 'ERR_STORE_UNAVAILABLE', status: 503 });
  expect(String((error as MagicLinkError).cause)).toMatch(/OOM/);
}

describeWithRedis('redisStore: every key it writes has a TTL', (redis) => {
  it('a SCAN of the whole server after every kind of write finds no key without an expiry', async () => {
    const io = await connectIoredis(redis().url);
    const nodeRedis = createClient({ url: redis().url, disableOfflineQueue: true });
    nodeRedis.on('error', () => undefined);
    await nodeRedis.connect();
    try {
      await io.flushall();
      for (const client of [io, nodeRedis]) {
        const store = redisStore(client, { commandTimeoutMs: PATIENT_MS });
        // Every rule of the contract, then the writes of real sign-ins, including a spent and
        // given-back pending record, a code attempt counter and a failure counter.
        for (const c of storeConformanceCases(() => store)) await c.run();
        for (let i = 0; i < 20; i++) await signIn(store);
        const pending = `pending:${id22()}`;
        await store.set(pending, b64u43(), PENDING_TTL_MS);
        const binding = await store.take(pending);
        await store.set(pending, binding!, PENDING_TTL_MS);
        await store.set(`rescue:${id22()}`, 'code', 10 * MINUTE);
        await store.increment(`otpn:${b64u43()}`, PENDING_TTL_MS);
        await store.increment(`rl:code:${b64u43()}`, 60 * MINUTE);
      }

      const keys = await scanAll(io);
      expect(keys.length).toBeGreaterThan(150);
      let withTtl = 0;
      for (const key of keys) {
        expect(key.startsWith(DEFAULT_PREFIX)).toBe(true);
        const pttl = await io.pttl(key);
        // -1: the key exists and has no expiry. -2: it expired between SCAN and PTTL.
        expect({ key, pttl }).not.toEqual({ key, pttl: -1 });
        if (pttl > 0) {
          withTtl += 1;
          expect(pttl).toBeLessThanOrEqual(60 * MINUTE);
        }
      }
      expect(withTtl).toBeGreaterThan(150);
    } finally {
      io.disconnect();
      nodeRedis.destroy();
    }
  }, 120_000);
});

describeWithRedis('redisStore: memory per key (the figures in docs/stores.md)', (redis) => {
  let client: Redis;
  beforeAll(async () => {
    client = await connectIoredis(redis().url);
  });
  afterAll(() => client.disconnect());

  it('measures MEMORY USAGE and used_memory per pending record, counter, token and sign-in', async () => {
    const store = redisStore(client, { commandTimeoutMs: PATIENT_MS });
    // Enough for the hash tables' share to show, few enough for a shared 2-core machine.
    const N = 10_000;
    const kinds: Record<string, () => Promise<string>> = {
      'pending record': async () => {
        const key = `pending:${id22()}`;
        await store.set(key, b64u43(), PENDING_TTL_MS);
        return key;
      },
      'rate-limit counter': async () => {
        const key = `rl:email:60000:${digest(id22())}`;
        await store.increment(key, MINUTE);
        return key;
      },
      'self-hosted token': async () => {
        const key = `tok:${b64u43()}`;
        await store.set(key, tokenRecord(), PENDING_TTL_MS);
        return key;
      },
      'WorkOS sign-in (pending record + 2 address counters)': async () => {
        await signIn(store, false);
        return '';
      },
      'self-hosted sign-in (pending + token + code binding + 2 address counters)': async () => {
        await signIn(store);
        return '';
      },
    };

    const measured: Record<string, { memoryUsage: number; usedMemoryPerItem: number }> = {};
    for (const [name, write] of Object.entries(kinds)) {
      await client.flushall();
      // The per-IP counters of signIn() are shared by every sign-in; create them first.
      await signIn(store);
      await client.flushall();
      const before = await usedMemory(client);
      const keys: string[] = [];
      for (let i = 0; i < N; i += 200) {
        keys.push(...(await Promise.all(Array.from({ length: 200 }, write))));
      }
      const perItem = ((await usedMemory(client)) - before) / N;
      let memoryUsage = 0;
      if (keys[0] !== '') {
        const samples = await Promise.all(
          keys
            .slice(0, 50)
            .map(async (key) =>
              Number(await client.call('MEMORY', 'USAGE', DEFAULT_PREFIX + key, 'SAMPLES', '0')),
            ),
        );
        memoryUsage = Math.max(...samples);
        for (const key of keys.slice(0, 50)) {
          expect(await client.pttl(DEFAULT_PREFIX + key)).toBeGreaterThan(0);
        }
      }
      measured[name] = { memoryUsage, usedMemoryPerItem: Math.round(perItem) };
    }
    console.log(
      [
        `redis ${String(/redis_version:(\S+)/.exec(await client.info('server'))?.[1])}, ` +
          `${N} items of each kind, key prefix ${JSON.stringify(DEFAULT_PREFIX)}`,
        ...Object.entries(measured).map(
          ([name, m]) =>
            `${name}: MEMORY USAGE ${m.memoryUsage || '-'} B, used_memory ${m.usedMemoryPerItem} B per item, ` +
            `${(m.usedMemoryPerItem / 1.048576).toFixed(0)} MB per million`,
        ),
      ].join('\n'),
    );

    // Loose bounds: roughly twice what Redis 7.0 with jemalloc measures.
    expect(measured['pending record']!.memoryUsage).toBeLessThan(300);
    expect(measured['pending record']!.usedMemoryPerItem).toBeLessThan(400);
    expect(measured['rate-limit counter']!.memoryUsage).toBeLessThan(300);
    expect(measured['rate-limit counter']!.usedMemoryPerItem).toBeLessThan(400);
    expect(measured['self-hosted token']!.memoryUsage).toBeLessThan(1000);
    expect(measured['self-hosted token']!.usedMemoryPerItem).toBeLessThan(1200);
    expect(
      measured['WorkOS sign-in (pending record + 2 address counters)']!.usedMemoryPerItem,
    ).toBeLessThan(1200);
    expect(
      measured['self-hosted sign-in (pending + token + code binding + 2 address counters)']!
        .usedMemoryPerItem,
    ).toBeLessThan(2500);
  }, 120_000);

  it('a token record in that measurement is about 400 bytes, as the provider writes', () => {
    for (let i = 0; i < 20; i++) {
      expect(tokenRecord().length).toBeGreaterThan(370);
      expect(tokenRecord().length).toBeLessThan(430);
    }
  });
});

describeWithRedis('redisStore when Redis reaches maxmemory', (redis) => {
  let client: Redis;
  beforeAll(async () => {
    client = await connectIoredis(redis().url);
  });
  afterAll(() => client.disconnect());
  afterEach(async () => {
    await client.config('SET', 'maxmemory', '0');
    await client.config('SET', 'maxmemory-policy', 'noeviction');
    await client.flushall();
  });

  /** Caps Redis at what it uses now plus `headroom` bytes, under `policy`. */
  async function cap(policy: string, headroom: number): Promise<void> {
    await client.config('SET', 'maxmemory-policy', policy);
    await client.config('SET', 'maxmemory', String((await usedMemory(client)) + headroom));
  }

  it('noeviction (recommended): new writes fail closed with ERR_STORE_UNAVAILABLE, and nothing is lost', async () => {
    const store = redisStore(client, { commandTimeoutMs: PATIENT_MS });
    await store.set('pending:victim', 'binding', PENDING_TTL_MS);
    for (let i = 0; i < 3; i++) await store.increment('rl:email:60000:victim', MINUTE);
    await cap('noeviction', 1_000_000);

    const accepted: string[] = [];
    let refusal: unknown;
    for (let i = 0; refusal === undefined && i < 100_000; i++) {
      const key = `pending:flood${i}`;
      await store.set(key, b64u43(), PENDING_TTL_MS).then(
        () => accepted.push(key),
        (error: unknown) => {
          refusal = error;
        },
      );
    }
    expectStoreFull(refusal);
    expect(accepted.length).toBeGreaterThan(1000);
    // used_memory moves a little from one command to the next, so a write right after the first
    // refusal may still fit. Pin Redis well past full for the checks that follow.
    await client.config('SET', 'maxmemory', '1');

    // Full: a new counter, and even a counter it holds, fail closed: a limit answers 503, never
    // a fresh count of 1.
    await expect(store.increment('rl:email:60000:new', MINUTE)).rejects.toMatchObject({
      code: 'ERR_STORE_UNAVAILABLE',
    });
    await expect(store.increment('rl:email:60000:victim', MINUTE)).rejects.toMatchObject({
      code: 'ERR_STORE_UNAVAILABLE',
    });
    // Reads, take and delete still work, and every key written is still there.
    expect(await store.get('pending:victim')).toBe('binding');
    expect(await client.dbsize()).toBe(accepted.length + 2);
    expect(await store.take('pending:victim')).toBe('binding');
    await store.delete(accepted[0]!);

    await client.config('SET', 'maxmemory', '0');
    expect(await store.increment('rl:email:60000:victim', MINUTE)).toMatchObject({ count: 4 });
  });

  it.each(['volatile-lru', 'allkeys-lru', 'volatile-ttl', 'volatile-random'])(
    '%s: a flood silently evicts pending sign-ins and counters (why docs/stores.md says noeviction)',
    async (policy) => {
      const store = redisStore(client, { commandTimeoutMs: PATIENT_MS });
      const early = Array.from({ length: 200 }, (_, i) => `pending:early${i}`);
      for (const key of early) await store.set(key, 'binding', PENDING_TTL_MS);
      for (let i = 0; i < 200; i++) await store.increment(`rl:email:60000:early${i}`, MINUTE);
      await cap(policy, 1_000_000);

      // About three times what fits, and Redis accepts every write.
      const flood = 20_000;
      for (let i = 0; i < flood; i += 200) {
        await Promise.all(
          Array.from({ length: 200 }, (_, j) =>
            store.set(`pending:flood${i + j}`, b64u43(), PENDING_TTL_MS),
          ),
        );
      }
      expect(await client.dbsize()).toBeLessThan(flood);
      const survivingPending = (await Promise.all(early.map((key) => store.get(key)))).filter(
        (value) => value !== null,
      ).length;
      const counts = await Promise.all(
        Array.from({ length: 200 }, (_, i) => store.increment(`rl:email:60000:early${i}`, MINUTE)),
      );
      const resetCounters = counts.filter(({ count }) => count === 1).length;
      console.log(
        `${policy}: ${200 - survivingPending} of 200 pending sign-ins and ${resetCounters} of 200 ` +
          'counters evicted by a flood of 20,000 writes at maxmemory',
      );
      expect(survivingPending + (200 - resetCounters)).toBeLessThan(400);
    },
  );
});
