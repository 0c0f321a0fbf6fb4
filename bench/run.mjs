// Throughput and latency of the package against hand-written Express, with autocannon.
//
//   npm run bench          (builds, then runs this file; about 65 seconds)
//
// Every server runs in its own child process (bench/server.mjs) on 127.0.0.1, so the RSS
// reported is that server's alone. A scenario and its baselines run interleaved, round by
// round (A, B, C, A, B, C, …), so that machine noise lands on all of them alike; each figure
// is the median of the rounds, and each ratio the median of the rounds' paired ratios. Results
// go to stdout and to bench/results.md. A missed target prints MISSED but still exits 0; a
// benchmark that cannot run (a failed sign-in, unexpected status codes) exits 1.
//
// Options, for a quieter or a quicker run: --rounds=3 --seconds=3 --connections=10
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { URLSearchParams } from 'node:url';
import autocannon from 'autocannon';
import { args } from './args.mjs';

const ROUNDS = args.rounds ?? 3;
const ROUND_SECONDS = args.seconds ?? 3;
const WARMUP_SECONDS = 1;
const CONNECTIONS = args.connections ?? 10;
/** Sign-ins per callback round: about 2.5 s at the target rate. */
const SIGN_INS_PER_ROUND = 6_000;
/** setupRequest may build one request per connection beyond `amount`; those need a link too. */
const SPARE_LINKS = 2 * CONNECTIONS;
const EMAIL = 'bench@example.com';
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

const results = [];
let broken = false;

