// Memory-store flood: a million distinct addresses' rate-limit counters must not grow memory
// without bound, and must not push out anyone's live security state either (docs/threat-model.md,
// Faults and A1). Run after `npm run build`:
//
//   node --expose-gc bench/memory-flood.mjs [--addresses=1000000] [--max-entries=100000]
//
// A victim's pending sign-in and exhausted per-address counter are written first. The flood
// fills the store to maxEntries; every write past the bound is refused (ERR_STORE_UNAVAILABLE,
// which the router answers with 503), and the victim's entries are still there afterwards.
// Pass --max-entries=1000000 to see what the same flood costs when it all fits.
import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { memoryStore } from '../dist/index.mjs';
import { args } from './args.mjs';

const addresses = args['addresses'] ?? 1_000_000;
const maxEntries = args['max-entries'] ?? 100_000;

const mb = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
let baseline = 0;
function snapshot(label, store, perEntry = '') {
  const { rss, heapUsed } = process.memoryUsage();
  if (perEntry) perEntry = `   ~${Math.round((heapUsed - baseline) / store.size)} B/entry`;
  console.log(
    `${label.padEnd(22)} entries ${String(store.size).padStart(9)}   rss ${mb(rss).padStart(9)}   heapUsed ${mb(heapUsed).padStart(9)}${perEntry}`,
  );
}
function collect() {
  if (typeof globalThis.gc !== 'function') return false;
  globalThis.gc();
  return true;
}
const failures = [];

// A clock that stands still, so that nothing expires however slow the machine: the victim's
// one-minute counter must survive because the store kept it, not because the flood was quick.
const clock = Date.now();
const store = memoryStore({ maxEntries, warnInProduction: false, now: () => clock });
// The victim, before the flood: a pending sign-in, and an address at its limit of 3 a minute.
const victim = createHash('sha256').update('victim@example.com').digest('base64url');
await store.set('pending:victim-sign-in-id00', 'v'.repeat(43), 900_000);
for (let i = 0; i < 3; i++) await store.increment(`rl:email:60000:${victim}`, 60_000);

collect();
baseline = process.memoryUsage().heapUsed;
snapshot('before', store);

let refused = 0;
let otherErrors = 0;
const started = performance.now();
for (let i = 0; i < addresses; i++) {
  // The key shape the rate limiter writes: a SHA-256 digest of a distinct address per request.
  const digest = createHash('sha256').update(`user${i}@flood.example`).digest('base64url');
  try {
    await store.increment(`rl:email:3600000:${digest}`, 3_600_000);
  } catch (error) {
    if (error?.code === 'ERR_STORE_UNAVAILABLE') refused += 1;
    else otherErrors += 1;
  }
}
const seconds = (performance.now() - started) / 1000;

snapshot(`after ${addresses.toLocaleString('en')}`, store);
if (collect()) snapshot('after forced GC', store, 'per entry');
else console.log('(run with node --expose-gc to also measure after a forced GC)');
console.log(
  `maxEntries ${maxEntries.toLocaleString('en')}; ${(addresses - refused).toLocaleString('en')} accepted, ` +
    `${refused.toLocaleString('en')} refused (the router answers those 503); ` +
    `${Math.round(addresses / seconds).toLocaleString('en')} increments/s`,
);

// Two entries are the victim's; every other write is accepted until the store is full.
if (store.size !== Math.min(maxEntries, addresses + 2)) {
  failures.push(`the store holds ${store.size} entries; maxEntries is ${maxEntries}`);
}
if (refused !== addresses - (store.size - 2) || otherErrors > 0) {
  failures.push(`${refused} writes refused and ${otherErrors} other errors`);
}
if ((await store.get('pending:victim-sign-in-id00')) === null) {
  failures.push("the flood pushed out the victim's pending sign-in");
}
const { count } = await store.increment(`rl:email:60000:${victim}`, 60_000);
console.log(`victim: pending sign-in kept; per-address counter now ${count} (limit 3: still 429)`);
if (count !== 4) failures.push(`the victim's counter restarted at ${count}: its limit was reset`);

for (const failure of failures) console.error(`FAIL: ${failure}`);
if (failures.length > 0) process.exitCode = 1;
