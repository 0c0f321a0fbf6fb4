// The stacks of the benchmark and how to drive them: start a server (bench/server.mjs) in its
// own process, pinned to a core where taskset exists; ask it for a link; sign in. Shared by
// bench/run.mjs and bench/smoke.mjs (which test/scale/bench-stacks.test.ts runs).
import { execFileSync, fork, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { URLSearchParams } from 'node:url';

/** Whether servers and load can be pinned: taskset, two cores, and not turned off. */
const pinning = (enabled) =>
  enabled &&
  os.cpus().length >= 2 &&
  spawnSync('taskset', ['--version'], { stdio: 'ignore' }).error === undefined;
let canPin = false;
/** Turns pinning on (where it can work) for every pin() after. */
export function setPinning(enabled) {
  canPin = pinning(enabled);
  return canPin;
}
export const SERVER_CORE = '0';
export const LOAD_CORE = '1';
export function pin(pid, core) {
  if (canPin) execFileSync('taskset', ['-a', '-p', '-c', core, String(pid)], { stdio: 'ignore' });
}

/** How each stack is asked for a link: its documented route and body. */
export const REQUEST = {
  'magic-link': { path: '/auth/magic-link', form: true, status: 303 },
  sealed: { path: '/auth/magic-link', form: true, status: 303 },
  'sealed-otel': { path: '/auth/magic-link', form: true, status: 303 },
  'sealed-redis': { path: '/auth/magic-link', form: true, status: 303 },
  'sealed-postgres': { path: '/auth/magic-link', form: true, status: 303 },
  bare: { path: '/auth/magic-link', form: true, status: 303 },
  'passport-magic-link': { path: '/auth/magiclink', form: true, status: 303 },
  'passport-magic-login': { path: '/auth/magiclogin', form: false, status: 200 },
};
export const LABEL = {
  'magic-link': 'express-magic-link, express-session',
  sealed: 'express-magic-link, `sealedCookieSession`',
  'sealed-otel':
    'express-magic-link, `sealedCookieSession`, `telemetry: openTelemetry(api)` with no SDK registered',
  'sealed-redis': 'express-magic-link, `sealedCookieSession` + `redisStore`',
  'sealed-postgres': 'express-magic-link, `sealedCookieSession` + `postgresStore`',
  'hand-guard': 'express-session + a hand-written guard',
  'hand-guard-redis': 'express-session + connect-redis + a hand-written guard',
  bare: 'bare Express',
  'passport-magic-link': 'passport 0.7 + passport-magic-link 3.0 + express-session',
  'passport-magic-login': 'passport 0.7 + passport-magic-login 1.2 + express-session',
};
export const OURS = new Set([
  'magic-link',
  'sealed',
  'sealed-otel',
  'sealed-redis',
  'sealed-postgres',
]);

export async function startServer(stack, options = {}) {
  const child = fork(new URL('./server.mjs', import.meta.url), [stack, JSON.stringify(options)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  pin(child.pid, SERVER_CORE);
  const [message] = await Promise.race([
    once(child, 'message'),
    once(child, 'exit').then(([code]) => {
      throw new Error(`bench server ${stack} exited with ${code} before it was ready`);
    }),
  ]);
  const server = {
    stack,
    origin: message.origin,
    async ask(question) {
      child.send(question);
      const [answer] = await once(child, 'message');
      return answer;
    },
    async stop() {
      const exited = once(child, 'exit');
      child.disconnect();
      await exited;
    },
  };
  return server;
}

export async function freePort() {
  const probe = createServer();
  await new Promise((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address();
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/** A throwaway redis-server on loopback, pinned with the servers; null when there is none. */
export async function startRedis() {
  if (spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).error) return null;
  const port = await freePort();
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  pin(child.pid, SERVER_CORE);
  const deadline = Date.now() + 10_000;
  for (;;) {
    const ok = await new Promise((resolve) => {
      const probe = createServer();
      probe.once('error', () => resolve(true));
      probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(false)));
    });
    if (ok) break;
    if (Date.now() > deadline || child.exitCode !== null)
      throw new Error('redis-server did not start');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    async stop() {
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Debian's newest /usr/lib/postgresql/<version>/bin, or PG_BIN; null when there is none. */
function postgresBin() {
  if (process.env.PG_BIN)
    return existsSync(path.join(process.env.PG_BIN, 'initdb')) ? process.env.PG_BIN : null;
  const debian = '/usr/lib/postgresql';
  if (!existsSync(debian)) return null;
  const version = readdirSync(debian)
    .filter((v) => existsSync(path.join(debian, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a))[0];
  return version === undefined ? null : path.join(debian, version, 'bin');
}

/**
 * A throwaway Postgres cluster on loopback (a temporary data directory, trust auth, fsync off,
 * as test/helpers/postgres.ts starts), pinned with the servers; null when there is none. As
 * root, initdb and postgres run as the `postgres` user, as they insist.
 */
export async function startPostgres() {
  const bin = postgresBin();
  if (bin === null) return null;
  let user = {};
  if (process.getuid?.() === 0) {
    const id = (flag) =>
      Number(spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' }).stdout.trim());
    user = { uid: id('-u'), gid: id('-g') };
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mlink-bench-pg-'));
  if (user.uid !== undefined) chownSync(dir, user.uid, user.gid);
  const data = path.join(dir, 'data');
  const init = spawnSync(
    path.join(bin, 'initdb'),
    ['-D', data, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8', '--locale=C'],
    { encoding: 'utf8', ...user },
  );
  if (init.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`initdb failed: ${init.stderr}`);
  }
  const port = await freePort();
  const child = spawn(
    path.join(bin, 'postgres'),
    [
      '-D',
      data,
      '-p',
      String(port),
      '-k',
      dir,
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'fsync=off',
    ],
    { stdio: 'ignore', ...user },
  );
  pin(child.pid, SERVER_CORE);
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const { default: pg } = await import('pg');
  const deadline = Date.now() + 60_000;
  for (;;) {
    const client = new pg.Client({ connectionString: url });
    client.on('error', () => undefined);
    const ok = await client.connect().then(
      () => true,
      () => false,
    );
    await client.end().catch(() => undefined);
    if (ok) break;
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
      throw new Error('postgres did not start');
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    url,
    async stop() {
      const exited = once(child, 'exit');
      child.kill('SIGINT');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function cookiesOf(res) {
  return res.headers
    .getSetCookie()
    .map((line) => line.split(';')[0])
    .filter((pair) => !pair.endsWith('='));
}

export const email = (i) => `bench+${i}@example.com`;

export function requestBody(stack, address) {
  return REQUEST[stack].form
    ? new URLSearchParams({ email: address }).toString()
    : JSON.stringify({ destination: address });
}

export function requestHeaders(server, cookie) {
  return {
    'content-type': REQUEST[server.stack].form
      ? 'application/x-www-form-urlencoded'
      : 'application/json',
    origin: server.origin,
    ...(cookie ? { cookie } : {}),
  };
}

/** Asks for a link as a browser would; returns the cookies the answer set (ours: `mlink`). */
export async function requestLink(server, address, cookie) {
  const { path, status } = REQUEST[server.stack];
  const res = await fetch(`${server.origin}${path}`, {
    method: 'POST',
    redirect: 'manual',
    headers: requestHeaders(server, cookie),
    body: requestBody(server.stack, address),
  });
  if (res.status !== status)
    throw new Error(`${server.stack}: POST ${path} answered ${res.status}`);
  return cookie ?? cookiesOf(res).join('; ');
}

/** A real sign-in: ask for a link, take it from the delivery function, follow it. */
export async function signIn(server) {
  if (server.stack.startsWith('hand-guard')) {
    return cookiesOf(await fetch(`${server.origin}/login`)).join('; ');
  }
  if (server.stack === 'bare') return '';
  const pending = await requestLink(server, email(0));
  const { links } = await server.ask('links');
  const res = await fetch(links[0], { redirect: 'manual', headers: { cookie: pending } });
  if (res.status !== 303) throw new Error(`${server.stack}: the link answered ${res.status}`);
  const session = cookiesOf(res).join('; ');
  const check = await fetch(`${server.origin}/private`, { headers: { cookie: session } });
  if (check.status !== 200)
    throw new Error(`${server.stack}: signed in, /private answered ${check.status}`);
  return session;
}
