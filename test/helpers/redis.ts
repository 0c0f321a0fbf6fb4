import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import Redis from 'ioredis';
import { freePort } from './processes';
import { describeMissing } from './missing-binary';

/** A throwaway redis-server for one test file. */
export interface RedisServer {
  port: number;
  url: string;
  /** Shuts the server down gracefully and waits for it to exit. */
  stop(): Promise<void>;
  /** SIGKILL: the server vanishes mid-conversation, as in a crash. */
  kill(): void;
  /** SIGSTOP: the server keeps its connections open but answers nothing, as when it hangs. */
  pause(): void;
  /** SIGCONT, after {@link RedisServer.pause}. */
  resume(): void;
  /** Starts a fresh (empty) server on the same port, after `kill()` or `stop()`. */
  restart(): Promise<void>;
}

const BINARY = process.env['REDIS_SERVER_BIN'] ?? 'redis-server';

/**
 * redisStore's commandTimeoutMs for apps under test. The default (1 s) suits a production box, but
 * on a busy shared 2-core machine a healthy round trip to a local Redis has taken longer, turning
 * a working store into a spurious 503. Fault tests that measure the timeout itself say so.
 */
export const TEST_COMMAND_TIMEOUT_MS = 5_000;
/** A bound for a stuck start, with room for a busy shared machine. */
const STARTUP_TIMEOUT_MS = 30_000;

let available: boolean | undefined;

// A crashed or timed-out test must not leave servers behind.
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** Whether the redis-server binary can be run on this machine. */
export function redisServerAvailable(): boolean {
  available ??= spawnSync(BINARY, ['--version'], { stdio: 'ignore' }).error === undefined;
  return available;
}

const MISSING =
  `redis-server not installed (looked for "${BINARY}"). Install it ` +
  '(apt-get install redis-server, brew install redis) or set REDIS_SERVER_BIN.';

/**
 * Starts `redis-server` on a free local port with persistence off, and resolves once it answers
 * PING.
 */
export async function startRedis(): Promise<RedisServer> {
  if (!redisServerAvailable()) throw new Error(MISSING);
  const port = await freePort();
  let child = await launch(port);

  async function exited(proc: ChildProcess): Promise<void> {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    await new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  }

  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    async stop() {
      const proc = child;
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGCONT');
        proc.kill('SIGTERM');
      }
      await exited(proc);
    },
    kill() {
      child.kill('SIGKILL');
    },
    pause() {
      child.kill('SIGSTOP');
    },
    resume() {
      child.kill('SIGCONT');
    },
    async restart() {
      const proc = child;
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      await exited(proc);
      child = await launch(port);
    },
  };
}

async function launch(port: number): Promise<ChildProcess> {
  const child = spawn(
    BINARY,
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  running.add(child);
  child.once('exit', () => running.delete(child));
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));

  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(`redis-server exited with code ${child.exitCode}:\n${output}`);
    }
    if (await answersPing(port)) {
      // The pipes are only for the diagnostics above; drop them so they never fill up.
      child.stdout?.removeAllListeners('data').resume();
      child.stderr?.removeAllListeners('data').resume();
      return child;
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  child.kill('SIGKILL');
  throw new Error(
    `redis-server did not answer PING on port ${port} within ${STARTUP_TIMEOUT_MS} ms:\n${output}`,
  );
}

function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    let reply = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString();
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
  });
}

/**
 * An ioredis client with the options redisStore's documentation recommends, once it is ready.
 * Its errors are swallowed: the tests look at what the store makes of them.
 */
export async function connectIoredis(url: string): Promise<Redis> {
  const client = new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
  client.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('ioredis did not connect')), 20_000);
    client.once('ready', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  return client;
}

/**
 * `describe`, with a fresh redis-server started before and stopped after the block. Without the
 * binary, the block fails on CI (`CI=true`) and is skipped with a loud banner elsewhere, so a
 * green local run never hides that the Redis tests did not run.
 *
 * @example
 * describeWithRedis('redisStore', (redis) => {
 *   it('connects', async () => { const client = new Redis(redis().url); ... });
 * });
 */
export function describeWithRedis(name: string, fn: (redis: () => RedisServer) => void): void {
  if (!redisServerAvailable()) {
    describeMissing(name, 'redis-server', MISSING, fn);
    return;
  }

  describe(name, () => {
    let server: RedisServer | undefined;
    beforeAll(async () => {
      server = await startRedis();
    });
    afterAll(async () => {
      await server?.stop();
    });
    fn(() => {
      if (server === undefined) throw new Error('redis-server has not started yet');
      return server;
    });
  });
}
