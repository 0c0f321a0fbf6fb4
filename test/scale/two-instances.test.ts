import { createClient } from 'redis';
import { describeWithRedis } from '../helpers/redis';
import { twoInstanceTests } from '../helpers/two-instances';

describeWithRedis('two example-app instances behind one origin, sharing one Redis', (redis) => {
  twoInstanceTests(async () => {
    const inspector = createClient({ url: redis().url });
    inspector.on('error', () => undefined);
    await inspector.connect();
    return {
      env: { REDIS_URL: redis().url },
      countKeys: async (pattern) => (await inspector.keys(pattern)).length,
      close: async () => inspector.destroy(),
    };
  });
});
