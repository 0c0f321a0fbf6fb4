import type { Store } from '../stores/store';

/**
 * A provider code held for one sign-in, when the browser that asked is not the one that
 * brought it: a scanner followed the provider's redirect (for providers that email their own
 * link, whose GET a scanner can burn), or the server followed a wrapped link and the exchange
 * then failed for a passing reason. The asking browser finishes with the held code later.
 * Owns the `rescue:` keyspace.
 */
export interface Rescue {
  /** Holds `code` unless one is already held: the first code delivered is the genuine one. */
  keep(id: string, code: string): Promise<void>;
  /** Takes the held code back, e.g. after a transient failure spent nothing. */
  putBack(id: string, code: string): Promise<void>;
  claim(id: string): Promise<string | null>;
}

export function createRescue(store: Store, ttlMs: number): Rescue {
  const key = (id: string) => `rescue:${id}`;
  return {
    async keep(id, code) {
      if ((await store.get(key(id))) === null) await store.set(key(id), code, ttlMs);
    },
    putBack: (id, code) => store.set(key(id), code, ttlMs).catch(() => undefined),
    claim: (id) => store.take(key(id)),
  };
}
