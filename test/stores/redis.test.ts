import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import { createClient } from 'redis';
import { MagicLinkError } from '../../lib/errors';
import { DEFAULT_PREFIX, redisStore } from '../../lib/stores/redis';
import type { IoRedisLikeClient, RedisStoreClient } from '../../lib/stores/redis';
import type { Store } from '../../lib/stores/store';
import { describeWithRedis } from '../helpers/redis';
import { realClockConformanceCases } from '../helpers/store-time';

type Kind = 'ioredis' | 'node-redis';
const KINDS: Kind[] = ['ioredis', 'node-redis'];

interface Connection {
  client: RedisStoreClient;
  /** Raw command, bypassing the store, to inspect what it wrote. */
  raw(...args: string[]): Promise<unknown>;
  /** Whether the client believes it is connected. */
  ready(): boolean;
  close(): void;
}

/**
 * `'default'` client options prove the store fails fast on its own; `'recommended'` are the
 * options its doc comment recommends.
 */
type Options = 'default' | 'recommended';

async function connect(kind: Kind, url: string, options: Options = 'default'): Promise<Connection> {
  const recommended = options === 'recommended';
  if (kind === 'ioredis') {
    const client = new Redis(
      url,
      recommended ? { enableOfflineQueue: false, maxRetriesPerRequest: 1 } : {},
    );
    client.on('error', () => undefined);
    await new Promise((resolve) => client.once('ready', resolve));
    return {
      client,
      raw: (command, ...args) => client.call(command, ...args),
      ready: () => client.status === 'ready',
      close: () => client.disconnect(),
    };
  }
  const client = createClient({ url, disableOfflineQueue: recommended });
  client.on('error', () => undefined);
  await client.connect();
  return {
    client,
    raw: (...args) => client.sendCommand(args),
    ready: () => client.isReady,
    close: () => client.destroy(),
  };
}

type Outcome =
  | { state: 'resolved'; value: unknown; ms: number }
  | { state: 'rejected'; error: unknown; ms: number }
  | { state: 'pending'; ms: number };

async function settle(promise: Promise<unknown>, limitMs: number): Promise<Outcome> {
  const start = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<Outcome>((resolve) => {
    timer = setTimeout(() => resolve({ state: 'pending', ms: performance.now() - start }), limitMs);
  });
  const outcome = await Promise.race([
    promise.then(
      (value): Outcome => ({ state: 'resolved', value, ms: performance.now() - start }),
      (error: unknown): Outcome => ({ state: 'rejected', error, ms: performance.now() - start }),
    ),
    timeout,
  ]);
  clearTimeout(timer);
  return outcome;
}

function everyMethod(store: Store, key: string): Promise<unknown>[] {
  return [
    store.get(key),
    store.set(key, 'v', 60_000),
    store.take(key),
    store.increment(key, 60_000),
    store.delete(key),
  ];
}

function expectUnavailable(outcome: Outcome, withinMs: number): void {
  expect(outcome.state).toBe('rejected');
  expect(outcome.ms).toBeLessThan(withinMs);
  if (outcome.state !== 'rejected') return;
  expect(outcome.error).toBeInstanceOf(MagicLinkError);
  expect((outcome.error as MagicLinkError).code).toBe('ERR_STORE_UNAVAILABLE');
}

/**
 * A commandTimeoutMs that nothing here waits out: a store built with it that rejects well before
 * it did not wait for the timeout, however slow the machine.
 */
const PATIENT_TIMEOUT_MS = 20_000;
/** Well short of PATIENT_TIMEOUT_MS, and far longer than a busy machine needs to reject. */
const AT_ONCE_MS = 10_000;
/** How long settle() waits before calling a method's promise pending (hung). */
const HUNG_MS = PATIENT_TIMEOUT_MS + 5_000;

/**
 * A store for the healthy-path checks: the 1 s default command timeout is a production choice, and
 * a busy machine has taken longer than that for a round trip to a healthy local Redis.
 */
