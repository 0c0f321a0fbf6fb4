import { execFile, spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect as netConnect } from 'node:net';
import type { Server, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Cluster } from 'ioredis';
import { createCluster } from 'redis';
import type { RedisStoreClient } from '../../lib/stores/redis';
import { freePort } from './processes';
import { redisServerAvailable } from './redis';
import { describeMissing } from './missing-binary';

// A real Redis Cluster on loopback for one test file: N masters (and optionally one replica
// each), joined with `redis-cli --cluster create`, torn down (processes killed, temp dir removed)
// after the file even when a test fails.

const SERVER_BINARY = process.env['REDIS_SERVER_BIN'] ?? 'redis-server';
const CLI_BINARY = process.env['REDIS_CLI_BIN'] ?? 'redis-cli';
/** Bounds for a stuck start on a busy shared machine, not speed targets. */
const NODE_START_MS = 30_000;
const CREATE_MS = 90_000;
const CLI_MS = 30_000;
/** How often to try another port when one turns out to be taken (other suites run alongside). */
const PORT_ATTEMPTS = 25;

export interface RedisClusterOptions {
  /** @default 3 */
  masters?: number;
  /** Replicas per master. @default 0 */
  replicas?: number;
  /**
   * `cluster-node-timeout`. Failover tests promote a replica themselves (`CLUSTER FAILOVER
   * TAKEOVER`), so the default is long enough that a busy machine never makes Redis fail a
   * master over on its own in the middle of another test.
   *
   * @default 15000
   */
  nodeTimeoutMs?: number;
  /**
   * Put a TCP proxy in front of every node and make the node announce the proxy's port, so that
   * replicas replicate (and clients connect) through it. {@link RedisClusterNode.holdReplication}
   * then holds back what a master sends its replica: replication lag on demand.
   */
  proxied?: boolean;
}

/** One redis-server of the cluster. */
export interface RedisClusterNode {
  /** The port it listens on. */
  port: number;
  /** The port it announces to clients and replicas (a proxy's, when proxied; else `port`). */
  announcedPort: number;
  /** SIGKILL: the node vanishes as in a crash. */
  kill(): void;
  /** Whether the process is still running. */
  alive(): boolean;
  /**
   * Starts the node again (after {@link RedisClusterNode.kill}) on the same port with its saved
   * cluster configuration, so it rejoins the cluster (as a replica, if it was failed over).
   */
  restart(): Promise<void>;
  /** Runs a command on this node with redis-cli (connecting to its real port), returns stdout. */
  cli(...args: string[]): Promise<string>;
  /**
   * Proxied clusters only: from now on, what this node sends its replicas is held in the proxy
   * (the replicas get nothing more), until {@link RedisClusterNode.releaseReplication}.
   */
  holdReplication(): void;
  /** Sends on what was held, or with `drop`, throws it away and cuts the replication link. */
  releaseReplication(drop?: boolean): void;
}

/** A node as `CLUSTER NODES` describes it. */
export interface ClusterNodeInfo {
  id: string;
  /** The announced port. */
  port: number;
  role: 'master' | 'replica';
  /** A replica's master's id. */
  masterId: string | null;
  failed: boolean;
  slots: [number, number][];
}

