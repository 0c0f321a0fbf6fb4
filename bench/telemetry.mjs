// What wiring OpenTelemetry costs when the app registered no SDK: the server CPU time of
// `POST /auth/magic-link` with `telemetry: openTelemetry(api)` against the same stack without
// the option. Run by `npm run bench` after bench/run.mjs, or alone:
//
//   npm run build && node bench/telemetry.mjs [--rounds=12] [--seconds=2] [--connections=10]
//
// Two servers (bench/server.mjs: `sealed` and `sealed-otel`, delivery discards) in their own
// processes, pinned to one core where taskset exists. The rounds are paired and interleaved:
// each round runs both, back to back, in alternating order (A B, B A, …), so machine noise and
// drift land on both alike; the overhead is the median of the rounds' paired CPU ratios. Target:
// at most 2 % more CPU per request. A missed target prints MISSED but exits 0; a broken run
// (unexpected statuses) exits 1. Results go to stdout and bench/telemetry-results.md.
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import autocannon from 'autocannon';
import { args } from './args.mjs';
import {
  LABEL,
  LOAD_CORE,
  REQUEST,
  email,
  pin,
  requestBody,
  requestHeaders,
  setPinning,
  startServer,
} from './stacks.mjs';

const ROUNDS = args.rounds ?? 12;
const SECONDS = args.seconds ?? 2;
const CONNECTIONS = args.connections ?? 10;
const TARGET = 1.02;
const STACKS = ['sealed', 'sealed-otel'];

const canPin = setPinning((args.pin ?? 1) !== 0);
pin(process.pid, LOAD_CORE);
let broken = false;

/** One autocannon run of the link request; the server's CPU time per answered request. */
async function round(server, seconds) {
  const { path, status } = REQUEST[server.stack];
  const before = (await server.ask('cpu')).cpu;
  const result = await autocannon({
    url: `${server.origin}${path}`,
    connections: CONNECTIONS,
    duration: seconds,
    method: 'POST',
    headers: requestHeaders(server),
    body: requestBody(server.stack, email(0)),
  });
  const cpu = (await server.ask('cpu')).cpu - before;
  const answered = result.statusCodeStats?.[status]?.count ?? 0;
  if (result.errors > 0 || result.non2xx !== answered || answered === 0) {
    broken = true;
    console.error(
      `BROKEN: ${server.stack}: ${result.errors} errors, statuses ${JSON.stringify(result.statusCodeStats)}`,
    );
  }
  return { cpuPerRequest: cpu / Math.max(answered, 1), rps: answered / seconds };
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

const servers = Object.fromEntries(
  await Promise.all(
    STACKS.map(async (stack) => [stack, await startServer(stack, { discard: true })]),
  ),
);
const rounds = { sealed: [], 'sealed-otel': [] };
try {
  for (const stack of STACKS) await round(servers[stack], 2);
  for (let i = 0; i < ROUNDS; i++) {
    const order = i % 2 === 0 ? STACKS : [...STACKS].reverse();
    for (const stack of order) rounds[stack].push(await round(servers[stack], SECONDS));
  }
} finally {
  await Promise.all(Object.values(servers).map((s) => s.stop()));
}

const ratios = rounds['sealed-otel'].map(
  (r, i) => r.cpuPerRequest / rounds.sealed[i].cpuPerRequest,
);
const ratio = median(ratios);
const met = ratio <= TARGET;
const cpus = os.cpus();
const machine = `${cpus.length} × ${cpus[0]?.model.trim() ?? 'unknown CPU'}, ${os.type()} ${os.release()}`;
const fmt = (n) => n.toFixed(1);
const rows = STACKS.map(
  (stack) =>
    `| ${LABEL[stack]} | ${fmt(median(rounds[stack].map((r) => r.cpuPerRequest)))} | ${Math.round(median(rounds[stack].map((r) => r.rps)))} |`,
);
const table = [
  '| Stack | server CPU µs/request (median) | req/s (median) |',
  '| --- | ---: | ---: |',
  ...rows,
  '',
  `Overhead of telemetry wired with no SDK (median of ${ROUNDS} paired rounds): **${((ratio - 1) * 100).toFixed(1)} %** CPU per request (target ≤ ${((TARGET - 1) * 100).toFixed(0)} %: ${met ? 'met' : '**MISSED**'}).`,
  `Paired ratios: ${ratios.map((r) => r.toFixed(3)).join(', ')}.`,
].join('\n');

console.log(`\n${table}\n`);
if (!met)
  console.log(`MISSED: telemetry overhead ${((ratio - 1) * 100).toFixed(1)} % (target ≤ 2 %)`);
if (broken) {
  console.error('The benchmark did not run cleanly; bench/telemetry-results.md was not updated.');
  process.exitCode = 1;
} else {
  await writeFile(
    new URL('./telemetry-results.md', import.meta.url),
    `# Telemetry overhead (no SDK registered)

The latest \`node bench/telemetry.mjs\`: \`POST /auth/magic-link\` on \`sealedCookieSession\`,
delivery discards, rate limits off, ${CONNECTIONS} connections, ${ROUNDS} paired rounds of
${SECONDS} s in alternating order.

- Machine: ${machine}; Node.js ${process.version}; ${new Date().toISOString()}
- Pinning: ${canPin ? 'servers on core 0, load generator on core 1' : 'none'}

${table}
`,
  );
  console.log('Written to bench/telemetry-results.md.');
}
