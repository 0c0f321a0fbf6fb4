// Throughput, CPU and memory of this package against hand-written Express and the two passport
// magic-link peers, with autocannon.
//
//   npm run bench          (builds, then runs this file and bench/timing.mjs; about 5 minutes)
//
// Every server runs in its own child process (bench/server.mjs) on 127.0.0.1, so its CPU time
// and RSS are its own. Where `taskset` exists and there are two cores or more, the servers (and
// redis-server) are pinned to core 0 and this process, the load generator, to core 1.
//
// Every scenario runs all its stacks interleaved, round by round (A, B, C, A, B, C, …), so that
// machine noise lands on all of them alike; each figure is the median of the rounds, and each
// ratio the median of the rounds' paired ratios. Results go to stdout and to bench/results.md.
// A missed target prints MISSED but still exits 0; a benchmark that cannot run (a failed
// sign-in, unexpected status codes) exits 1.
//
// Options: --rounds=3 --seconds=3 --connections=10 --sign-ins=3000 --pin=0 (no pinning)
// --stores-only=1 (only memoryStore, redisStore and postgresStore side by side, into
// bench/results-stores.md)
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import { args } from './args.mjs';
import {
  LABEL,
  LOAD_CORE,
  OURS,
  REQUEST,
  SERVER_CORE,
  email,
  pin,
  requestBody,
  requestHeaders,
  requestLink,
  setPinning,
  signIn,
  startPostgres,
  startRedis,
  startServer,
} from './stacks.mjs';

const ROUNDS = args.rounds ?? 3;
const ROUND_SECONDS = args.seconds ?? 3;
const WARMUP_SECONDS = 1;
const CONNECTIONS = args.connections ?? 10;
/** Sign-ins per stack per callback round; each link is minted by its stack and used once. */
const SIGN_INS = args['sign-ins'] ?? 3000;
/** setupRequest may build one request per connection beyond `amount`; those need a link too. */
const SPARE_LINKS = 2 * CONNECTIONS;
/** A server whose CPU was busy less than this share of a round was not the bottleneck. */
const SATURATED = 0.85;

const canPin = setPinning((args.pin ?? 1) !== 0);
pin(process.pid, LOAD_CORE);

const sections = [];
const targets = [];
const notes = [];
let broken = false;

function fail(message) {
  broken = true;
  console.error(`BROKEN: ${message}`);
}

async function withServers(stacks, options, body) {
  const servers = await Promise.all(stacks.map((stack) => startServer(stack, options)));
  try {
    return await body(Object.fromEntries(servers.map((s) => [s.stack, s])));
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
  }
}

/** One autocannon run; checks every status, and measures the server's CPU time per request. */
async function cannon(label, server, options, expectedStatus) {
  const before = (await server.ask('cpu')).cpu;
  // autocannon ends a run only on its one-second tick, so its own `duration` rounds an
  // `amount` run up to whole seconds; the last response's time is the true end.
  const startedAt = performance.now();
  let answered = 0;
  let lastAt = startedAt;
  const instance = autocannon({ connections: CONNECTIONS, ...options });
  instance.on('response', () => {
    answered++;
    lastAt = performance.now();
  });
  const result = await instance;
  const cpu = (await server.ask('cpu')).cpu - before;
  const statuses = Object.fromEntries(
    Object.entries(result.statusCodeStats ?? {}).map(([code, { count }]) => [code, Number(count)]),
  );
  const unexpected = Object.keys(statuses).filter((code) => Number(code) !== expectedStatus);
  if (result.errors > 0 || result.timeouts > 0 || unexpected.length > 0 || answered === 0) {
    fail(
      `${label}: ${result.errors} errors, ${result.timeouts} timeouts, statuses ${JSON.stringify(statuses)} (expected only ${expectedStatus})`,
    );
  }
  const wallUs = (lastAt - startedAt) * 1000;
  return {
    rps: answered / (wallUs / 1e6),
    p50: result.latency.p50,
    p99: result.latency.p99,
    cpuPerRequest: cpu / answered,
    busy: cpu / wallUs,
  };
}