export interface RedisCluster {
  nodes: RedisClusterNode[];
  /** Addresses for a cluster client: `{ host, port }` of every node, as announced. */
  rootNodes: { host: string; port: number }[];
  /** `CLUSTER NODES`, parsed, as one live node sees it. */
  topology(): Promise<ClusterNodeInfo[]>;
  /** The node (by announced port) that serves `slot` as master, as one live node sees it. */
  masterOf(slot: number): Promise<RedisClusterNode>;
  /** The replica of a master node. */
  replicaOf(master: RedisClusterNode): Promise<RedisClusterNode>;
  /** Waits until every replica of `master` has acknowledged all it was sent. */
  waitForReplication(master: RedisClusterNode, timeoutMs?: number): Promise<void>;
  /** Waits until every live node reports `cluster_state:ok` and agrees on the masters. */
  waitUntilHealthy(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

let cliAvailable: boolean | undefined;

/** Whether redis-server and redis-cli can both be run on this machine. */
export function redisClusterToolsAvailable(): boolean {
  cliAvailable ??= spawnSync(CLI_BINARY, ['--version'], { stdio: 'ignore' }).error === undefined;
  return redisServerAvailable() && cliAvailable;
}

const MISSING =
  `redis-server and redis-cli are needed for the Redis Cluster tests (looked for "${SERVER_BINARY}" ` +
  `and "${CLI_BINARY}"). Install them (apt-get install redis-server, brew install redis) or set ` +
  'REDIS_SERVER_BIN and REDIS_CLI_BIN.';

// A crashed or timed-out test file must not leave servers behind.
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function run(binary: string, args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      binary,
      args,
      { timeout: timeoutMs, maxBuffer: 4 * 1024 * 1024 },
      (err, out, errOut) =>
        err
          ? reject(new Error(`${binary} ${args.join(' ')} failed: ${String(err)}\n${out}${errOut}`))
          : resolve(out),
    );
  });
}

function cli(port: number, args: string[]): Promise<string> {
  return run(CLI_BINARY, ['-h', '127.0.0.1', '-p', String(port), ...args], CLI_MS);
}

/** Whether both `port` and `port + 10000` (the cluster bus) can be bound on 127.0.0.1 now. */
async function pairFree(port: number): Promise<boolean> {
  const bind = (p: number) =>
    new Promise<Server | null>((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(null));
      server.listen(p, '127.0.0.1', () => resolve(server));
    });
  const servers = [await bind(port), await bind(port + 10_000)];
  await Promise.all(
    servers.map((s) => (s ? new Promise<void>((resolve) => s.close(() => resolve())) : null)),
  );
  return servers.every((s) => s !== null);
}

/**
 * Below the kernel's ephemeral range (32768 and up), for the port and for its bus port, so that
 * outgoing connections of other processes do not take them; still checked and retried, since
 * other suites pick ports here too.
 */
function candidatePort(): number {
  return randomInt(10_000, 22_700);
}

interface Launched {
  child: ChildProcess;
  port: number;
  announcedPort: number | null;
}

/** Starts one node on `port`; resolves 'in-use' when the port was taken meanwhile. */
async function spawnNode(
  dir: string,
  nodeTimeoutMs: number,
  port: number,
  announcedPort: number | null,
): Promise<ChildProcess | 'in-use'> {
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--cluster-enabled',
    'yes',
    '--cluster-config-file',
    `nodes-${port}.conf`,
    '--cluster-node-timeout',
    String(nodeTimeoutMs),
    '--dir',
    dir,
    '--save',
    '',
    '--appendonly',
    'no',
  ];
  if (announcedPort !== null) {
    args.push(
      '--cluster-announce-ip',
      '127.0.0.1',
      '--cluster-announce-port',
      String(announcedPort),
      '--cluster-announce-bus-port',
      String(port + 10_000),
    );
  }
  const child = spawn(SERVER_BINARY, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  child.once('exit', () => running.delete(child));
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));

  const deadline = Date.now() + NODE_START_MS;
  while (Date.now() < deadline && child.exitCode === null) {
    if (
      await cli(port, ['PING']).then(
        (out) => out.trim() === 'PONG',
        () => false,
      )
    ) {
      // The pipes are only for the diagnostics below; drop them so they never fill up.
      child.stdout?.removeAllListeners('data').resume();
      child.stderr?.removeAllListeners('data').resume();
      return child;
    }
    await sleep(50);
  }
  child.kill('SIGKILL');
  // Taken between the check and the start (another suite got there first).
  if (/address already in use/i.test(output)) return 'in-use';
  throw new Error(`redis-server (cluster node, port ${port}) did not start:\n${output}`);
}

