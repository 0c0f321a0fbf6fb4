import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Pool } from 'pg';
import type { PoolConfig } from 'pg';
import { freePort } from './processes';
import { describeMissing } from './missing-binary';

/** A throw-away Postgres cluster for one test file. */
export interface PostgresServer {
  port: number;
  /** `postgres://postgres@127.0.0.1:<port>/postgres`, trust auth. */
  url: string;
  /** A pool on this server; closed by {@link PostgresServer.stop}. */
  pool(config?: PoolConfig): Pool;
  /** Fast shutdown (SIGINT): every connection is cut, the data directory stays. */
  stop(): Promise<void>;
  /** SIGKILL of the postmaster: a crash. UNLOGGED tables come back empty on the next start. */
  kill(): Promise<void>;
  /** Starts the server again on the same port and data directory, after `stop()` or `kill()`. */
  restart(): Promise<void>;
  /** Stops the server and deletes its data directory. */
  destroy(): Promise<void>;
}

/**
 * The postgres binaries: `PG_BIN`, else the newest of Debian's /usr/lib/postgresql/<version>/bin
 * (.ci/run installs Debian's postgresql), else whatever `pg_config --bindir` names.
 */
function findBinDir(): string | null {
  const fromEnv = process.env['PG_BIN'];
  if (fromEnv) return existsSync(path.join(fromEnv, 'initdb')) ? fromEnv : null;
  const debian = '/usr/lib/postgresql';
  if (existsSync(debian)) {
    const versions = readdirSync(debian)
      .filter((v) => existsSync(path.join(debian, v, 'bin', 'initdb')))
      .sort((a, b) => Number(b) - Number(a));
    if (versions[0] !== undefined) return path.join(debian, versions[0], 'bin');
  }
  const config = spawnSync('pg_config', ['--bindir'], { encoding: 'utf8' });
  const dir = config.status === 0 ? config.stdout.trim() : '';
  return dir && existsSync(path.join(dir, 'initdb')) ? dir : null;
}

let binDir: string | null | undefined;

/** Whether initdb and postgres can be run on this machine. */
export function postgresAvailable(): boolean {
  binDir ??= findBinDir();
  return binDir !== null;
}

const MISSING =
  'postgresql not installed (looked for initdb in PG_BIN, /usr/lib/postgresql/*/bin and ' +
  '`pg_config --bindir`). Install it (apt-get install postgresql, brew install postgresql) or set PG_BIN.';

/** A bound for a stuck start, with room for a busy shared machine. */
const STARTUP_TIMEOUT_MS = 60_000;

// A crashed or timed-out test must not leave servers behind.
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/**
 * initdb refuses to run as root, and postgres too: as root, both run as the `postgres` user
 * (Debian's package creates it), in a data directory that user owns. As anyone else, they run
 * as that user.
 */
function runAs(): { uid: number; gid: number } | Record<string, never> {
  if (process.getuid?.() !== 0) return {};
  const uid = Number(spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout.trim());
  const gid = Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout.trim());
  if (!Number.isInteger(uid) || !Number.isInteger(gid) || uid === 0) {
    throw new Error('running as root, and there is no `postgres` user to run initdb as');
  }
  return { uid, gid };
}

/** Creates a cluster in a fresh temporary directory and starts it on a free port. */
export async function startPostgres(): Promise<PostgresServer> {
  if (!postgresAvailable()) throw new Error(MISSING);
  const bin = binDir!;
  const user = runAs();
  const dir = mkdtempSync(path.join(tmpdir(), 'mlink-pg-'));
  if ('uid' in user) chownSync(dir, user.uid, user.gid);
  const data = path.join(dir, 'data');
  const init = spawnSync(
    path.join(bin, 'initdb'),
    ['-D', data, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8', '--locale=C'],
    { encoding: 'utf8', ...user },
  );
  if (init.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`initdb failed (${String(init.status)}):\n${init.stderr}${init.stdout}`);
  }
  const port = await freePort();
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const pools: Pool[] = [];
  let child = await launch(bin, data, dir, port, user);

  async function exited(proc: ChildProcess): Promise<void> {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    await new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  }

  async function stopWith(signal: NodeJS.Signals): Promise<void> {
    const proc = child;
    if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
    await exited(proc);
  }

  return {
    port,
    url,
    pool(config = {}) {
      const pool = new Pool({ connectionString: url, ...config });
      pool.on('error', () => undefined);
      pools.push(pool);
      return pool;
    },
    stop: () => stopWith('SIGINT'),
    async kill() {
      await stopWith('SIGKILL');
      // Backends notice their postmaster is gone; give them a moment to leave the port's lock.
      await new Promise((resolve) => setTimeout(resolve, 200));
    },
    async restart() {
      await stopWith('SIGINT');
      child = await launch(bin, data, dir, port, user);
    },
    async destroy() {
      await Promise.all(pools.splice(0).map((pool) => pool.end().catch(() => undefined)));
      await stopWith('SIGINT');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function launch(
  bin: string,
  data: string,
  socketDir: string,
  port: number,
  user: { uid: number; gid: number } | Record<string, never>,
): Promise<ChildProcess> {
  const child = spawn(
    path.join(bin, 'postgres'),
    [
      '-D',
      data,
      '-p',
      String(port),
      '-k',
      socketDir,
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'fsync=off',
      '-c',
      'max_connections=100',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], ...user },
  );
  running.add(child);
  child.once('exit', () => running.delete(child));
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));

  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(`postgres exited with code ${child.exitCode}:\n${output}`);
    }
    if (await answers(port)) {
      child.stdout?.removeAllListeners('data').resume();
      child.stderr?.removeAllListeners('data').resume();
      return child;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  child.kill('SIGKILL');
  throw new Error(`postgres did not accept connections on port ${port}:\n${output}`);
}

async function answers(port: number): Promise<boolean> {
  const client = new Client({
    connectionString: `postgres://postgres@127.0.0.1:${port}/postgres`,
    connectionTimeoutMillis: 2000,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * `describe`, with a throw-away Postgres cluster started before and destroyed after the block.
 * Without postgresql installed, the block fails on CI (`CI=true`) and is skipped with a loud
 * banner elsewhere, as the Redis suites are.
 *
 * @example
 * describeWithPostgres('postgresStore', (pg) => {
 *   it('connects', async () => { const pool = pg().pool(); ... });
 * });
 */
export function describeWithPostgres(
  name: string,
  fn: (postgres: () => PostgresServer) => void,
): void {
  if (!postgresAvailable()) {
    describeMissing(name, 'postgresql', MISSING, fn);
    return;
  }
  describe(name, () => {
    let server: PostgresServer | undefined;
    beforeAll(async () => {
      server = await startPostgres();
    }, STARTUP_TIMEOUT_MS + 30_000);
    afterAll(async () => {
      await server?.destroy();
    }, 30_000);
    fn(() => {
      if (server === undefined) throw new Error('postgres has not started yet');
      return server;
    });
  });
}