/** The share of CPU time spent idle over the next `ms`, across every core. */
async function idleShare(ms) {
  const total = (cpus) =>
    cpus.reduce((sum, c) => sum + Object.values(c.times).reduce((a, b) => a + b), 0);
  const idle = (cpus) => cpus.reduce((sum, c) => sum + c.times.idle, 0);
  const before = os.cpus();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const after = os.cpus();
  return (idle(after) - idle(before)) / (total(after) - total(before) || 1);
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

function summarize(rounds) {
  return {
    rps: median(rounds.map((r) => r.rps)),
    p50: median(rounds.map((r) => r.p50)),
    p99: median(rounds.map((r) => r.p99)),
    cpuPerRequest: median(rounds.map((r) => r.cpuPerRequest)),
    busy: median(rounds.map((r) => r.busy)),
    rounds: rounds.map((r) => r.rps),
  };
}

/** The median of round-by-round ratios: each pair ran back to back, under the same noise. */
function pairedRatio(a, b) {
  return median(a.rounds.map((rps, i) => rps / b.rounds[i]));
}

/**
 * Runs every contender once per round, in turn, after one unrecorded warm-up each. A
 * contender's `run(seconds)` returns one cannon() result, or its `round()` a prepared run.
 */
async function interleave(contenders, warm = true) {
  if (warm) for (const c of contenders) await c.run(WARMUP_SECONDS, true);
  const rounds = new Map(contenders.map((c) => [c.stack, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const c of contenders) rounds.get(c.stack).push(await c.run(ROUND_SECONDS, false));
  }
  return new Map(contenders.map((c) => [c.stack, summarize(rounds.get(c.stack))]));
}

async function rssOf(servers) {
  return Object.fromEntries(
    await Promise.all(Object.values(servers).map(async (s) => [s.stack, await s.ask('rss')])),
  );
}

function record({ id, title, stacks, summaries, rss, ratioTargets, note }) {
  const rows = stacks.map((stack) => {
    const s = summaries.get(stack);
    const vs = OURS.has(stack)
      ? stacks
          .filter((other) => other !== stack)
          .map((other) => `${pairedRatio(s, summaries.get(other)).toFixed(2)}× ${other}`)
          .join(', ')
      : '';
    return { stack, ...s, rss: rss[stack], vs };
  });
  sections.push({ id, title, rows, note });
  for (const [a, b, min] of ratioTargets) {
    const ratio = pairedRatio(summaries.get(a), summaries.get(b));
    targets.push({
      scenario: title,
      what: `${a} ÷ ${b}`,
      value: `${ratio.toFixed(2)}×`,
      target: `≥ ${min}×`,
      met: ratio >= min,
    });
  }
  for (const row of rows) {
    if (row.busy < SATURATED)
      notes.push(
        `${title}: ${row.stack} was busy ${Math.round(row.busy * 100)}% of a core (not saturated: the load generator or I/O set its pace).`,
      );
  }
}

function getPrivate(server, cookie) {
  return (seconds, warmup) =>
    cannon(
      `${server.stack} GET${warmup ? ' warm-up' : ''}`,
      server,
      {
        url: `${server.origin}/private`,
        duration: seconds,
        headers: cookie ? { cookie } : {},
      },
      200,
    );
}

async function guardedGet(id, title, stacks, ratioTargets, options = {}) {
  await withServers(stacks, options, async (servers) => {
    const contenders = [];
    for (const stack of stacks) {
      contenders.push({ stack, run: getPrivate(servers[stack], await signIn(servers[stack])) });
    }
    const summaries = await interleave(contenders);
    record({ id, title, stacks, summaries, rss: await rssOf(servers), ratioTargets });
  });
}

function postLink(server) {
  const { path, status } = REQUEST[server.stack];
  return (seconds, warmup) =>
    cannon(
      `${server.stack} POST${warmup ? ' warm-up' : ''}`,
      server,
      {
        url: `${server.origin}${path}`,
        duration: seconds,
        method: 'POST',
        headers: requestHeaders(server),
        body: requestBody(server.stack, email(0)),
      },
      status,
    );
}

async function requestPost({
  id = 'post',
  title = 'Ask for a link (POST, one address, delivery discards)',
  stacks = ['magic-link', 'sealed', 'bare', 'passport-magic-link', 'passport-magic-login'],
  options = {},
  ratioTargets = [
    ['magic-link', 'bare', 0.5],
    ['sealed', 'bare', 0.5],
    ['sealed', 'passport-magic-link', 3],
    ['sealed', 'passport-magic-login', 3],
    ['magic-link', 'passport-magic-link', 3],
    ['magic-link', 'passport-magic-login', 3],
  ],
} = {}) {
  await withServers(stacks, { ...options, discard: true }, async (servers) => {
    const summaries = await interleave(
      stacks.map((stack) => ({ stack, run: postLink(servers[stack]) })),
    );
    record({ id, title, stacks, summaries, rss: await rssOf(servers), ratioTargets });
  });
}

/** Mints `count` links through the stack's own endpoint, one address each; returns them. */
async function mint(server, pending, count) {
  let next = 0;
  await cannon(
    'mint',
    server,
    {
      url: `${server.origin}${REQUEST[server.stack].path}`,
      amount: count,
      requests: [
        {
          method: 'POST',
          setupRequest: (req) => ({
            ...req,
            headers: requestHeaders(server, pending),
            body: requestBody(server.stack, email(next++)),
          }),
        },
      ],
    },
    REQUEST[server.stack].status,
  );
  const { links } = await server.ask('links');
  if (links.length < count) fail(`${server.stack}: minted ${links.length} links, not ${count}`);
  return links.map((link) => {
    const url = new URL(link);
    return url.pathname + url.search;
  });
}

function spend(server, pending, paths, amount) {
  let next = 0;
  return cannon(
    'callback',
    server,
    {
      url: server.origin,
      amount,
      headers: pending ? { cookie: pending } : {},
      requests: [{ method: 'GET', setupRequest: (req) => ({ ...req, path: paths[next++] }) }],
    },
    303,
  );
}

async function callback({
  id = 'callback',
  title = 'Follow the link: sign in (each link used once)',
  stacks = ['magic-link', 'sealed', 'passport-magic-link', 'passport-magic-login'],
  options = {},
  ratioTargets = [
    ['sealed', 'passport-magic-link', 3],
    ['sealed', 'passport-magic-login', 3],
    ['magic-link', 'passport-magic-link', 3],
    ['magic-link', 'passport-magic-login', 3],
  ],
  peers = ['passport-magic-link', 'passport-magic-login'],
} = {}) {
  await withServers(stacks, options, async (servers) => {
    const pending = {};
    for (const stack of stacks) {
      // One browser asks for every link of our stacks, so its one pending cookie fits them all.
      pending[stack] = OURS.has(stack) ? await requestLink(servers[stack], email(0)) : '';
      await servers[stack].ask('links');
    }
    const contenders = stacks.map((stack) => ({
      stack,
      async run(_seconds, warmup) {
        const count = warmup ? 500 : SIGN_INS;
        const paths = await mint(servers[stack], pending[stack], count + SPARE_LINKS);
        return spend(servers[stack], pending[stack], paths, count);
      },
    }));
    const summaries = await interleave(contenders);
    const expected = 500 + ROUNDS * SIGN_INS;
    for (const stack of stacks.filter((s) => OURS.has(s))) {
      const { events } = await servers[stack].ask('events');
      if (events.sign_in !== expected)
        fail(`${stack}: ${events.sign_in} sign_in events, not ${expected}`);
    }
    const rss = await rssOf(servers);
    record({ id, title, stacks, summaries, rss, ratioTargets });
    for (const stack of ['sealed', 'magic-link'].filter(
      (s) => peers.length && stacks.includes(s),
    )) {
      for (const peer of peers) {
        const ours = rss[stack].peak;
        targets.push({
          scenario: 'Peak RSS after the sign-in scenario',
          what: `${stack} vs ${peer}`,
          value: `${mb(ours)} vs ${mb(rss[peer].peak)}`,
          target: '≤',
          met: ours <= rss[peer].peak,
        });
      }
    }
  });
}

const fmt = (n) => Math.round(n).toLocaleString('en');
const mb = (bytes) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;

function markdownTables() {
  const out = [];
  for (const section of sections) {
    out.push(`### ${section.title}`, '');
    out.push(
      '| Stack | req/s | rounds | p50 ms | p99 ms | server CPU µs/req | server busy | RSS now / peak | ratios (paired) |',
      '| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | --- |',
    );
    for (const r of section.rows) {
      out.push(
        `| ${LABEL[r.stack]} | ${fmt(r.rps)} | ${r.rounds.map(fmt).join(', ')} | ${r.p50} | ${r.p99} | ${fmt(r.cpuPerRequest)} | ${Math.round(r.busy * 100)}% | ${mb(r.rss.rss)} / ${mb(r.rss.peak)} | ${r.vs} |`,
      );
    }
    out.push('');
  }
  if (targets.length === 0) return out.join('\n');
  out.push(
    '### Targets',
    '',
    '| Scenario | Measure | Value | Target | |',
    '| --- | --- | ---: | --- | --- |',
  );
  for (const t of targets) {
    out.push(
      `| ${t.scenario} | ${t.what} | ${t.value} | ${t.target} | ${t.met ? 'met' : '**MISSED**'} |`,
    );
  }
  return out.join('\n');
}

/** The stores side by side, with sealedCookieSession: memory, Redis, Postgres. */
async function stores(redisUrl, postgresUrl) {
  const stacks = ['sealed', 'sealed-redis', 'sealed-postgres'];
  const options = { redisUrl, postgresUrl };
  await requestPost({
    id: 'post-stores',
    title: 'Ask for a link, per store (`sealedCookieSession`; local redis-server and Postgres)',
    stacks,
    options,
    ratioTargets: [],
  });
  await callback({
    id: 'callback-stores',
    title: 'Follow the link, per store (`sealedCookieSession`; local redis-server and Postgres)',
    stacks,
    options,
    ratioTargets: [],
    peers: [],
  });
}

/** `--stores-only=1`: only the per-store scenarios, written to bench/results-stores.md. */
const STORES_ONLY = args['stores-only'] === 1;
const started = Date.now();
const idleBefore = await idleShare(1000);
let redis = null;
let postgres = null;
try {
  if (!STORES_ONLY)
    await guardedGet(
      'get',
      'GET a guarded route, signed in (sessions in memory)',
      ['magic-link', 'sealed', 'hand-guard', 'bare', 'passport-magic-link', 'passport-magic-login'],
      [
        ['magic-link', 'hand-guard', 0.95],
        ['sealed', 'bare', 0.85],
      ],
    );
  redis = await startRedis();
  if (redis && !STORES_ONLY) {
    await guardedGet(
      'get-redis',
      'GET a guarded route, signed in (the same local redis-server)',
      ['sealed-redis', 'hand-guard-redis'],
      [['sealed-redis', 'hand-guard-redis', 1.3]],
      { redisUrl: redis.url },
    );
  } else if (!redis) {
    notes.push('SKIPPED: the Redis scenarios, because redis-server is not installed.');
    console.error('SKIPPED: the Redis scenarios: redis-server is not installed.');
  }
  if (!STORES_ONLY) {
    await requestPost();
    await callback();
  }
  postgres = await startPostgres();
  if (redis && postgres) {
    await stores(redis.url, postgres.url);
  } else {
    notes.push('SKIPPED: the per-store scenarios, because redis-server or postgresql is missing.');
    console.error('SKIPPED: the per-store scenarios: redis-server or postgresql is missing.');
  }
} catch (err) {
  fail(err instanceof Error ? (err.stack ?? err.message) : String(err));
} finally {
  await redis?.stop();
  await postgres?.stop();
}

const cpus = os.cpus();
const busy = idleBefore < 0.8;
const idle = `${Math.round(idleBefore * 100)}% idle in the second before the run`;
const machine = `${cpus.length} × ${cpus[0]?.model.trim() ?? 'unknown CPU'}, ${(os.totalmem() / 1024 ** 3).toFixed(1)} GB RAM, ${os.type()} ${os.release()} (${os.arch()})`;
const pinning = canPin
  ? `servers and redis-server pinned to core ${SERVER_CORE}, the load generator to core ${LOAD_CORE} (taskset)`
  : 'not pinned (no taskset, or fewer than two cores): servers and load generator share the cores';
const markdown = `# Benchmark results

The latest \`npm run bench\`. Each figure is the median of ${ROUNDS} rounds (${ROUND_SECONDS} s each;
the sign-in scenario: ${fmt(SIGN_INS)} sign-ins per stack per round) with ${CONNECTIONS}
connections, after a warm-up. The stacks of a scenario alternate round by round, and a ratio is
the median of the rounds' paired ratios. Every server runs in its own process on 127.0.0.1.

- Machine: ${machine}
- Node.js: ${process.version}
- Date: ${new Date().toISOString()}
- Duration: ${Math.round((Date.now() - started) / 1000)} s
- Pinning: ${pinning}
- CPUs: ${idle}${busy ? ' — other work was running, so the figures are noisy' : ''}

${markdownTables()}

${notes.length ? notes.map((n) => `- ${n}`).join('\n') : '- Every server was saturated (busy ≥ 85% of its core) in every scenario.'}

How to read it:
- Stacks by id: \`magic-link\` is this package with express-session (its default adapter),
  \`sealed\` with \`sealedCookieSession\` (no express-session), \`sealed-redis\` the same with
  \`redisStore\`, \`sealed-postgres\` with \`postgresStore\` (its own pool of 10 connections, on
  a throwaway local Postgres with fsync off, the table logged); \`hand-guard\`, \`bare\` and the two passport peers are the baselines above.
- "server CPU µs/req" is the server process's user + system CPU time over a round, divided by
  the requests it answered; "server busy" is that CPU time over the round's wall time. A server
  busy well under 100% of its core was waiting on the load generator, not working.
- "RSS now / peak" is the server process's resident set at the end of the scenario, and the most
  it ever held.
- Every stack keeps the same user object in its session. The passport peers run as their
  READMEs show them, with passport's session support and express-session's MemoryStore (or
  connect-redis). Their links are signed JWTs: passport-magic-link remembers used tokens per
  user; passport-magic-login's links can be used again until they expire. Ours are single-use
  records in the store, bound to the browser that asked.
- Rate limits are off in our stacks (\`dangerouslyDisableRateLimit\`), as the peers have none.

## Reproduce

\`\`\`sh
npm ci
npm run bench    # builds dist/, then runs node bench/run.mjs and bench/timing.mjs
\`\`\`
`;

console.log(`\n${markdownTables()}\n`);
for (const n of notes) console.log(n);
for (const t of targets) {
  if (!t.met) console.log(`MISSED: ${t.scenario} — ${t.what} ${t.value} (target ${t.target})`);
}
if (broken) {
  console.error('The benchmark did not run cleanly; bench/results.md was not updated.');
  process.exitCode = 1;
} else {
  await writeFile(
    new URL(STORES_ONLY ? './results-stores.md' : './results.md', import.meta.url),
    markdown,
  );
  console.log(`Machine: ${machine}; Node ${process.version}; CPUs ${idle}; ${pinning}.`);
  if (busy) console.log('Other work was running when this run began: the figures are noisy.');
  console.log(`Written to bench/${STORES_ONLY ? 'results-stores' : 'results'}.md.`);
}
