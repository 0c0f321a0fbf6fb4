/**
 * The one storage contract every piece of server-side state goes through: pending sign-ins,
 * self-hosted tokens, code attempts, rate-limit counters and used-code markers.
 *
 * Required semantics (the conformance suite in `express-magic-link/testing` checks each):
 * - Keys and values are strings. A key that has expired behaves exactly like one never set.
 * - `set` overwrites, and the new TTL replaces the old one.
 * - `take` is atomic: when several callers race for one key, exactly one gets the value.
 * - `increment` is atomic. The first increment creates the counter at 1 with the given TTL;
 *   later increments keep the original expiry (a fixed window), and return the new count and
 *   the milliseconds left until the counter resets.
 * - Every method rejects (never resolves with a guess) when the backing service is unreachable,
 *   so the flow can fail closed.
 * - Every key is security state, and every key has a TTL: nothing is written to live forever.
 * - A live key is never evicted to make room. Expired keys are the only expendable ones; a store
 *   that is full of live keys rejects a write that would add a key (the router answers `503`
 *   `ERR_STORE_UNAVAILABLE`, failing closed), while reads, `take`, `delete`, overwriting a key
 *   it holds and incrementing a counter it holds keep working if the store can do them. Silently
 *   dropping a pending sign-in, a token or a counter instead would kill links and reset rate
 *   and attempt limits. (On Redis, this is `maxmemory-policy noeviction`.)
 */
/** One write of {@link Store.setMany}. */
export interface StoreEntry {
  key: string;
  value: string;
  ttlMs: number;
}

/** One counter of {@link Store.incrementMany}: incremented as `increment(key, ttlMs)` would. */
export interface CounterEntry {
  key: string;
  ttlMs: number;
  /** The most this counter may count; the batch stops after the first counter that goes past it. */
  limit: number;
}

/** What `increment` answers, for one counter. */
export interface CounterResult {
  count: number;
  resetMs: number;
}

export interface Store {
  get(key: string): Promise<string | null>;
  set(key: string, value: string, ttlMs: number): Promise<void>;
  take(key: string): Promise<string | null>;
  increment(key: string, ttlMs: number): Promise<{ count: number; resetMs: number }>;
  delete(key: string): Promise<void>;
  /**
   * Optional: several `set`s in one round trip (Redis `MULTI`, one Postgres statement, one step
   * in memory), as if made one after another: a key given twice ends with its last value. Each
   * key keeps its own TTL. Not all-or-nothing on every store: when it rejects, any of the keys
   * may or may not have been written. The router calls it where one request writes several
   * keys, and falls back to `set` for each when a store leaves it out.
   */
  setMany?(entries: readonly StoreEntry[]): Promise<void>;
  /**
   * Optional: `get`, answered synchronously, for a store that can (such as `memoryStore`). Same
   * semantics as `get`; it throws where `get` would reject. Callers feature-detect it, so a store
   * that cannot answer without I/O (Redis) simply leaves it out. `sealedCookieSession` uses it to
   * check its revocation list on every request without a promise.
   */
  getSync?(key: string): string | null;
  /**
   * Optional: several `increment`s in one round trip (one Lua script on a single Redis node, one
   * statement on Postgres, one step in memory), in order, stopping after the first counter whose
   * new count exceeds its `limit`: the counters after it are not touched. Resolves with one
   * result per counter incremented, so the list is shorter than `counters` only when its last
   * count is over its limit. Each increment is atomic, as `increment`'s is (increment first, the
   * caller compares). The keys must differ (a `TypeError` otherwise). The rate limiter calls it
   * so that one request's counters cost one round trip, and falls back to `increment` for each
   * when a store leaves it out (a Redis Cluster's keys live on several nodes: there it is one
   * round trip per counter).
   */
  incrementMany?(counters: readonly CounterEntry[]): Promise<CounterResult[]>;
}
