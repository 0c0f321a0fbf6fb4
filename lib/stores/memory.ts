import { MagicLinkError } from '../errors';
import { repeatedKey } from './guard';
import type { CounterEntry, CounterResult, Store, StoreEntry } from './store';

/**
 * How many keys a {@link memoryStore} holds at most: about 25 MB of heap when full of counters
 * and pending sign-ins (see {@link MemoryStoreOptions.maxEntries} for the arithmetic).
 */
export const DEFAULT_MAX_ENTRIES = 100_000;

/** Options for {@link memoryStore}. */
export interface MemoryStoreOptions {
  /**
   * The most keys held at once, so that a flood of distinct addresses cannot grow memory without
   * bound. Every key this package writes is security state (a pending sign-in, a token, a
   * rate-limit or attempt counter), so a full store never evicts a live key to make room: it first
   * drops expired entries, and if none have expired it rejects the write with a `MagicLinkError`
   * `ERR_STORE_UNAVAILABLE`, which the router answers with `503`. Reads, `take`, `delete`,
   * overwrites of a key it holds and increments of a counter it holds keep working.
   *
   * Memory, measured on Node 20 (`bench/memory-flood.mjs`): about 215 bytes of heap per
   * rate-limit counter, 255 per pending sign-in and 780 per self-hosted token record (its JSON
   * is about 400 characters). So 100,000 entries of counters and pending sign-ins take about
   * 25 MB, and 1,000,000 about 250 MB. A sign-in to a new address writes up to five keys
   * (pending record, token, code binding, two per-address counters) that live up to an hour,
   * so the default holds at least 20,000 sign-ins in flight. A flood from many addresses can
   * still fill it: then new sign-ins get `503` until the flood's entries expire (within an hour
   * with the default limits), but no link in flight dies and no limit resets. Raise the bound if
   * you have the memory; it only makes such a flood more expensive.
   *
   * @default 100_000 ({@link DEFAULT_MAX_ENTRIES})
   */
  maxEntries?: number;
  /**
   * The clock, in milliseconds. Inject one in tests to expire entries without waiting.
   *
   * @default Date.now
   */
  now?: () => number;
  /**
   * Warn once, through `console.warn`, when `NODE_ENV` is `production`.
   *
   * @default true
   */
  warnInProduction?: boolean;
}

/** A {@link Store} that lives in this process's memory. */
export interface MemoryStore extends Store {
  /** `get`, synchronously: a memory store never waits. */
  getSync(key: string): string | null;
  /**
   * Entries held right now, including expired ones that no write has dropped yet (every write
   * drops all expired entries first).
   */
  readonly size: number;
  /** Several `increment`s in one synchronous step (see {@link Store.incrementMany}). */
  incrementMany(counters: readonly CounterEntry[]): Promise<CounterResult[]>;
  /** Several `set`s in one synchronous step: all of them, or (when full) none. */
  setMany(entries: readonly StoreEntry[]): Promise<void>;
  /** Drops every entry. */
  clear(): void;
}

// The entries are also kept in a binary min-heap by expiry, each entry knowing its own place in
// it, so that dropping whatever has expired costs O(log n) per dropped entry and never scans the
// live ones. That lets every write drop all expired entries first, so a full store is full of
// live entries only, without a periodic O(n) sweep or a timer.
interface Entry {
  readonly key: string;
  value: string;
  expiresAt: number;
  /** This entry's index in the heap. */
  slot: number;
}

const PRODUCTION_WARNING =
  'Warning: express-magic-link memoryStore() is in use with NODE_ENV=production. It is bounded ' +
  '(when full of live entries it refuses new keys, and sign-ins get 503, rather than evict ' +
  'pending sign-ins or rate-limit counters), but it lives inside this one process: pending ' +
  'sign-ins, single-use tokens and rate-limit counters are lost on restart and are not shared ' +
  'between instances, so a link requested on one instance cannot be finished on another, and ' +
  'rate limits multiply by the number of instances. Use redisStore(client) instead, or pass ' +
  '{ warnInProduction: false } if this app really runs as a single process.';

// One warning per process, as express-session does for its MemoryStore: more would be noise.
let warned = false;

