import { createCluster } from 'redis';
import { describeWithRedisCluster } from '../helpers/redis-cluster';
import { twoInstanceTests } from '../helpers/two-instances';

describeWithRedisCluster(
  'two example-app instances behind one origin, sharing one Redis Cluster (REDIS_CLUSTER_NODES)',
  { masters: 3 },
  (cluster) => {
    twoInstanceTests(async () => {
      const nodes = cluster().rootNodes.map(({ host, port }) => `${host}:${port}`);
      const inspector = createCluster({
        rootNodes: nodes.map((node) => ({ url: `redis://${node}` })),
      });
      inspector.on('error', () => undefined);
      await inspector.connect();
      return {
        env: { REDIS_CLUSTER_NODES: nodes.join(',') },
        async countKeys(pattern) {
          // KEYS answers for one node: add up every master's.
          let count = 0;
          for (const master of inspector.masters) {
            count += (await (await inspector.nodeClient(master)).keys(pattern)).length;
          }
          return count;
        },
        close: async () => inspector.destroy(),
      };
    });
  },
);
