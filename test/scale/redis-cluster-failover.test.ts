import { randomUUID } from 'node:crypto';
import type { Cluster } from 'ioredis';
import request from 'supertest';
import { MagicLinkError } from '../../lib/errors';
import { DEFAULT_PREFIX, redisStore } from '../../lib/stores/redis';
import type { RedisStoreOptions } from '../../lib/stores/redis';
import type { Store } from '../../lib/stores/store';
import { createTestApp } from '../helpers/app';
import type { TestApp } from '../helpers/app';
import { TEST_COMMAND_TIMEOUT_MS } from '../helpers/redis';
import { connectCluster, describeWithRedisCluster, slotOf } from '../helpers/redis-cluster';
import type {
  ClusterClientKind,
  ClusterConnection,
  RedisCluster,
  RedisClusterNode,
} from '../helpers/redis-cluster';
import { nextEmail, setsSession } from '../helpers/sign-in';

// Failover in a real Redis Cluster: three masters, one replica each, every node behind a proxy
// that can hold back what a master sends its replica (replication lag on demand). Each test
// kills a master (SIGKILL), promotes its replica with CLUSTER FAILOVER TAKEOVER, then restarts
// the dead node, which rejoins as the new master's replica.

/** Generous bounds for a busy shared machine: deadlines for polling, not speed targets. */
const RECOVERY_MS = 60_000;
const TEST_MS = 180_000;

async function eventually<T>(attempt: () => Promise<T>, timeoutMs = RECOVERY_MS): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

/** A key (under the default prefix) that a master with a live, in-sync replica serves. */
async function keyOnReplicatedShard(
  cluster: RedisCluster,
  name: string,
): Promise<{ key: string; master: RedisClusterNode; replica: RedisClusterNode }> {
  for (let i = 0; i < 100; i++) {
    const key = `${name}:${randomUUID()}`;
    const master = await cluster.masterOf(slotOf(DEFAULT_PREFIX + key));
    const replica = await cluster.replicaOf(master).catch(() => null);
    if (replica?.alive()) return { key, master, replica };
  }
  throw new Error('No master with a live replica');
}

/**
 * Kills `master` with what it has not yet sent its replica still held (so it is lost, as in a
 * crash before replication caught up), promotes the replica, brings the dead node back as the
 * new replica, and waits until the cluster is healthy again.
 */
async function failOver(
  cluster: RedisCluster,
  master: RedisClusterNode,
  replica: RedisClusterNode,
): Promise<void> {
  master.kill();
  master.releaseReplication(true);
  await eventually(() => replica.cli('CLUSTER', 'FAILOVER', 'TAKEOVER'));
  await eventually(async () => {
    const info = await replica.cli('INFO', 'replication');
    if (!/role:master/.test(info)) throw new Error('the replica has not taken over yet');
  });
  await master.restart();
  await cluster.waitUntilHealthy(RECOVERY_MS);
}

function expectUnavailable(error: unknown): void {
  expect(error).toBeInstanceOf(MagicLinkError);
  expect((error as MagicLinkError).code).toBe('ERR_STORE_UNAVAILABLE');
}

