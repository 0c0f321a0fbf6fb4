// Signs in once through every stack of the benchmark, so that `npm run bench` cannot rot
// unnoticed (test/scale/bench-stacks.test.ts runs this after `npm run build`):
//
//   node bench/smoke.mjs
//
// For each stack: ask for a link through its own route, follow it, see the guarded route answer
// 200 with the session and refuse without it. Prints one JSON line, { stack: "ok" | error };
// exits 1 if any stack failed. The Redis stacks need redis-server, the Postgres stack
// postgresql: without them they are reported as "skipped", which fails under CI=true.
import { LABEL, signIn, startPostgres, startRedis, startServer } from './stacks.mjs';

// Every stack the bench knows; those on Redis share one throwaway redis-server, those on
// Postgres one throwaway cluster.
const REDIS_STACKS = Object.keys(LABEL).filter((stack) => stack.endsWith('-redis'));
const POSTGRES_STACKS = Object.keys(LABEL).filter((stack) => stack.endsWith('-postgres'));
const MEMORY_STACKS = Object.keys(LABEL).filter(
  (stack) => !REDIS_STACKS.includes(stack) && !POSTGRES_STACKS.includes(stack),
);

const report = {};
let failed = false;

async function check(stack, options) {
  const server = await startServer(stack, options);
  try {
    const cookie = await signIn(server);
    const res = await fetch(`${server.origin}/private`, { headers: cookie ? { cookie } : {} });
    const body = await res.text();
    if (res.status !== 200 || !body.startsWith('hello '))
      throw new Error(`signed in, /private answered ${res.status}: ${body.slice(0, 80)}`);
    if (stack !== 'bare') {
      const anonymous = await fetch(`${server.origin}/private`, { redirect: 'manual' });
      if (anonymous.status === 200) throw new Error('/private answered 200 without a session');
    }
    report[stack] = 'ok';
  } catch (err) {
    failed = true;
    report[stack] = err instanceof Error ? err.message : String(err);
  } finally {
    await server.stop();
  }
}

for (const stack of MEMORY_STACKS) await check(stack, {});
const redis = await startRedis();
if (redis) {
  try {
    for (const stack of REDIS_STACKS) await check(stack, { redisUrl: redis.url });
  } finally {
    await redis.stop();
  }
} else {
  for (const stack of REDIS_STACKS) report[stack] = 'skipped: redis-server is not installed';
  if (process.env.CI === 'true') failed = true;
}
const postgres = await startPostgres();
if (postgres) {
  try {
    for (const stack of POSTGRES_STACKS) await check(stack, { postgresUrl: postgres.url });
  } finally {
    await postgres.stop();
  }
} else {
  for (const stack of POSTGRES_STACKS) report[stack] = 'skipped: postgresql is not installed';
  if (process.env.CI === 'true') failed = true;
}
console.log(JSON.stringify(report));
process.exitCode = failed ? 1 : 0;
