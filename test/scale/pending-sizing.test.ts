import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import express from 'express';
import session from 'express-session';
import request from 'supertest';
import { magicLinkRouter, memoryStore, selfHostedProvider } from '../../lib/index';
import type { Store } from '../../lib/index';
import { postgresStore } from '../../lib/stores/postgres';
import { describeWithPostgres } from '../helpers/postgres';

// Bytes per pending self-hosted sign-in (pending record, token record, code binding, two
// per-address counters: five keys), measured through the real router; docs/postgres.md's sizing table
// comes from what this prints. Redis's figure is test/scale/redis-sizing.test.ts.

const N = 1000;
const PARALLEL = 25;
const SECRET = 'sizing-secret-0123456789abcdef0123456789abcdef';

/** Asks for N links, each for a new address, through a real router on `store`. */
async function signIns(store: Store): Promise<void> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const app = express();
  app.use(session({ secret: SECRET, resave: false, saveUninitialized: false }));
  const router = magicLinkRouter({
    provider: selfHostedProvider(),
    delivery: async () => undefined,
    store,
    secret: SECRET,
    origin: url,
    rateLimit: { perIp: [{ limit: 100 * N, windowMs: 60_000 }] },
  });
  app.use(router);
  server.on('request', app);
  try {
    for (let i = 0; i < N; i += PARALLEL) {
      await Promise.all(
        Array.from({ length: PARALLEL }, async (_, j) => {
          const email = `person-${i + j}-${Math.random().toString(36).slice(2, 10)}@example.com`;
          const res = await request(url).post('/auth/magic-link').type('form').send({ email });
          expect(res.status).toBe(303);
        }),
      );
    }
    await router.drain();
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

describe('memoryStore: heap per pending self-hosted sign-in', () => {
  it(`measures ${N} sign-ins, written back into an empty store`, async () => {
    // What the router wrote, captured, then replayed into a fresh store between two full GCs,
    // so the figure holds the store's entries and nothing of the HTTP machinery.
    const inner = memoryStore({ maxEntries: 1_000_000 });
    const keys = new Set<string>();
    const recording: Store = {
      get: (k) => inner.get(k),
      set: (k, v, t) => (keys.add(k), inner.set(k, v, t)),
      setMany: (entries) => (entries.forEach((e) => keys.add(e.key)), inner.setMany(entries)),
      take: (k) => inner.take(k),
      increment: (k, t) => (keys.add(k), inner.increment(k, t)),
      delete: (k) => inner.delete(k),
    };
    await signIns(recording);
    const live: [string, string][] = [];
    for (const k of keys) {
      const v = inner.getSync(k);
      if (v !== null && !k.startsWith('rl:ip')) live.push([k, v]);
    }
    inner.clear();
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const copy = memoryStore({ maxEntries: 1_000_000 });
    // Several collections, a turn of the event loop apart: the router's sockets and buffers
    // from signIns() must be gone before `before` is read, or the figure can come out negative.
    const settle = async () => {
      for (let i = 0; i < 3; i++) {
        gc();
        await new Promise((resolve) => setImmediate(resolve));
      }
      gc();
    };
    await settle();
    const before = process.memoryUsage().heapUsed;
    // Flat copies of every key and value, as a store fed from the network holds; `live` stays
    // alive across both measurements, so only the store's entries are counted.
    for (const [k, v] of live) {
      await copy.set(Buffer.from(k).toString(), Buffer.from(v).toString(), 3_600_000);
    }
    await settle();
    const bytes = (process.memoryUsage().heapUsed - before) / N;
    expect(live.length).toBeGreaterThan(0);
    console.log(
      `memoryStore: ${(copy.size / N).toFixed(1)} keys, ${Math.round(bytes)} B of heap per pending self-hosted sign-in`,
    );
    expect(copy.size / N).toBeGreaterThanOrEqual(3);
    expect(bytes).toBeGreaterThan(200);
    // About 1,290 B measured (1,313 B before the pending record dropped its binding). Still
    // over the 1 KB aim (see docs/postgres.md "Sizing"): this catches growth, not the aim.
    expect(bytes).toBeLessThan(1500);
  }, 300_000);
});

describeWithPostgres(
  'postgresStore: table and index bytes per pending self-hosted sign-in',
  (pg) => {
    it(`measures ${N} sign-ins`, async () => {
      const pool = pg().pool();
      const store = postgresStore(pool, { statementTimeoutMs: 10_000 });
      await store.ensureSchema();
      // The per-IP counters are shared by every sign-in; one sign-in creates them first.
      const size = async () => {
        const { rows } = await pool.query(
          `SELECT pg_total_relation_size('magic_link_store')::bigint AS bytes, (SELECT count(*) FROM magic_link_store)::int AS n`,
        );
        return { bytes: Number(rows[0].bytes), rows: rows[0].n as number };
      };
      const before = await size();
      await signIns(store);
      const after = await size();
      const bytes = (after.bytes - before.bytes) / N;
      console.log(
        `postgresStore (Postgres ${String((await pool.query('SHOW server_version')).rows[0].server_version)}): ` +
          `${((after.rows - before.rows) / N).toFixed(1)} rows, ${Math.round(bytes)} B of table and indexes per pending self-hosted sign-in`,
      );
      expect(after.rows - before.rows).toBeGreaterThanOrEqual(3 * N);
      expect(bytes).toBeGreaterThan(200);
      // About 1,200 B measured (1,696 B before rows were keyed by a 16-byte digest of the key).
      // Still over the 1 KB aim (see docs/postgres.md "Sizing"): this catches growth.
      expect(bytes).toBeLessThan(1400);
    }, 300_000);
  },
);