async function launchNode(
  dir: string,
  nodeTimeoutMs: number,
  announce: (port: number) => Promise<number | null>,
): Promise<Launched> {
  for (let attempt = 0; attempt < PORT_ATTEMPTS; attempt++) {
    const port = candidatePort();
    if (!(await pairFree(port))) continue;
    const announcedPort = await announce(port);
    const child = await spawnNode(dir, nodeTimeoutMs, port, announcedPort);
    if (child !== 'in-use') return { child, port, announcedPort };
  }
  throw new Error(`No free port pair for a cluster node after ${PORT_ATTEMPTS} attempts`);
}

/**
 * A TCP proxy to a node. Connections whose client sends `REPLCONF` are replication links (a
 * replica talking to its master): what the node sends on them can be held back.
 */
class Proxy {
  readonly server = createServer();
  port = 0;
  private target = 0;
  private holding = false;
  private readonly links = new Set<{ upstream: Socket; client: Socket; held: Buffer[] }>();
  private readonly sockets = new Set<Socket>();

  async listen(): Promise<number> {
    this.server.on('connection', (client) => this.accept(client));
    for (let attempt = 0; ; attempt++) {
      const port = await freePort();
      const ok = await new Promise<boolean>((resolve) => {
        this.server.once('error', () => resolve(false));
        this.server.listen(port, '127.0.0.1', () => resolve(true));
      });
      if (ok) return (this.port = port);
      if (attempt >= PORT_ATTEMPTS) throw new Error('No free port for a cluster proxy');
    }
  }

  forwardTo(port: number): void {
    this.target = port;
  }