function patientStore(client: RedisStoreClient, options: { prefix?: string } = {}): Store {
  return redisStore(client, { ...options, commandTimeoutMs: PATIENT_TIMEOUT_MS });
}

async function eventually(check: () => Promise<void>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

describeWithRedis('redisStore', (redis) => {
  for (const kind of KINDS) {
    describe(`with ${kind}`, () => {
      let connection: Connection;
      beforeAll(async () => {
        connection = await connect(kind, redis().url);
      });
      afterAll(() => connection.close());

      describe('conformance', () => {
        for (const c of realClockConformanceCases(() => patientStore(connection.client))) {
          it(c.name, c.run);
        }
      });

      it('writes under the default prefix, with a PX expiry', async () => {
        const key = randomUUID();
        await patientStore(connection.client).set(key, 'v', 60_000);
        expect(await connection.raw('GET', `${DEFAULT_PREFIX}${key}`)).toBe('v');
        const pttl = Number(await connection.raw('PTTL', `${DEFAULT_PREFIX}${key}`));
        expect(pttl).toBeGreaterThan(59_000);
        expect(pttl).toBeLessThanOrEqual(60_000);
      });

      it('keeps stores with different prefixes apart', async () => {
        const key = randomUUID();
        const a = patientStore(connection.client, { prefix: 'app-a:' });
        const b = patientStore(connection.client, { prefix: 'app-b:' });
        await a.set(key, 'a', 60_000);
        expect(await b.get(key)).toBeNull();
        expect(await connection.raw('GET', `app-a:${key}`)).toBe('a');
      });

      it('increment gives a counter that has no expiry one, rather than keeping it forever', async () => {
        const key = randomUUID();
        await connection.raw('SET', `${DEFAULT_PREFIX}${key}`, '5');
        expect(await patientStore(connection.client).increment(key, 30_000)).toEqual({
          count: 6,
          resetMs: 30_000,
        });
        expect(Number(await connection.raw('PTTL', `${DEFAULT_PREFIX}${key}`))).toBeGreaterThan(0);
      });

      it('rounds a fractional TTL up to whole milliseconds', async () => {
        const key = randomUUID();
        const store = patientStore(connection.client);
        await store.set(key, 'v', 0.2);
        expect(Number(await connection.raw('PTTL', `${DEFAULT_PREFIX}${key}`))).toBeLessThanOrEqual(
          1,
        );
      });

      it('waitForReplicas on a server without replicas: every write fails closed, reads still work', async () => {
        const key = randomUUID();
        const store = redisStore(connection.client, {
          commandTimeoutMs: PATIENT_TIMEOUT_MS,
          waitForReplicas: 1,
          waitTimeoutMs: 50,
        });
        const refusals = await Promise.allSettled([
          store.set(key, 'v', 60_000),
          store.increment(`${key}:n`, 60_000),
          store.delete(`${key}:gone`),
        ]);
        for (const refusal of refusals) {
          expect(refusal).toMatchObject({
            status: 'rejected',
            reason: { code: 'ERR_STORE_UNAVAILABLE' },
          });
          expect(String((refusal as PromiseRejectedResult).reason)).toMatch(
            /0 of 1 replica acknowledged the write within 50 ms \(waitForReplicas\)/,
          );
        }
        // The write itself happened on the master; it is the acknowledgement that is missing.
        expect(await store.get(key)).toBe('v');
        await expect(store.take(key)).rejects.toMatchObject({ code: 'ERR_STORE_UNAVAILABLE' });
        expect(await store.get(key)).toBeNull();
        expect(await store.take(key)).toBeNull();
      });

      it('rejects a bad TTL without sending anything', async () => {
        const store = redisStore(connection.client);
        await expect(store.set('k', 'v', 0)).rejects.toThrow(TypeError);
        await expect(store.increment('k', Number.NaN)).rejects.toThrow(
          /redisStore: ttlMs must be a positive number/,
        );
      });
    });
  }

  describe('before Redis 6.2 (no GETDEL)', () => {
    let connection: Connection;
    beforeAll(async () => {
      connection = await connect('ioredis', redis().url);
    });
    afterAll(() => connection.close());

    function withoutGetDel(): IoRedisLikeClient {
      const real = connection.client as IoRedisLikeClient;
      return {
        get status() {
          return real.status;
        },
        call(command, ...args) {
          if (command.toUpperCase() === 'GETDEL') {
            return Promise.reject(
              new Error("ERR unknown command 'GETDEL', with args beginning with: "),
            );
          }
          return real.call(command, ...args);
        },
      };
    }

    for (const c of realClockConformanceCases(() => patientStore(withoutGetDel()))) {
      if (/take/.test(c.name)) it(c.name, c.run);
    }
  });
});

describeWithRedis('redisStore when Redis fails', (redis) => {
  for (const [kind, options] of KINDS.flatMap((k) =>
    (['default', 'recommended'] as const).map((o) => [k, o] as const),
  )) {
    it(`${kind}, ${options} options: every method rejects promptly once Redis is killed, and recovers after restart`, async () => {
      const connection = await connect(kind, redis().url, options);
      try {
        // The default 1 s timeout for the methods under test; a patient store for the checks.
        const store = redisStore(connection.client);
        const patient = patientStore(connection.client);
        await patient.set('survivor', 'v', 60_000);
        expect(await patient.get('survivor')).toBe('v');

        redis().kill();
        // At once: the client may not have noticed yet, so this exercises the (1 s) timeout too.
        for (const outcome of await Promise.all(
          everyMethod(store, 'k').map((p) => settle(p, HUNG_MS)),
        )) {
          expectUnavailable(outcome, AT_ONCE_MS);
        }
        await eventually(async () => expect(connection.ready()).toBe(false), 20_000);
        // Now the client knows it is disconnected: no waiting in its offline queue, nor for the
        // command timeout (a patient store would wait 20 s for that).
        for (const outcome of await Promise.all(
          everyMethod(patient, 'k').map((p) => settle(p, HUNG_MS)),
        )) {
          expectUnavailable(outcome, AT_ONCE_MS);
        }

        await redis().restart();
        await eventually(async () => {
          await store.set('after', 'restart', 60_000);
        }, 20_000);
        expect(await patient.get('after')).toBe('restart');
        expect(await patient.take('after')).toBe('restart');
        expect((await patient.increment('counter', 60_000)).count).toBe(1);
      } finally {
        connection.close();
      }
    }, 60_000);

    it(`${kind}, ${options} options: a hung Redis makes every method reject after commandTimeoutMs`, async () => {
      const connection = await connect(kind, redis().url, options);
      try {
        const store = redisStore(connection.client, { commandTimeoutMs: 300 });
        // The setup and the checks after the hang go through the same client, patiently.
        const patient = patientStore(connection.client);
        await patient.set('before', 'hang', 60_000);

        redis().pause();
        try {
          // Not before the timeout; after it, with slack for a busy machine, and never hung.
          for (const outcome of await Promise.all(
            everyMethod(store, 'k').map((p) => settle(p, HUNG_MS)),
          )) {
            expectUnavailable(outcome, AT_ONCE_MS);
            expect(outcome.ms).toBeGreaterThanOrEqual(250);
          }
        } finally {
          redis().resume();
        }

        // The late replies to the abandoned commands must not be mistaken for the next ones.
        await patient.set('after', 'resume', 60_000);
        expect(await patient.get('after')).toBe('resume');
        expect(await patient.get('before')).toBe('hang');
      } finally {
        connection.close();
      }
    });
  }

  it('a node-redis client that was never connected rejects at once', async () => {
    const client = createClient({ url: redis().url });
    const store = redisStore(client, { commandTimeoutMs: PATIENT_TIMEOUT_MS });
    const outcome = await settle(store.get('k'), HUNG_MS);
    expectUnavailable(outcome, AT_ONCE_MS);
    expect(String((outcome as { error: unknown }).error)).toMatch(/client\.connect\(\)/);
  });

  it('an ioredis client created with lazyConnect says to connect it', async () => {
    const client = new Redis(redis().url, { lazyConnect: true });
    try {
      const store = redisStore(client, { commandTimeoutMs: PATIENT_TIMEOUT_MS });
      const outcome = await settle(store.get('k'), HUNG_MS);
      expectUnavailable(outcome, AT_ONCE_MS);
      expect(String((outcome as { error: unknown }).error)).toMatch(/lazyConnect/);
    } finally {
      client.disconnect();
    }
  });
});

describe('redisStore construction', () => {
  it.each([
    ['null', null],
    ['a URL', 'redis://localhost:6379'],
    ['an options object', { host: 'localhost', port: 6379 }],
    ['undefined', undefined],
  ])('throws a TypeError that says the fix for %s', (_label, client) => {
    expect(() => redisStore(client as never)).toThrow(TypeError);
    expect(() => redisStore(client as never)).toThrow(
      /^redisStore: client .*Pass the client itself/,
    );
  });

  it('names node-redis v3 as unsupported', () => {
    const v3Like = { sendCommand: () => undefined, connected: true };
    expect(() => redisStore(v3Like as never)).toThrow(/^redisStore: client .*v3 is not supported/);
  });

  it('validates options', () => {
    const client = { status: 'ready', call: async () => null };
    expect(() => redisStore(client, { prefix: 5 as never })).toThrow(
      /^redisStore: prefix must be a string/,
    );
    expect(() => redisStore(client, { commandTimeoutMs: 0 })).toThrow(
      /^redisStore: commandTimeoutMs must be a positive number/,
    );
    expect(() => redisStore(client, { waitForReplicas: 1.5 })).toThrow(
      /^redisStore: waitForReplicas must be a whole number/,
    );
    expect(() => redisStore(client, { waitForReplicas: 1, waitTimeoutMs: 0 })).toThrow(
      /^redisStore: waitTimeoutMs must be a positive whole number/,
    );
    const clusterWithoutMulti = {
      isReady: true,
      masters: [],
      sendCommand: async () => null,
    };
    expect(() => redisStore(clusterWithoutMulti, { waitForReplicas: 1 })).toThrow(
      /^redisStore: waitForReplicas needs a client that can send WAIT/,
    );
    expect(() => redisStore(clusterWithoutMulti)).not.toThrow();
  });

  it('routes node-redis cluster commands by key', async () => {
    const calls: unknown[][] = [];
    const cluster = {
      isReady: true,
      masters: [],
      async sendCommand(firstKey: string, isReadonly: boolean, args: string[]) {
        calls.push([firstKey, isReadonly, args]);
        return args[0] === 'EVAL' ? [1, 500] : 'v';
      },
    };
    const store = redisStore(cluster, { prefix: 'p:' });
    expect(await store.get('a')).toBe('v');
    expect(await store.increment('b', 500)).toEqual({ count: 1, resetMs: 500 });
    expect(calls[0]).toEqual(['p:a', false, ['GET', 'p:a']]);
    expect(calls[1]?.[0]).toBe('p:b');
  });

  it('uses the promise API of node-redis v4 in legacyMode', async () => {
    const sent: string[][] = [];
    const legacy = {
      isReady: true,
      sendCommand: () => {
        throw new Error('legacy callback API must not be used');
      },
      v4: {
        async sendCommand(args: string[]) {
          sent.push(args);
          return null;
        },
      },
    };
    expect(await redisStore(legacy).get('a')).toBeNull();
    expect(sent).toEqual([['GET', 'mlink:a']]);
  });

  it('rejects an unexpected reply rather than guessing', async () => {
    const client = { status: 'ready', call: async () => 42 };
    await expect(redisStore(client).get('k')).rejects.toMatchObject({
      code: 'ERR_STORE_UNAVAILABLE',
    });
    await expect(redisStore(client).increment('k', 1000)).rejects.toMatchObject({
      code: 'ERR_STORE_UNAVAILABLE',
    });
  });
});