/**
 * An in-process {@link Store}: enough for one instance, tests and development.
 *
 * - Bounded, and never evicts security state: every write first drops all expired entries, and
 *   a write that would add a key beyond `maxEntries` live ones rejects with a `MagicLinkError`
 *   `ERR_STORE_UNAVAILABLE` (the router answers `503`). Nothing live is ever pushed out, so a
 *   flood cannot reset a rate limit or an attempt counter, or kill someone's pending link; at
 *   worst it makes new sign-ins fail closed until its own entries expire. Reads, `take`,
 *   `delete`, overwriting a key it holds and incrementing a counter it holds work when full.
 * - Expired entries also disappear when read; there is no timer, so the store never keeps the
 *   process alive.
 * - `take` and `increment` complete in one synchronous step, which makes them atomic in Node.
 *
 * With more than one instance of the app, use `redisStore` instead.
 *
 * @example
 * const store = memoryStore();
 * app.use(magicLinkRouter({ provider, secret, origin, store }));
 *
 * @example
 * // Tests: a fake clock expires entries without waiting.
 * let now = 0;
 * const store = memoryStore({ now: () => now });
 * await store.set('k', 'v', 1000);
 * now += 1000;
 * await store.get('k'); // null
 */
export function memoryStore(options: MemoryStoreOptions = {}): MemoryStore {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(
      'memoryStore: options must be an object. Call memoryStore() or memoryStore({ maxEntries }).',
    );
  }
  const maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
  if (!Number.isSafeInteger(maxEntries) || maxEntries < 1) {
    throw new TypeError(
      `memoryStore: maxEntries must be a positive integer, but got ${show(maxEntries)}. ` +
        `Pass a whole number such as ${DEFAULT_MAX_ENTRIES}, or omit it for the default.`,
    );
  }
  // Read Date.now on every call, so fake timers installed after construction still apply.
  const now = options.now ?? (() => Date.now());
  if (typeof now !== 'function') {
    throw new TypeError(
      `memoryStore: now must be a function that returns milliseconds, but got ${show(now)}. ` +
        'Pass something like () => Date.now(), or omit it.',
    );
  }
  const warnInProduction = options.warnInProduction ?? true;
  if (typeof warnInProduction !== 'boolean') {
    throw new TypeError(
      `memoryStore: warnInProduction must be a boolean, but got ${show(warnInProduction)}.`,
    );
  }
  if (warnInProduction && !warned && process.env['NODE_ENV'] === 'production') {
    warned = true;
    console.warn(PRODUCTION_WARNING);
  }

  const entries = new Map<string, Entry>();
  // A binary min-heap on expiresAt: heap[0] expires first; heap[i]'s children are 2i+1, 2i+2.
  let heap: Entry[] = [];

  function place(entry: Entry, slot: number): void {
    heap[slot] = entry;
    entry.slot = slot;
  }

  function siftUp(entry: Entry): void {
    let slot = entry.slot;
    while (slot > 0) {
      const parentSlot = (slot - 1) >> 1;
      const parent = heap[parentSlot]!;
      if (parent.expiresAt <= entry.expiresAt) break;
      place(parent, slot);
      slot = parentSlot;
    }
    place(entry, slot);
  }

  function siftDown(entry: Entry): void {
    let slot = entry.slot;
    const length = heap.length;
    for (;;) {
      let child = 2 * slot + 1;
      if (child >= length) break;
      if (child + 1 < length && heap[child + 1]!.expiresAt < heap[child]!.expiresAt) child += 1;
      const next = heap[child]!;
      if (next.expiresAt >= entry.expiresAt) break;
      place(next, slot);
      slot = child;
    }
    place(entry, slot);
  }

  function remove(entry: Entry): void {
    entries.delete(entry.key);
    const last = heap.pop()!;
    if (last === entry) return;
    place(last, entry.slot);
    siftUp(last);
    siftDown(last);
  }

  function live(key: string, at: number): Entry | undefined {
    const entry = entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= at) {
      remove(entry);
      return undefined;
    }
    return entry;
  }

  // Expired entries are the only expendable ones. Each is dropped once, so this is amortized
  // O(log n) per write, however many entries expire at the same moment.
  function dropExpired(at: number): void {
    while (heap.length > 0 && heap[0]!.expiresAt <= at) remove(heap[0]!);
  }

  /** Writes a key, refusing to add one to a store that is full of live entries. */
  function put(key: string, value: string, expiresAt: number, at: number): void {
    dropExpired(at);
    const existing = entries.get(key);
    if (existing !== undefined) {
      const earlier = expiresAt < existing.expiresAt;
      existing.value = value;
      existing.expiresAt = expiresAt;
      if (earlier) siftUp(existing);
      else siftDown(existing);
      return;
    }
    if (entries.size >= maxEntries) throw full();
    const entry: Entry = { key, value, expiresAt, slot: heap.length };
    entries.set(key, entry);
    heap.push(entry);
    siftUp(entry);
  }

  function full(): MagicLinkError {
    return new MagicLinkError(
      'ERR_STORE_UNAVAILABLE',
      `memoryStore: full: all ${maxEntries} entries (maxEntries) are live, so a new key is ` +
        'refused rather than evicting a pending sign-in or a rate-limit counter. Room returns ' +
        'as entries expire. Raise maxEntries if this is legitimate load, or use redisStore(client).',
    );
  }

  /** One increment, synchronously: atomic in Node. */
  function bump(key: string, ttl: number, at: number): CounterResult {
    const entry = live(key, at);
    if (entry === undefined) {
      put(key, '1', at + ttl, at);
      return { count: 1, resetMs: ttl };
    }
    // As strict as Redis INCR: only the canonical decimal form of an integer counts.
    const current = Number(entry.value);
    const count = current + 1;
    if (String(current) !== entry.value || !Number.isSafeInteger(count)) {
      throw new TypeError(
        `memoryStore: increment() found a non-counter value under this key. ` +
          'Use separate keys for counters and for set().',
      );
    }
    // A counter it already holds: no new key, so this works even when the store is full.
    put(key, String(count), entry.expiresAt, at);
    return { count, resetMs: entry.expiresAt - at };
  }

  return {
    get size() {
      return entries.size;
    },

    clear() {
      entries.clear();
      heap = [];
    },

    getSync(key) {
      return live(key, now())?.value ?? null;
    },

    async get(key) {
      return live(key, now())?.value ?? null;
    },

    async set(key, value, ttlMs) {
      const ttl = checkTtl(ttlMs);
      const at = now();
      put(key, value, at + ttl, at);
    },

    async setMany(list) {
      const at = now();
      const writes = list.map(({ key, value, ttlMs }) => ({
        key,
        value,
        expiresAt: at + checkTtl(ttlMs),
      }));
      dropExpired(at);
      const added = new Set(writes.map((w) => w.key).filter((key) => !entries.has(key)));
      // All or nothing: refused before the first write when the new keys would not fit.
      if (entries.size + added.size > maxEntries) throw full();
      for (const w of writes) put(w.key, w.value, w.expiresAt, at);
    },

    async take(key) {
      const entry = live(key, now());
      if (entry === undefined) return null;
      remove(entry);
      return entry.value;
    },

    async increment(key, ttlMs) {
      return bump(key, checkTtl(ttlMs), now());
    },

    async incrementMany(counters) {
      const at = now();
      const checked = counters.map(({ key, ttlMs, limit }) => ({
        key,
        ttl: checkTtl(ttlMs),
        limit,
      }));
      if (new Set(checked.map((c) => c.key)).size !== checked.length) {
        throw repeatedKey('memoryStore');
      }
      // One synchronous step: no other call runs between these increments.
      const results: CounterResult[] = [];
      for (const { key, ttl, limit } of checked) {
        const result = bump(key, ttl, at);
        results.push(result);
        if (result.count > limit) break;
      }
      return results;
    },

    async delete(key) {
      const entry = entries.get(key);
      if (entry !== undefined) remove(entry);
    },
  };
}

// Redis rounds PX to whole milliseconds too; rounding up keeps a tiny TTL from meaning "expired".
function checkTtl(ttlMs: number): number {
  if (typeof ttlMs !== 'number' || !Number.isFinite(ttlMs) || ttlMs <= 0) {
    throw new TypeError(
      `memoryStore: ttlMs must be a positive number of milliseconds, but got ${show(ttlMs)}.`,
    );
  }
  return Math.ceil(ttlMs);
}

function show(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}
