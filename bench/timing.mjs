// Can the timing of `POST /auth/magic-link` tell an allowed address from a refused or a
// rate-limited one (threat model A3)? Run by `npm run bench` after bench/run.mjs, or alone:
//
//   npm run build && node bench/timing.mjs [--samples=300] [--mail-ms=120]
//
// One app on 127.0.0.1 whose mailer takes --mail-ms (SMTP took a median 116 ms in the abuse
// review) and whose allow() refuses every address at refused.example. Requests for the three
// cases are shuffled together and sent one at a time from one keep-alive client. An attacker's
// best tool is a threshold on latency: for each pair of cases the threshold is fitted on one
// half of the samples and scored on the other half. Chance is 50 %; the run fails (exit 1) when
// a classifier beats chance by more than three standard errors.
import { createServer } from 'node:http';
import { performance } from 'node:perf_hooks';
import { writeFile } from 'node:fs/promises';
import { URLSearchParams } from 'node:url';
import express from 'express';
import session from 'express-session';
import { magicLinkRouter, memoryStore, selfHostedProvider } from '../dist/index.mjs';
import { args } from './args.mjs';

const SAMPLES = args.samples ?? 300;
const MAIL_MS = args['mail-ms'] ?? 120;
const SECRET = 'bench-timing-secret-0123456789abcdef012345';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
let mailed = 0;
const server = createServer();
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const origin = `http://127.0.0.1:${server.address().port}`;
const app = express();
app.use(session({ secret: SECRET, resave: false, saveUninitialized: false }));
const router = magicLinkRouter({
  provider: selfHostedProvider(),
  secret: SECRET,
  origin,
  store: memoryStore({ maxEntries: 1_000_000, warnInProduction: false }),
  delivery: async () => {
    await sleep(MAIL_MS);
    mailed += 1;
  },
  allow: (email) => !email.endsWith('@refused.example'),
  // Only the per-address rules: one client sends every request, as one attacker would.
  rateLimit: { perIp: [], perIpAttempts: [] },
  onEvent: () => {},
});
app.use(router);
server.on('request', app);

async function post(email) {
  const started = performance.now();
  const res = await fetch(`${origin}/auth/magic-link`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin },
    body: new URLSearchParams({ email }),
  });
  await res.arrayBuffer();
  return { status: res.status, ms: performance.now() - started };
}

// The rate-limited address is used up first: 3 a minute from one IP.
for (let i = 0; i < 3; i++) await post('limited@allowed.example');
const cases = [];
for (let i = 0; i < SAMPLES; i++) {
  cases.push({ kind: 'allowed', email: `a${i}@allowed.example` });
  cases.push({ kind: 'refused', email: `r${i}@refused.example` });
  cases.push({ kind: 'rate-limited', email: 'limited@allowed.example' });
}
for (let i = cases.length - 1; i > 0; i--) {
  const j = Math.floor(Math.random() * (i + 1));
  [cases[i], cases[j]] = [cases[j], cases[i]];
}
for (let i = 0; i < 20; i++) await post(`warm${i}@refused.example`);
const times = { allowed: [], refused: [], 'rate-limited': [] };
const statuses = { allowed: new Set(), refused: new Set(), 'rate-limited': new Set() };
for (const c of cases) {
  const { status, ms } = await post(c.email);
  if (status !== (c.kind === 'rate-limited' ? 429 : 303)) {
    console.error(`bench/timing: ${c.kind} answered ${status}`);
    process.exit(1);
  }
  times[c.kind].push(ms);
  statuses[c.kind].add(status);
}
await router.drain();
server.close();
server.closeAllConnections();

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};

/** Fits the best threshold (and direction) on `train`, scores it on `test`. */
function thresholdAccuracy(a, b) {
  const half = (xs) => [xs.filter((_, i) => i % 2 === 0), xs.filter((_, i) => i % 2 === 1)];
  const [aTrain, aTest] = half(a);
  const [bTrain, bTest] = half(b);
  const candidates = [...aTrain, ...bTrain].sort((x, y) => x - y);
  let best = { accuracy: 0, threshold: 0, aBelow: true };
  for (const threshold of candidates) {
    for (const aBelow of [true, false]) {
      const right =
        aTrain.filter((x) => x <= threshold === aBelow).length +
        bTrain.filter((x) => x <= threshold !== aBelow).length;
      const accuracy = right / (aTrain.length + bTrain.length);
      if (accuracy > best.accuracy) best = { accuracy, threshold, aBelow };
    }
  }
  const right =
    aTest.filter((x) => x <= best.threshold === best.aBelow).length +
    bTest.filter((x) => x <= best.threshold !== best.aBelow).length;
  const n = aTest.length + bTest.length;
  return { accuracy: right / n, n };
}

const rows = [];
let leaked = false;
for (const other of ['refused', 'rate-limited']) {
  const { accuracy, n } = thresholdAccuracy(times.allowed, times[other]);
  const bound = 0.5 + 3 * Math.sqrt(0.25 / n);
  if (accuracy > bound) leaked = true;
  rows.push(
    `| allowed vs ${other} | ${(accuracy * 100).toFixed(1)} % | ${(bound * 100).toFixed(1)} % | ${accuracy > bound ? 'LEAKS' : 'no better than chance'} |`,
  );
}
const ms = (x) => x.toFixed(2);
const report = `## Timing of \`POST /auth/magic-link\` (threat model A3)

Mailer delay ${MAIL_MS} ms; ${SAMPLES} requests per case, shuffled, one keep-alive client; ${mailed} emails sent.

| Case | HTTP status | Median ms | p90 ms |
| --- | --- | --- | --- |
${Object.entries(times)
  .map(([kind, xs]) => {
    const s = [...xs].sort((a, b) => a - b);
    return `| ${kind} | ${[...statuses[kind]].join(', ')} | ${ms(median(xs))} | ${ms(s[Math.floor(s.length * 0.9)])} |`;
  })
  .join('\n')}

| Threshold classifier (fitted on half, scored on the other half) | Accuracy | Chance + 3 SE | Verdict |
| --- | --- | --- | --- |
${rows.join('\n')}

The rate-limited case answers 429, which any client sees; the table shows that its timing adds
nothing, and that an allowed and a refused address cannot be told apart at all.
`;
console.log(report);
await writeFile(new URL('./timing-results.md', import.meta.url), report);
if (leaked) {
  console.error('MISSED: a latency threshold tells the cases apart.');
  process.exitCode = 1;
}
