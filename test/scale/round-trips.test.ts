import request from 'supertest';
import Redis from 'ioredis';
import { memoryStore, redisStore } from '../../lib/index';
import type { Store } from '../../lib/index';
import { postgresStore } from '../../lib/stores/postgres';
import type { PgPoolLike } from '../../lib/stores/postgres';
import { createTestApp } from '../helpers/app';
import { describeWithPostgres } from '../helpers/postgres';
import { describeWithRedis } from '../helpers/redis';

// Round trips to the store for one request for a link (self-hosted provider, our mailer), per
// store: Redis commands and MULTIs sent, Postgres messages sent, memoryStore calls made.
// "before" is the same store with setMany and incrementMany hidden, so every write and every
// counter is its own round trip, as it was before either existed.

/**
 * Round trips of one link request with setMany and incrementMany: the request's four counters
 * (two per IP, two per address) in one, then, in the background after allow(), the pending
 * record in one and the provider's token and code binding in one. See docs/postgres.md for why
 * it is not one.
 */
const EXPECTED_ROUND_TRIPS = 3;

/** The same store, without setMany or incrementMany: the router then makes one call per key. */
function withoutBatches(store: Store): Store {
  return {
    get: (k) => store.get(k),
    set: (k, v, t) => store.set(k, v, t),
    take: (k) => store.take(k),
    increment: (k, t) => store.increment(k, t),
    delete: (k) => store.delete(k),
  };
}

/** Round trips of one POST /auth/magic-link, the background send included. */
async function roundTripsOfOneRequest(
  store: Store,
  count: () => number,
  email: string,
): Promise<number> {
  const app = await createTestApp({ provider: 'self-hosted', store });
  try {
    // A first request creates the per-IP counters; the second is the one counted.
    await request(app.url)
      .post('/auth/magic-link')
      .type('form')
      .send({ email: `warm-${email}` });
    await app.settled();
    const before = count();
    const res = await request(app.url).post('/auth/magic-link').type('form').send({ email });
    expect(res.status).toBe(303);
    await app.settled();
    return count() - before;
  } finally {
    await app.close();
  }
}

async function compare(
  name: string,
  make: () => { store: Store; count: () => number },
): Promise<void> {
  const plain = make();
  const before = await roundTripsOfOneRequest(
    withoutBatches(plain.store),
    plain.count,
    `b-${name}@example.com`,
  );
  const batched = make();
  const after = await roundTripsOfOneRequest(batched.store, batched.count, `a-${name}@example.com`);
  console.log(
    `${name}: ${before} round trips per link request without setMany and incrementMany, ${after} with them`,
  );
  // Seven calls without batches: four counters, the pending record, the token, the code binding.
  expect(before).toBe(7);
  expect(after).toBe(EXPECTED_ROUND_TRIPS);
}

describe('store round trips per link request', () => {
  it('memoryStore: calls', async () => {
    await compare('memoryStore', () => {
      const inner = memoryStore();
      let calls = 0;
      const counted = (f: (...a: never[]) => unknown) =>
        ((...a: never[]) => {
          calls += 1;
          return f(...a);
        }) as never;
      const store: Store = {
        get: counted(inner.get),
        set: counted(inner.set),
        take: counted(inner.take),
        increment: counted(inner.increment),
        delete: counted(inner.delete),
        setMany: counted(inner.setMany),
        incrementMany: counted(inner.incrementMany),
      };
      return { store, count: () => calls };
    });
  }, 60_000);
});

describeWithRedis('store round trips per link request: Redis', (redis) => {
  it('redisStore: commands and MULTIs sent', async () => {
    const client = new Redis(redis().url, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
    client.on('error', () => undefined);
    await new Promise((resolve) => client.once('ready', resolve));
    try {
      await compare('redisStore', () => {
        let sent = 0;
        const counted = {
          get status() {
            return client.status;
          },
          call: (command: string, ...args: (string | number)[]) => {
            sent += 1;
            return client.call(command, ...args);
          },
          multi: () => {
            sent += 1;
            return client.multi();
          },
        };
        return { store: redisStore(counted), count: () => sent };
      });
    } finally {
      client.disconnect();
    }
  }, 60_000);
});

describeWithPostgres('store round trips per link request: Postgres', (pg) => {
  it('postgresStore: messages sent', async () => {
    const pool = pg().pool();
    await postgresStore(pool).ensureSchema();
    await compare('postgresStore', () => {
      let sent = 0;
      const counted: PgPoolLike = {
        async connect() {
          const client = await pool.connect();
          return {
            query: (text: string) => {
              sent += 1;
              return client.query(text);
            },
            release: (destroy?: boolean | Error) => client.release(destroy),
          };
        },
      };
      return { store: postgresStore(counted), count: () => sent };
    });
  }, 60_000);
});
