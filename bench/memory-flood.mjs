// Memory-store flood: a million distinct addresses' rate-limit counters must not grow memory
// without bound (docs/threat-model.md, Faults). Run after `npm run build`:
//
//   node --expose-gc bench/memory-flood.mjs [--addresses=1000000] [--max-entries=100000]
//
// Pass --max-entries=1000000 to see what the same flood costs when nothing is evicted.
import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { memoryStore } from '../dist/index.mjs';

const args = Object.fromEntries(
  process.argv
    .slice(2)
    .map((arg) => /^--([\w-]+)=(\d+)$/.exec(arg))
    .filter(Boolean)
    .map(([, name, value]) => [name, Number(value)]),
);
const addresses = args['addresses'] ?? 1_000_000;
const maxEntries = args['max-entries'] ?? 100_000;

const mb = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
function snapshot(label, store) {
  const { rss, heapUsed } = process.memoryUsage();
  console.log(
    `${label.padEnd(22)} entries ${String(store.size).padStart(9)}   rss ${mb(rss).padStart(9)}   heapUsed ${mb(heapUsed).padStart(9)}`,
  );
}
function collect() {
  if (typeof globalThis.gc !== 'function') return false;
  globalThis.gc();
  return true;
}

const store = memoryStore({ maxEntries, warnInProduction: false });
collect();
snapshot('before', store);

const started = performance.now();
for (let i = 0; i < addresses; i++) {
  // The key shape the rate limiter writes: a SHA-256 digest of a distinct address per request.
  const digest = createHash('sha256').update(`user${i}@flood.example`).digest('base64url');
  await store.increment(`rl:email:3600000:${digest}`, 3_600_000);
}
const seconds = (performance.now() - started) / 1000;

snapshot(`after ${addresses.toLocaleString('en')}`, store);
if (collect()) snapshot('after forced GC', store);
else console.log('(run with node --expose-gc to also measure after a forced GC)');
console.log(
  `maxEntries ${maxEntries.toLocaleString('en')}; ${Math.round(addresses / seconds).toLocaleString('en')} increments/s`,
);

if (store.size > maxEntries) {
  console.error(`FAIL: the store holds ${store.size} entries, more than maxEntries ${maxEntries}`);
  process.exitCode = 1;
}
