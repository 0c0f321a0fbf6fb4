/** How redisStore talks to each client it accepts: matched by shape, neither package imported. */

/** The part of an `ioredis` client (`Redis` or `Cluster`) that {@link redisStore} uses. */
export interface IoRedisLikeClient {
  readonly status: string;
  call(command: string, ...args: (string | number)[]): Promise<unknown>;
}

/** The part of a node-redis v4+ client (`createClient()` from `redis`) that {@link redisStore} uses. */
export interface NodeRedisLikeClient {
  readonly isReady: boolean;
  sendCommand(args: string[]): Promise<unknown>;
}

/** The part of a node-redis v4+ cluster (`createCluster()` from `redis`) that {@link redisStore} uses. */
export interface NodeRedisLikeCluster {
  readonly isReady: boolean;
  readonly masters: unknown;
  sendCommand(firstKey: string, isReadonly: boolean, args: string[]): Promise<unknown>;
}

/** Any client {@link redisStore} accepts. It is matched by shape; neither package is imported. */
export type RedisStoreClient = IoRedisLikeClient | NodeRedisLikeClient | NodeRedisLikeCluster;

export type Send = (key: string, args: string[]) => Promise<unknown>;

/** The part of an ioredis pipeline used to route WAIT. */
interface IoRedisPipeline {
  call(command: string, ...args: (string | number)[]): IoRedisPipeline;
  exec(): Promise<unknown>;
}

/** The part of a node-redis cluster MULTI used to route WAIT. */
interface NodeRedisClusterMulti {
  addCommand(firstKey: string, isReadonly: boolean, args: string[]): NodeRedisClusterMulti;
  execAsPipeline(): Promise<unknown[]>;
}

export interface Adapter {
  /** Why the client cannot take a command right now, or undefined when it can. */
  notReady(): string | undefined;
  send: Send;
  /**
   * `WAIT replicas timeoutMs` on the connection that serves `key` (WAIT counts that
   * connection's writes), or undefined when the client cannot route it there.
   */
  wait?: (key: string, replicas: number, timeoutMs: number) => Promise<unknown>;
  /**
   * The commands in one `MULTI`/`EXEC` on one connection (one round trip, run back to back),
   * or undefined for a cluster, whose keys may live on different nodes.
   */
  multi?: (commands: string[][]) => Promise<unknown>;
  /** One Redis server, not a cluster: a script may then touch keys of any slot. */
  singleNode: boolean;
}

/** The part of an ioredis `multi()` and of a node-redis client's `multi()` used by setMany. */
interface IoRedisMulti {
  call(command: string, ...args: string[]): IoRedisMulti;
  exec(): Promise<[Error | null, unknown][] | null>;
}
interface NodeRedisMulti {
  addCommand(args: string[]): NodeRedisMulti;
  exec(): Promise<unknown[]>;
}

export function adapt(client: unknown): Adapter {
  if (typeof client !== 'object' || client === null) {
    throw new TypeError(
      `redisStore: client must be a connected ioredis or node-redis client, but got ${client === null ? 'null' : typeof client}. ` +
        'Pass the client itself, e.g. redisStore(new Redis(url)) or redisStore(createClient({ url })).',
    );
  }
  const c = client as Record<string, unknown>;

  if (typeof c['status'] === 'string' && typeof c['call'] === 'function') {
    const io = client as IoRedisLikeClient;
    const pipeline = c['pipeline'];
    return {
      // A pipeline goes to one connection; in an ioredis Cluster, to the node that serves its
      // keys (PTTL of the key, a harmless read, routes it), where a bare WAIT would go to a
      // random node.
      wait:
        typeof pipeline === 'function'
          ? async (key, replicas, ms) => {
              const results = (await (pipeline.call(client) as IoRedisPipeline)
                .call('PTTL', key)
                .call('WAIT', replicas, ms)
                .exec()) as [Error | null, unknown][] | null;
              const [error, reply] = results?.[1] ?? [new Error('the WAIT pipeline was discarded')];
              if (error) throw error;
              return reply;
            }
          : (_key, replicas, ms) => io.call('WAIT', replicas, ms),
      notReady() {
        if (io.status === 'ready') return undefined;
        return io.status === 'wait'
          ? 'the ioredis client has not connected (it was created with lazyConnect): call await client.connect() before serving'
          : `the ioredis client is not ready (status: ${io.status})`;
      },
      send: (_key, [command, ...args]) => io.call(command!, ...args),
      singleNode: c['isCluster'] !== true,
      multi:
        c['isCluster'] !== true && typeof c['multi'] === 'function'
          ? async (commands) => {
              let tx = (c['multi'] as () => IoRedisMulti).call(client);
              for (const [command, ...args] of commands) tx = tx.call(command!, ...args);
              const replies = await tx.exec();
              if (replies === null) throw new Error('the MULTI was discarded');
              for (const [error] of replies) if (error) throw error;
              return replies.map(([, reply]) => reply);
            }
          : undefined,
    };
  }

  // node-redis v4 in legacyMode keeps the promise API under `.v4`.
  const modern =
    typeof c['v4'] === 'object' && c['v4'] !== null ? (c['v4'] as Record<string, unknown>) : c;
  if (typeof c['isReady'] === 'boolean' && typeof modern['sendCommand'] === 'function') {
    const readiness = client as { readonly isReady: boolean };
    const notReady = () =>
      readiness.isReady
        ? undefined
        : 'the node-redis client is not ready: call await client.connect() before serving, or Redis is unreachable';
    if ('masters' in c) {
      const cluster = client as NodeRedisLikeCluster;
      const multi = c['multi'];
      return {
        notReady,
        singleNode: false,
        send: (key, args) => cluster.sendCommand(key, false, args),
        // sendCommand would send WAIT (keyless, "all shards") to every master; a pipeline routed
        // by the key goes to the connection that served the key's writes.
        wait:
          typeof multi === 'function'
            ? async (key, replicas, ms) => {
                const replies = await (multi.call(client) as NodeRedisClusterMulti)
                  .addCommand(key, false, ['WAIT', String(replicas), String(ms)])
                  .execAsPipeline();
                return replies[0];
              }
            : undefined,
      };
    }
    const single = modern as unknown as NodeRedisLikeClient;
    const multi = modern['multi'];
    return {
      notReady,
      multi:
        typeof multi === 'function'
          ? (commands) => {
              let tx = (multi as () => NodeRedisMulti).call(modern);
              for (const command of commands) tx = tx.addCommand(command);
              return tx.exec();
            }
          : undefined,
      send: (_key, args) => single.sendCommand(args),
      singleNode: true,
      wait: (_key, replicas, ms) => single.sendCommand(['WAIT', String(replicas), String(ms)]),
    };
  }

  if (typeof c['sendCommand'] === 'function' || typeof c['call'] === 'function') {
    throw new TypeError(
      'redisStore: client looks like a Redis client but has neither a `status` (ioredis) nor an ' +
        '`isReady` (node-redis v4+) property. Pass an ioredis client or a node-redis v4+ client; ' +
        'node-redis v3 is not supported.',
    );
  }
  throw new TypeError(
    'redisStore: client is not an ioredis or node-redis client. ' +
      'Pass the client itself, e.g. redisStore(new Redis(url)) or redisStore(createClient({ url })), ' +
      'not a URL or an options object.',
  );
}
