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
 */
export interface Store {
  get(key: string): Promise<string | null>;
  set(key: string, value: string, ttlMs: number): Promise<void>;
  take(key: string): Promise<string | null>;
  increment(key: string, ttlMs: number): Promise<{ count: number; resetMs: number }>;
  delete(key: string): Promise<void>;
}
