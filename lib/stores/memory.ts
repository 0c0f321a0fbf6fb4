import type { Store } from './store';

/** How many keys a {@link memoryStore} holds before it evicts the least recently used one. */
export const DEFAULT_MAX_ENTRIES = 100_000;

/**
 * How often, at most, a write sweeps every expired entry out of a {@link memoryStore}. A sweep of
 * {@link DEFAULT_MAX_ENTRIES} entries takes a few milliseconds, so once a minute is cheap.
 */
export const DEFAULT_SWEEP_INTERVAL_MS = 60_000;

/** Options for {@link memoryStore}. */
export interface MemoryStoreOptions {
  /**
   * The most keys held at once. Past it, the least recently used key is evicted, so a flood of
   * distinct addresses cannot grow memory without bound. Each entry costs roughly 200–300 bytes
   * plus its key and value.
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
  /** Entries held right now, including expired ones that have not been swept yet. */
  readonly size: number;
  /** Drops every entry. */
  clear(): void;
}

// Each entry is also a node of a doubly linked list from least to most recently used, so that
// touching and evicting are O(1). Ordering by Map insertion (delete + re-set on use, evict
// keys().next()) is simpler but ten times slower under a flood, because V8 leaves deleted slots
// in place and every keys().next() rescans them; and keeping one iterator alive across calls
// instead pins every superseded hash table in memory until the iterator advances.
interface Entry {
  readonly key: string;
  value: string;
  expiresAt: number;
  older: Entry | undefined;
  newer: Entry | undefined;
}

const PRODUCTION_WARNING =
  'Warning: express-magic-link memoryStore() is in use with NODE_ENV=production. It is bounded ' +
  '(least recently used keys are evicted), but it lives inside this one process: pending ' +
  'sign-ins, single-use tokens and rate-limit counters are lost on restart and are not shared ' +
  'between instances, so a link requested on one instance cannot be finished on another, and ' +
  'rate limits multiply by the number of instances. Use redisStore(client) instead, or pass ' +
  '{ warnInProduction: false } if this app really runs as a single process.';

// One warning per process, as express-session does for its MemoryStore: more would be noise.
let warned = false;

/**
 * An in-process {@link Store}: enough for one instance, tests and development.
 *
 * - Bounded: at `maxEntries` the least recently used key is evicted (reads, writes and
 *   increments all count as use).
 * - Expired entries disappear on access, and every write past {@link DEFAULT_SWEEP_INTERVAL_MS}
 *   sweeps them all; there is no timer, so the store never keeps the process alive.
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
  let oldest: Entry | undefined;
  let newest: Entry | undefined;
  let nextSweepAt = now() + DEFAULT_SWEEP_INTERVAL_MS;

  function unlink(entry: Entry): void {
    if (entry.older === undefined) oldest = entry.newer;
    else entry.older.newer = entry.newer;
    if (entry.newer === undefined) newest = entry.older;
    else entry.newer.older = entry.older;
    entry.older = undefined;
    entry.newer = undefined;
  }

  function append(entry: Entry): void {
    entry.older = newest;
    if (newest === undefined) oldest = entry;
    else newest.newer = entry;
    newest = entry;
  }

  function touch(entry: Entry): void {
    if (entry === newest) return;
    unlink(entry);
    append(entry);
  }

  function remove(entry: Entry): void {
    entries.delete(entry.key);
    unlink(entry);
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

  function put(key: string, value: string, expiresAt: number, at: number): void {
    const existing = entries.get(key);
    if (existing === undefined) {
      const entry: Entry = { key, value, expiresAt, older: undefined, newer: undefined };
      entries.set(key, entry);
      append(entry);
    } else {
      existing.value = value;
      existing.expiresAt = expiresAt;
      touch(existing);
    }
    if (at >= nextSweepAt) sweep(at);
    while (entries.size > maxEntries && oldest !== undefined) remove(oldest);
  }

  function sweep(at: number): void {
    nextSweepAt = at + DEFAULT_SWEEP_INTERVAL_MS;
    for (const entry of entries.values()) {
      if (entry.expiresAt <= at) remove(entry);
    }
  }

  return {
    get size() {
      return entries.size;
    },

    clear() {
      entries.clear();
      oldest = undefined;
      newest = undefined;
    },

    async get(key) {
      const at = now();
      const entry = live(key, at);
      if (entry === undefined) return null;
      touch(entry);
      return entry.value;
    },

    async set(key, value, ttlMs) {
      const at = now();
      put(key, value, at + checkTtl(ttlMs), at);
    },

    async take(key) {
      const at = now();
      const entry = live(key, at);
      if (entry === undefined) return null;
      remove(entry);
      return entry.value;
    },

    async increment(key, ttlMs) {
      const at = now();
      const ttl = checkTtl(ttlMs);
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
      put(key, String(count), entry.expiresAt, at);
      return { count, resetMs: entry.expiresAt - at };
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
