// Server CPU per sign-in and sign-ins per second: a passkey sign-in (options + verify) beside
// an email link's callback, on the same app (express-magic-link, express-session, memory
// stores). Run by `npm run bench` after the others, or alone:
//
//   npm run build && node bench/passkeys.mjs [--sign-ins=1000] [--rounds=3] [--connections=10]
//
// The server runs alone in its process (bench/server.mjs, stack magic-link-passkeys), pinned
// like bench/run.mjs pins it; the software authenticator signs in this process. CPU is the
// server's user + system time over the measured sign-ins, divided by their number. Rounds
// alternate passkey and link; figures are medians. Aim (issue 20): a passkey sign-in costs no
// more server CPU than a link sign-in. Results go to stdout and bench/passkeys-results.md.
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { URLSearchParams } from 'node:url';
import { softwareAuthenticator } from '../dist/testing/index.mjs';
import { args } from './args.mjs';
import { LOAD_CORE, cookiesOf, pin, setPinning, startServer } from './stacks.mjs';

const SIGN_INS = args['sign-ins'] ?? 1000;
const ROUNDS = args.rounds ?? 3;
const CONNECTIONS = args.connections ?? 10;
const canPin = setPinning((args.pin ?? 1) !== 0);
pin(process.pid, LOAD_CORE);

const server = await startServer('magic-link-passkeys');
const { origin } = server;
const json = (cookie) => ({
  'content-type': 'application/json',
  accept: 'application/json',
  origin,
  ...(cookie ? { cookie } : {}),
});

async function post(path, body, cookie) {
  const res = await fetch(`${origin}${path}`, {
    method: 'POST',
    redirect: 'manual',
    headers: json(cookie),
    body: JSON.stringify(body),
  });
  const text = await res.text();
  return { res, body: text ? JSON.parse(text) : null };
}

/** Mints `n` links for one address (not measured): each with the browser cookie that asked. */
async function mintLinks(n) {
  const pending = [];
  for (let i = 0; i < n; i++) {
    const res = await fetch(`${origin}/auth/magic-link`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin },
      body: new URLSearchParams({ email: 'bench@example.com' }).toString(),
    });
    if (res.status !== 303) throw new Error(`POST /auth/magic-link answered ${res.status}`);
    pending.push(cookiesOf(res).join('; '));
  }
  const { links } = await server.ask('links');
  return links.map((link, i) => ({ link, cookie: pending[i] }));
}

async function linkSignIn({ link, cookie }) {
  const res = await fetch(link, { redirect: 'manual', headers: { cookie } });
  await res.arrayBuffer();
  if (res.status !== 303) throw new Error(`the link answered ${res.status}`);
}

// One enrolled passkey: sign in by link, then register with the software authenticator.
// Counter 0, as synced passkeys report: concurrent sign-ins with one counting authenticator
// would arrive out of order and look like a clone.
const authenticator = softwareAuthenticator({ origin, keepsCounter: false });
{
  const [first] = await mintLinks(1);
  const res = await fetch(first.link, { redirect: 'manual', headers: { cookie: first.cookie } });
  const session = cookiesOf(res).join('; ');
  const options = await post('/auth/passkeys/register/options', {}, session);
  const cookie = [session, ...cookiesOf(options.res)].join('; ');
  const done = await post('/auth/passkeys/register', authenticator.register(options.body), cookie);
  if (done.body?.status !== 'registered') throw new Error(`register: ${JSON.stringify(done.body)}`);
}

async function passkeySignIn() {
  const options = await post('/auth/passkeys/sign-in/options', {});
  const cookie = cookiesOf(options.res).join('; ');
  const assertion = authenticator.authenticate(options.body);
  const { res } = await post('/auth/passkeys/sign-in', assertion, cookie);
  if (res.status !== 200) throw new Error(`passkey sign-in answered ${res.status}`);
}

/** Runs `work(i)` for i < n on `CONNECTIONS` lanes; returns server µs CPU per item and items/s. */
async function measure(n, work) {
  const before = (await server.ask('cpu')).cpu;
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (next < n) await work(next++);
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const cpu = (await server.ask('cpu')).cpu - before;
  return { cpuPerSignIn: cpu / n, perSecond: n / seconds };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const results = { passkey: [], link: [] };
// Warm-up: both paths, not counted.
await measure(100, passkeySignIn);
{
  const links = await mintLinks(100);
  await measure(100, (i) => linkSignIn(links[i]));
}
for (let round = 0; round < ROUNDS; round++) {
  results.passkey.push(await measure(SIGN_INS, passkeySignIn));
  const links = await mintLinks(SIGN_INS);
  results.link.push(await measure(SIGN_INS, (i) => linkSignIn(links[i])));
}
await server.stop();

const row = (name, rs, requests) => {
  const cpu = median(rs.map((r) => r.cpuPerSignIn));
  const rate = median(rs.map((r) => r.perSecond));
  return {
    name,
    cpu,
    rate,
    line: `| ${name} | ${requests} | ${cpu.toFixed(0)} | ${rate.toFixed(0)} |`,
  };
};
const passkey = row('passkey (options + verify)', results.passkey, 2);
const link = row('email link (callback)', results.link, 1);
const ratio = passkey.cpu / link.cpu;
const met = ratio <= 1;
const report = `# Passkey sign-in beside the email callback

${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${os.cpus()[0]?.model ?? 'unknown CPU'}
(${os.cpus().length} cores${canPin ? '; server pinned to core 0, load to core 1' : '; no pinning'}).
${ROUNDS} rounds of ${SIGN_INS} sign-ins each, ${CONNECTIONS} at a time; medians.

| Sign-in | requests | server CPU µs / sign-in | sign-ins / s |
| --- | --- | --- | --- |
${passkey.line}
${link.line}

Passkey / link server CPU: ${ratio.toFixed(2)} (target ≤ 1.00: ${met ? 'met' : '**MISSED**'}).
Minting the links (POST /auth/magic-link) is not counted; the passkey figure counts both of its requests.
`;
console.log(report);
await writeFile(new URL('./passkeys-results.md', import.meta.url), report);
if (!met) console.log(`MISSED: passkey sign-in CPU ${ratio.toFixed(2)}× the link's`);