describeWithRedisCluster(
  'redisStore through a Redis Cluster failover',
  { masters: 3, replicas: 1, proxied: true },
  (cluster) => {
    const connections: ClusterConnection[] = [];
    afterAll(async () => {
      await Promise.all(connections.map((c) => c.close()));
    });

    async function storeOn(kind: ClusterClientKind, options: RedisStoreOptions): Promise<Store> {
      const connection = await connectCluster(kind, cluster());
      connections.push(connection);
      return redisStore(connection.client, {
        commandTimeoutMs: TEST_COMMAND_TIMEOUT_MS,
        ...options,
      });
    }

    it.each<ClusterClientKind>(['ioredis Cluster', 'node-redis createCluster'])(
      'without waitForReplicas (%s), a take its replica never saw is undone by the failover: the same key is taken twice',
      async (kind) => {
        const store = await storeOn(kind, {});
        const { key, master, replica } = await keyOnReplicatedShard(cluster(), 'pending');
        await store.set(key, 'binding', 60_000);
        await cluster().waitForReplication(master);

        master.holdReplication();
        expect(await store.take(key)).toBe('binding');
        await failOver(cluster(), master, replica);

        // The new master never saw the GETDEL: the spent link works a second time.
        expect(await eventually(() => store.take(key))).toBe('binding');
        expect(await store.take(key)).toBeNull();
      },
      TEST_MS,
    );

    it.each<ClusterClientKind>(['ioredis Cluster', 'node-redis createCluster'])(
      'with waitForReplicas: 1 (%s), a take the replica has not acknowledged is refused, so the key is handed out once across the failover',
      async (kind) => {
        const store = await storeOn(kind, { waitForReplicas: 1, waitTimeoutMs: 200 });
        const { key, master, replica } = await keyOnReplicatedShard(cluster(), 'pending');
        // A set that the replica acknowledges succeeds.
        await store.set(key, 'binding', 60_000);

        master.holdReplication();
        const refused = await store.take(key).then(
          (value) => ({ value }),
          (error: unknown) => ({ error }),
        );
        expect(refused).toEqual({ error: expect.any(MagicLinkError) });
        expectUnavailable((refused as { error: unknown }).error);
        expect(String((refused as { error: unknown }).error)).toMatch(/0 of 1 replica/);
        await failOver(cluster(), master, replica);

        // The refused take handed nothing out, and the failover cannot hand it out twice: at most
        // once. (Whether the replica still has it depends on the held link, which this harness
        // cannot hold for sure on a busy machine.)
        const after = await eventually(() => store.take(key));
        expect([null, 'binding']).toContain(after);
        expect(await store.take(key)).toBeNull();
      },
      TEST_MS,
    );

    it('with waitForReplicas: 1, a take of a missing key answers null without waiting for a replica', async () => {
      const store = await storeOn('ioredis Cluster', { waitForReplicas: 1, waitTimeoutMs: 200 });
      const { key, master } = await keyOnReplicatedShard(cluster(), 'missing');
      master.holdReplication();
      try {
        expect(await store.take(key)).toBeNull();
        // A write it cannot get acknowledged fails closed.
        await store.set(key, 'v', 60_000).then(
          () => {
            throw new Error('the unacknowledged set resolved');
          },
          (error: unknown) => expectUnavailable(error),
        );
      } finally {
        master.releaseReplication();
      }
      await cluster().waitForReplication(master);
      await store.set(key, 'v', 60_000);
      expect(await store.take(key)).toBe('v');
    });

    it('prints how long a replica takes to acknowledge a take (the window without waitForReplicas)', async () => {
      const connection = await connectCluster('ioredis Cluster', cluster());
      connections.push(connection);
      const store = redisStore(connection.client, { commandTimeoutMs: TEST_COMMAND_TIMEOUT_MS });
      const { key, master } = await keyOnReplicatedShard(cluster(), 'window');
      await cluster().waitForReplication(master);
      const samples: number[] = [];
      for (let i = 0; i < 200; i++) {
        await store.set(key, 'v', 60_000);
        expect(await store.take(key)).toBe('v');
        // WAIT asks the replica for an acknowledgement at once (REPLCONF GETACK): the time it
        // takes is how long the deletion exists on the master only. A pipeline routed by the key
        // sends it on the connection that made the take (a bare WAIT goes to a random node).
        const start = performance.now();
        const replies = await (connection.client as Cluster)
          .pipeline()
          .call('PTTL', DEFAULT_PREFIX + key)
          .call('WAIT', '1', '5000')
          .exec();
        samples.push(performance.now() - start);
        const acked = replies?.[1]?.[1];
        expect(acked).toBe(1);
      }
      samples.sort((a, b) => a - b);
      const at = (q: number) =>
        samples[Math.min(samples.length - 1, Math.floor(q * samples.length))]!;
      console.log(
        `Replica acknowledgement of a take on loopback, 200 takes: p50 ${at(0.5).toFixed(2)} ms, ` +
          `p99 ${at(0.99).toFixed(2)} ms, max ${at(1).toFixed(2)} ms`,
      );
    });

    describe('a sign-in through the router while a master fails over', () => {
      let t: TestApp;
      beforeAll(async () => {
        t = await createTestApp({
          provider: 'self-hosted',
          store: await storeOn('ioredis Cluster', { waitForReplicas: 1, waitTimeoutMs: 500 }),
          router: { rateLimit: { perIp: [{ limit: 1000, windowMs: 60_000 }] } },
        });
      }, 60_000);
      afterAll(async () => {
        await t?.close();
      });

      async function linkFor(email: string): Promise<{ agent: request.Agent; link: string }> {
        const agent = request.agent(t.url);
        const sent = await agent.post('/auth/magic-link').type('form').send({ email });
        expect(sent.status).toBe(303);
        const { link } = await nextEmail(t, email);
        return { agent, link: link.slice(t.url.length) };
      }

      async function whoIs(agent: request.Agent): Promise<string | null> {
        const res = await agent.get('/account').set('Accept', 'application/json');
        return res.status === 200 ? (res.body as { email: string }).email : null;
      }

      it(
        'gets 503 or succeeds, never a session for someone else, and the app recovers by itself',
        async () => {
          const alice = await linkFor('alice@example.com');
          const bob = await linkFor('bob@example.com');
          const { master, replica } = await keyOnReplicatedShard(cluster(), 'any');

          // Alice clicks while the master is dead and not yet replaced.
          master.kill();
          master.releaseReplication(true);
          const during = await alice.agent.get(alice.link).set('Accept', 'text/html');
          expect([303, 400, 503]).toContain(during.status);
          if (during.status !== 303) expect(setsSession(during)).toBe(false);

          await eventually(() => replica.cli('CLUSTER', 'FAILOVER', 'TAKEOVER'));
          await master.restart();
          await cluster().waitUntilHealthy(RECOVERY_MS);

          // Bob's link, untouched during the failover, works once the cluster has recovered.
          const bobDone = await eventually(async () => {
            const res = await bob.agent.get(bob.link).set('Accept', 'text/html');
            if (res.status === 503) throw new Error('still 503');
            return res;
          });
          // Signed in as Bob, or (if the failover lost his link) refused: never anyone else.
          expect([303, 400]).toContain(bobDone.status);
          expect(await whoIs(bob.agent)).toBe(bobDone.status === 303 ? 'bob@example.com' : null);

          // Alice: signed in as herself, or (if her link was spent in the failure) refused, never Bob.
          const aliceAgain = await eventually(async () => {
            const res = await alice.agent.get(alice.link).set('Accept', 'text/html');
            if (res.status === 503) throw new Error('still 503');
            return res;
          });
          expect([303, 400]).toContain(aliceAgain.status);
          expect([null, 'alice@example.com']).toContain(await whoIs(alice.agent));
          if (during.status === 303) expect(await whoIs(alice.agent)).toBe('alice@example.com');

          // A fresh sign-in goes through end to end: the app recovered without a restart.
          const carol = await linkFor('carol@example.com');
          const carolDone = await carol.agent.get(carol.link).set('Accept', 'text/html');
          expect(carolDone.status).toBe(303);
          expect(await whoIs(carol.agent)).toBe('carol@example.com');
        },
        TEST_MS,
      );
    });
  },
);