async function startServer(variant) {
  const child = fork(new URL('./server.mjs', import.meta.url), [variant], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const [message] = await Promise.race([
    once(child, 'message'),
    once(child, 'exit').then(([code]) => {
      throw new Error(`bench server ${variant} exited with ${code} before it was ready`);
    }),
  ]);
  return {
    variant,
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
}

function fail(message) {
  broken = true;
  console.error(`BROKEN: ${message}`);
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
  if (result.errors > 0 || result.timeouts > 0 || unexpected.length > 0) {
    fail(
      `${label}: ${result.errors} errors, ${result.timeouts} timeouts, statuses ${JSON.stringify(statuses)} (expected only ${expectedStatus})`,
    );
  }
  return {
    rps: answered / ((lastAt - startedAt) / 1000),
    p50: result.latency.p50,
    p99: result.latency.p99,
    total: answered,
    cpuPerRequest: cpu / answered,
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
    rounds: rounds.map((r) => r.rps),
  };
}

/** The median of round-by-round ratios: each pair ran back to back, under the same noise. */
function pairedRatio(a, b) {
  return median(a.rounds.map((rps, i) => rps / b.rounds[i]));
}

/** Runs each contender once per round, in turn, after one unrecorded warm-up each. */
async function interleave(contenders) {
  for (const c of contenders)
    await cannon(`${c.name} warm-up`, c.server, c.options(WARMUP_SECONDS), c.status);
  const rounds = new Map(contenders.map((c) => [c.name, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const c of contenders) {
      rounds.get(c.name).push(await cannon(c.name, c.server, c.options(ROUND_SECONDS), c.status));
    }
  }
  return new Map(contenders.map((c) => [c.name, summarize(rounds.get(c.name))]));
}

function setCookie(res, name) {
  const line = res.headers.getSetCookie().find((c) => c.startsWith(`${name}=`));
  if (!line) throw new Error(`expected a ${name} cookie from ${res.url} (HTTP ${res.status})`);
  return line.split(';')[0];
}

/** Asks for a link as a browser would; returns that browser's pending cookie. */
async function requestLink(server, cookie) {
  const res = await fetch(`${server.origin}/auth/magic-link`, {
    method: 'POST',
    redirect: 'manual',
    headers: { ...FORM, origin: server.origin, ...(cookie ? { cookie } : {}) },
    body: new URLSearchParams({ email: EMAIL }),
  });
  if (res.status !== 303) throw new Error(`POST /auth/magic-link answered ${res.status}`);
  return cookie ?? setCookie(res, 'mlink');
}

/** A real sign-in: ask for a link, take it from the delivery function, follow it. */
async function signIn(server) {
  const pending = await requestLink(server);
  const { links } = await server.ask('links');
  const res = await fetch(links[0], { redirect: 'manual', headers: { cookie: pending } });
  if (res.status !== 303) throw new Error(`the magic link answered ${res.status}, not 303`);
  return setCookie(res, 'connect.sid');
}

async function handGuardSignIn(server) {
  const res = await fetch(`${server.origin}/login`);
  return setCookie(res, 'connect.sid');
}

async function rssOf(servers) {
  const out = {};
  for (const s of servers) out[s.variant] = (await s.ask('rss')).rss;
  return out;
}

function getPrivate(server, cookie) {
  return (duration) => ({
    url: `${server.origin}/private`,
    duration,
    headers: cookie ? { cookie } : {},
  });
}

async function guardedGet() {
  const servers = await Promise.all(
    ['magic-link', 'hand-guard', 'bare'].map((variant) => startServer(variant)),
  );
  const [lib, hand, bare] = servers;
  try {
    const contenders = [
      { name: 'lib', server: lib, options: getPrivate(lib, await signIn(lib)), status: 200 },
      {
        name: 'hand',
        server: hand,
        options: getPrivate(hand, await handGuardSignIn(hand)),
        status: 200,
      },
      { name: 'bare', server: bare, options: getPrivate(bare, null), status: 200 },
    ];
    const s = await interleave(contenders);
    const rss = await rssOf(servers);
    const ratio = pairedRatio(s.get('lib'), s.get('hand'));
    results.push(
      {
        scenario: 'GET on a `requireUser()` route, signed in (express-session, MemoryStore)',
        server: 'express-magic-link: `magicLinkRouter()` + `requireUser()`',
        ...s.get('lib'),
        vs: `${ratio.toFixed(2)}× hand guard, ${pairedRatio(s.get('lib'), s.get('bare')).toFixed(2)}× bare`,
        target: '≥ 0.95× hand guard',
        met: ratio >= 0.95,
        rss: rss['magic-link'],
      },
      {
        scenario: '',
        server:
          'baseline (a): express-session + a hand-written guard middleware, `if (!req.session.user) return res.status(401)…; next()`',
        ...s.get('hand'),
        vs: '—',
        target: '',
        rss: rss['hand-guard'],
      },
      {
        scenario: '',
        server: 'baseline (b): bare Express, no session',
        ...s.get('bare'),
        vs: '—',
        target: '',
        rss: rss.bare,
      },
    );
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
  }
}

function postLink(server) {
  return (duration) => ({
    url: `${server.origin}/auth/magic-link`,
    duration,
    method: 'POST',
    headers: { ...FORM, origin: server.origin },
    body: new URLSearchParams({ email: EMAIL }).toString(),
  });
}

async function requestPost() {
  const servers = await Promise.all(
    ['magic-link-discard', 'bare'].map((variant) => startServer(variant)),
  );
  const [lib, bare] = servers;
  try {
    const s = await interleave([
      { name: 'lib', server: lib, options: postLink(lib), status: 303 },
      { name: 'bare', server: bare, options: postLink(bare), status: 303 },
    ]);
    const rss = await rssOf(servers);
    const ratio = pairedRatio(s.get('lib'), s.get('bare'));
    results.push(
      {
        scenario: '`POST /auth/magic-link` (form), self-hosted, memoryStore, delivery discards',
        server: 'express-magic-link',
        ...s.get('lib'),
        vs: `${ratio.toFixed(2)}× bare`,
        target: '≥ 0.5× bare',
        met: ratio >= 0.5,
        rss: rss['magic-link-discard'],
      },
      {
        scenario: '',
        server: 'baseline: bare Express, `express.urlencoded()` + 303',
        ...s.get('bare'),
        vs: '—',
        target: '',
        rss: rss.bare,
      },
    );
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
  }
}

/** Mints `count` links for one browser through the real endpoint; returns their paths. */
async function mint(server, pending, count) {
  await cannon(
    'mint',
    server,
    {
      url: `${server.origin}/auth/magic-link`,
      amount: count,
      method: 'POST',
      headers: { ...FORM, origin: server.origin, cookie: pending },
      body: new URLSearchParams({ email: EMAIL }).toString(),
    },
    303,
  );
  const { links } = await server.ask('links');
  if (links.length !== count) fail(`minted ${links.length} links, not ${count}`);
  return links.map((link) => {
    const url = new URL(link);
    return url.pathname + url.search;
  });
}

async function spend(server, pending, paths, amount) {
  let next = 0;
  return cannon(
    'callback',
    server,
    {
      url: server.origin,
      amount,
      headers: { cookie: pending },
      requests: [{ method: 'GET', setupRequest: (req) => ({ ...req, path: paths[next++] }) }],
    },
    303,
  );
}

async function callback() {
  const server = await startServer('magic-link');
  try {
    // One browser asks for every link, so its one pending cookie fits them all.
    const pending = await requestLink(server);
    await server.ask('links');
    await spend(server, pending, await mint(server, pending, 500 + SPARE_LINKS), 500);
    const rounds = [];
    for (let round = 0; round < ROUNDS; round++) {
      const paths = await mint(server, pending, SIGN_INS_PER_ROUND + SPARE_LINKS);
      rounds.push(await spend(server, pending, paths, SIGN_INS_PER_ROUND));
    }
    const { events } = await server.ask('events');
    const expected = 500 + ROUNDS * SIGN_INS_PER_ROUND;
    if (events.sign_in !== expected) fail(`${events.sign_in} sign_in events, not ${expected}`);
    const s = summarize(rounds);
    const { rss } = await server.ask('rss');
    results.push({
      scenario: 'Callback: link → token take + session create (each link used once)',
      server: 'express-magic-link',
      ...s,
      vs: '—',
      target: '≥ 2,500 sign-ins/s',
      met: s.rps >= 2500,
      rss,
    });
  } finally {
    await server.stop();
  }
}

const fmt = (n) => Math.round(n).toLocaleString('en');
const mb = (bytes) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;

function table() {
  const lines = [
    '| Scenario | Server | req/s (median) | rounds | p50 ms | p99 ms | ratio | target | server CPU µs/req | RSS after |',
    '| --- | --- | ---: | --- | ---: | ---: | --- | --- | ---: | ---: |',
  ];
  for (const r of results) {
    const verdict = r.met === undefined ? '' : r.met ? ' — met' : ' — **MISSED**';
    lines.push(
      `| ${r.scenario} | ${r.server} | ${fmt(r.rps)} | ${r.rounds.map(fmt).join(', ')} | ${r.p50} | ${r.p99} | ${r.vs} | ${r.target}${verdict} | ${fmt(r.cpuPerRequest)} | ${mb(r.rss)} |`,
    );
  }
  return lines.join('\n');
}

const started = Date.now();
const idleBefore = await idleShare(1000);
try {
  await guardedGet();
  await requestPost();
  await callback();
} catch (err) {
  fail(err instanceof Error ? (err.stack ?? err.message) : String(err));
}

const cpus = os.cpus();
const busy = idleBefore < 0.8;
const idle = `${Math.round(idleBefore * 100)}% idle in the second before the run`;
const machine = `${cpus.length} × ${cpus[0]?.model.trim() ?? 'unknown CPU'}, ${(os.totalmem() / 1024 ** 3).toFixed(1)} GB RAM, ${os.type()} ${os.release()} (${os.arch()})`;
const markdown = `# Benchmark results

The latest \`npm run bench\`. Each figure is the median of ${ROUNDS} rounds of ${ROUND_SECONDS} s
(callback: ${fmt(SIGN_INS_PER_ROUND)} sign-ins a round) with ${CONNECTIONS} connections, after a
warm-up; a scenario and its baselines alternate round by round, and a ratio is the median of
the rounds' paired ratios. Every server runs in its own process on 127.0.0.1, and autocannon
runs in the parent on the same machine.

- Machine: ${machine}
- Node.js: ${process.version}
- Date: ${new Date().toISOString()}
- Duration: ${Math.round((Date.now() - started) / 1000)} s
- CPUs: ${idle}${busy ? ' — other work was running, so the figures are noisy' : ''}

${table()}

RSS is the server process's resident set after its scenario. Server CPU µs/req is the server
process's user + system CPU time over a round, divided by the requests it answered: it moves
less than req/s when other work shares the machine. The POST scenario turns rate
limits off (\`dangerouslyDisableRateLimit\`), so one address can be used throughout.

## Reproduce

\`\`\`sh
npm ci
npm run bench    # builds dist/, then runs node bench/run.mjs
\`\`\`
`;

console.log(`\n${table()}\n`);
for (const r of results) {
  if (r.met === false) console.log(`MISSED: ${r.scenario} — ${r.vs} (target ${r.target})`);
}
if (broken) {
  console.error('The benchmark did not run cleanly; bench/results.md was not updated.');
  process.exitCode = 1;
} else {
  await writeFile(new URL('./results.md', import.meta.url), markdown);
  console.log(`Machine: ${machine}; Node ${process.version}; CPUs ${idle}.`);
  if (busy) console.log('Other work was running when this run began: the figures are noisy.');
  console.log('Written to bench/results.md.');
}