  private accept(client: Socket): void {
    const upstream = netConnect({ host: '127.0.0.1', port: this.target });
    // As Redis does on its own sockets: no Nagle delay on small replies and acknowledgements.
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    const link = { upstream, client, held: [] as Buffer[] };
    let replication = false;
    this.sockets.add(client).add(upstream);
    const end = () => {
      client.destroy();
      upstream.destroy();
      this.links.delete(link);
      this.sockets.delete(client);
      this.sockets.delete(upstream);
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.on('data', (chunk: Buffer) => {
      if (!replication && chunk.includes('REPLCONF')) {
        replication = true;
        this.links.add(link);
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (replication && this.holding) link.held.push(chunk);
      else client.write(chunk);
    });
  }

  hold(): void {
    this.holding = true;
  }

  release(drop: boolean): void {
    this.holding = false;
    for (const link of this.links) {
      const held = link.held.splice(0);
      if (drop) {
        link.client.destroy();
        link.upstream.destroy();
      } else {
        for (const chunk of held) link.client.write(chunk);
      }
    }
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

function parseNodes(text: string): ClusterNodeInfo[] {
  return text
    .trim()
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const [id, address, flags, master, , , , , ...slots] = line.trim().split(' ');
      const port = Number(/:(\d+)@/.exec(address!)![1]);
      const flagList = flags!.split(',');
      return {
        id: id!,
        port,
        role: flagList.includes('master') ? 'master' : 'replica',
        masterId: master === '-' ? null : master!,
        failed: flagList.some((f) => f === 'fail' || f === 'fail?'),
        slots: slots
          .filter((s) => !s.startsWith('['))
          .map((s) => {
            const [from, to] = s.split('-').map(Number);
            return [from!, to ?? from!] as [number, number];
          }),
      } satisfies ClusterNodeInfo;
    });
}

/**
 * Starts a Redis Cluster on 127.0.0.1 and resolves once every node says `cluster_state:ok` (and,
 * with replicas, every replica's link to its master is up).
 */
export async function startRedisCluster(options: RedisClusterOptions = {}): Promise<RedisCluster> {
  if (!redisClusterToolsAvailable()) throw new Error(MISSING);
  const masters = options.masters ?? 3;
  const replicas = options.replicas ?? 0;
  const nodeTimeoutMs = options.nodeTimeoutMs ?? 15_000;
  const dir = mkdtempSync(path.join(tmpdir(), 'mlink-redis-cluster-'));
  const launched: Launched[] = [];
  const proxies: Proxy[] = [];
  const nodes: RedisClusterNode[] = [];

  async function stop(): Promise<void> {
    const exits = launched.map(({ child }) =>
      child.exitCode !== null || child.signalCode !== null
        ? null
        : new Promise<void>((resolve) => child.once('exit', () => resolve())),
    );
    for (const { child } of launched) child.kill('SIGKILL');
    await Promise.all(exits);
    await Promise.all(proxies.map((p) => p.close()));
    rmSync(dir, { recursive: true, force: true });
  }

  try {
    for (let i = 0; i < masters * (1 + replicas); i++) {
      const proxy = options.proxied ? new Proxy() : null;
      const node = await launchNode(dir, nodeTimeoutMs, async (port) => {
        if (!proxy) return null;
        await proxy.listen();
        proxy.forwardTo(port);
        return proxy.port;
      });
      launched.push(node);
      if (proxy) proxies.push(proxy);
      const { port } = node;
      const exited = () => node.child.exitCode !== null || node.child.signalCode !== null;
      nodes.push({
        port,
        announcedPort: proxy?.port ?? port,
        kill: () => node.child.kill('SIGKILL'),
        alive: () => !exited(),
        async restart() {
          if (!exited()) {
            const gone = new Promise<void>((resolve) => node.child.once('exit', () => resolve()));
            node.child.kill('SIGKILL');
            await gone;
          }
          const child = await spawnNode(dir, nodeTimeoutMs, port, node.announcedPort);
          if (child === 'in-use') throw new Error(`Port ${port} was taken while the node was down`);
          node.child = child;
        },
        cli: (...args) => cli(port, args),
        holdReplication() {
          if (!proxy) throw new Error('holdReplication needs a cluster started with proxied: true');
          proxy.hold();
        },
        releaseReplication(drop = false) {
          if (!proxy) throw new Error('releaseReplication needs proxied: true');
          proxy.release(drop);
        },
      });
    }

    // Real ports: MEET derives the bus port (port + 10000) from the address it is given.
    await run(
      CLI_BINARY,
      [
        '--cluster',
        'create',
        ...nodes.map((n) => `127.0.0.1:${n.port}`),
        '--cluster-replicas',
        String(replicas),
        '--cluster-yes',
      ],
      CREATE_MS,
    );
  } catch (error) {
    await stop();
    throw error;
  }

  function live(): RedisClusterNode[] {
    return nodes.filter((n) => n.alive());
  }

  async function topology(): Promise<ClusterNodeInfo[]> {
    let lastError: unknown;
    for (const node of live()) {
      try {
        return parseNodes(await node.cli('CLUSTER', 'NODES'));
      } catch (error) {
        lastError = error;
      }
    }
    throw new Error(`No live cluster node answered CLUSTER NODES: ${String(lastError)}`);
  }

  function byAnnouncedPort(port: number): RedisClusterNode {
    const node = nodes.find((n) => n.announcedPort === port);
    if (!node) throw new Error(`No cluster node announces port ${port}`);
    return node;
  }

  async function waitUntilHealthy(timeoutMs = CREATE_MS): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let why = '';
    while (Date.now() < deadline) {
      why = '';
      for (const node of live()) {
        const info = await node.cli('CLUSTER', 'INFO').catch((e: unknown) => String(e));
        if (!/cluster_state:ok/.test(info) || !/cluster_slots_ok:16384/.test(info)) {
          why = `node ${node.port}: ${info.split('\n').slice(0, 4).join(' ')}`;
          break;
        }
        const replication = await node.cli('INFO', 'replication').catch((e: unknown) => String(e));
        if (/role:slave/.test(replication) && !/master_link_status:up/.test(replication)) {
          why = `replica ${node.port}: link to master not up`;
          break;
        }
        const view = parseNodes(await node.cli('CLUSTER', 'NODES').catch(() => ''));
        if (view.filter((n) => n.role === 'master' && n.slots.length > 0).length !== masters) {
          why = `node ${node.port} does not see ${masters} masters with slots yet`;
          break;
        }
      }
      if (why === '') return;
      await sleep(100);
    }
    throw new Error(`The Redis Cluster did not become healthy within ${timeoutMs} ms: ${why}`);
  }

  try {
    await waitUntilHealthy();
  } catch (error) {
    await stop();
    throw error;
  }

  return {
    nodes,
    rootNodes: nodes.map((n) => ({ host: '127.0.0.1', port: n.announcedPort })),
    topology,
    async masterOf(slot) {
      const master = (await topology()).find(
        (n) => n.role === 'master' && !n.failed && n.slots.some(([a, b]) => slot >= a && slot <= b),
      );
      if (!master) throw new Error(`No master serves slot ${slot}`);
      return byAnnouncedPort(master.port);
    },
    async replicaOf(master) {
      const view = await topology();
      const me = view.find((n) => n.port === master.announcedPort);
      const replica = view.find((n) => n.role === 'replica' && n.masterId === me?.id);
      if (!replica) throw new Error(`Node ${master.port} has no replica`);
      return byAnnouncedPort(replica.port);
    },
    waitUntilHealthy,
    async waitForReplication(master, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      let info = '';
      while (Date.now() < deadline) {
        info = await master.cli('INFO', 'replication');
        const offset = /master_repl_offset:(\d+)/.exec(info)?.[1];
        const replicas = [...info.matchAll(/^slave\d+:.*offset=(\d+)/gm)].map((m) => m[1]);
        if (replicas.length > 0 && replicas.every((o) => o === offset)) return;
        await sleep(50);
      }
      throw new Error(`The replicas of ${master.port} did not catch up:\n${info}`);
    },
    stop,
  };
}

/**
 * `describe`, with a fresh Redis Cluster started before and stopped after the block. Without
 * redis-server or redis-cli, the block fails on CI (`CI=true`) and is skipped with a loud banner
 * elsewhere, exactly as {@link describeWithRedis} does.
 */
export function describeWithRedisCluster(
  name: string,
  options: RedisClusterOptions,
  fn: (cluster: () => RedisCluster) => void,
): void {
  if (!redisClusterToolsAvailable()) {
    describeMissing(name, 'redis-server and redis-cli', MISSING, fn);
    return;
  }

  describe(name, () => {
    let cluster: RedisCluster | undefined;
    beforeAll(
      async () => {
        cluster = await startRedisCluster(options);
      },
      NODE_START_MS * 2 + CREATE_MS * 2,
    );
    afterAll(async () => {
      await cluster?.stop();
    }, 30_000);
    fn(() => {
      if (cluster === undefined) throw new Error('The Redis Cluster has not started yet');
      return cluster;
    });
  });
}

/** The two cluster clients redisStore accepts. */
export type ClusterClientKind = 'ioredis Cluster' | 'node-redis createCluster';

export interface ClusterConnection {
  client: RedisStoreClient;
  /** A raw command routed by `key`. */
  raw(key: string, ...args: string[]): Promise<unknown>;
  close(): Promise<void>;
}

/** A cluster client with the options redisStore's documentation recommends, once it is ready. */
export async function connectCluster(
  kind: ClusterClientKind,
  cluster: RedisCluster,
): Promise<ClusterConnection> {
  if (kind === 'ioredis Cluster') {
    const client = new Cluster(cluster.rootNodes, {
      enableOfflineQueue: false,
      redisOptions: { maxRetriesPerRequest: 1 },
    });
    client.on('error', () => undefined);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('ioredis Cluster did not connect')), 30_000);
      client.once('ready', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    return {
      client,
      raw: (_key, command, ...args) => client.call(command!, ...args),
      close: async () => client.disconnect(),
    };
  }
  const client = createCluster({
    rootNodes: cluster.rootNodes.map(({ host, port }) => ({ url: `redis://${host}:${port}` })),
    defaults: { disableOfflineQueue: true },
  });
  client.on('error', () => undefined);
  await client.connect();
  return {
    client,
    raw: (key, ...args) => client.sendCommand(key, false, args),
    close: async () => client.destroy(),
  };
}

/** Redis Cluster's hash slot of a key (CRC16/XMODEM mod 16384; no hash tags in these keys). */
export function slotOf(key: string): number {
  let crc = 0;
  for (const byte of Buffer.from(key)) {
    crc ^= byte << 8;
    for (let i = 0; i < 8; i++)
      crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc % 16384;
}
