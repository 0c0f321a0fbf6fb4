import { randomUUID } from 'node:crypto';
import { DEFAULT_PREFIX, redisStore } from '../../lib/stores/redis';
import type { Store } from '../../lib/stores/store';
import { connectCluster, describeWithRedisCluster, slotOf } from '../helpers/redis-cluster';
import type { ClusterClientKind, ClusterConnection } from '../helpers/redis-cluster';
import { realClockConformanceCases } from '../helpers/store-time';

// redisStore against a real Redis Cluster (three masters on loopback), through ioredis `Cluster`
// and node-redis `createCluster`: the conformance cases, races for one key in many slots, and
// every shape of key the router writes, which must each work in a cluster (no CROSSSLOT).

const KINDS: ClusterClientKind[] = ['ioredis Cluster', 'node-redis createCluster'];

/** The store calls here are about correctness, not failing fast; a busy machine is slow. */
const PATIENT_MS = 20_000;

describeWithRedisCluster('redisStore on a real Redis Cluster', { masters: 3 }, (cluster) => {
  it('the slot function agrees with CLUSTER KEYSLOT', async () => {
    for (const key of ['mlink:a', 'mlink:pending:xyz', randomUUID(), '']) {
      expect(slotOf(key)).toBe(Number(await cluster().nodes[0]!.cli('CLUSTER', 'KEYSLOT', key)));
    }
  });

  for (const kind of KINDS) {
    describe(`with ${kind}`, () => {
      let connection: ClusterConnection;
      let store: Store;
      beforeAll(async () => {
        connection = await connectCluster(kind, cluster());
        store = redisStore(connection.client, { commandTimeoutMs: PATIENT_MS });
      }, 60_000);
      afterAll(async () => {
        await connection?.close();
      });

      describe('conformance', () => {
        for (const c of realClockConformanceCases(() => store)) {
          // The expiry cases wait out TTLs (up to 10 s each) and test Redis's own expiry, which
          // both clients reach the same way; node-redis runs the rest, ioredis all of them.
          const slow = /expire|expiry|TTL/.test(c.name);
          if (kind === 'ioredis Cluster' || !slow) it(c.name, c.run);
        }
      });

      it('20 concurrent takes of each of 30 keys, spread over every master: exactly one winner per key', async () => {
        const keys = Array.from({ length: 30 }, () => `race:${randomUUID()}`);
        const masters = new Set(
          await Promise.all(
            keys.map(async (k) => (await cluster().masterOf(slotOf(DEFAULT_PREFIX + k))).port),
          ),
        );
        // Thirty random keys all landing on two of three masters happens about once in 10^5.
        expect(masters.size).toBe(3);
        await Promise.all(keys.map((k) => store.set(k, `value-of-${k}`, 60_000)));

        const results = await Promise.all(
          keys.flatMap((k) => Array.from({ length: 20 }, async () => [k, await store.take(k)])),
        );
        for (const k of keys) {
          const won = results.filter(([key, value]) => key === k && value !== null);
          expect(won).toEqual([[k, `value-of-${k}`]]);
        }
        expect(results.filter(([, value]) => value === null)).toHaveLength(30 * 19);
      });

      it('20 concurrent increments of each of 30 counters on every master: 1..20 each', async () => {
        const keys = Array.from({ length: 30 }, () => `rl:email:60000:${randomUUID()}`);
        const results = await Promise.all(
          keys.flatMap((k) =>
            Array.from({ length: 20 }, async () => ({ k, ...(await store.increment(k, 60_000)) })),
          ),
        );
        for (const k of keys) {
          expect(
            results
              .filter((r) => r.k === k)
              .map((r) => r.count)
              .sort((a, b) => a - b),
          ).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
        }
      });

      it('every shape of key the router writes works in the cluster (no CROSSSLOT), with a TTL', async () => {
        const id = randomUUID();
        // The router's keys, one per operation; take and increment touch exactly one key each.
        const shapes = [
          `pending:${id}`,
          `tok:${id}`,
          `otp:${id}`,
          `rescue:${id}`,
          `otpn:${id}`,
          `rl:code:${id}`,
          `rl:ip:60000:127.0.0.1`,
          `rl:ip:3600000:127.0.0.1`,
          `rl:email:60000:${id}`,
          `rl:email:3600000:${id}`,
        ];
        for (const key of shapes) {
          await store.set(key, 'v', 60_000);
          expect(await store.get(key)).toBe('v');
          expect(await store.take(key)).toBe('v');
          expect((await store.increment(key, 60_000)).count).toBe(1);
          expect((await store.increment(key, 60_000)).count).toBe(2);
          const pttl = Number(
            await connection.raw(DEFAULT_PREFIX + key, 'PTTL', DEFAULT_PREFIX + key),
          );
          expect(pttl).toBeGreaterThan(0);
          await store.delete(key);
          expect(await store.get(key)).toBeNull();
        }
      });
    });
  }
});
