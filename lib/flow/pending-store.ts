import type { Store } from '../stores/store';

/**
 * The pending-sign-in records: `pending:<id>` → the binding of the browser that asked. A record
 * is opened only once the email went out, and spent by an atomic take, so a state is single-use
 * across every instance that shares the store. This module owns the `pending:` keyspace.
 */
export interface PendingStore {
  open(id: string, binding: string): Promise<void>;
  exists(id: string): Promise<boolean>;
  /** Atomically spends the record; the binding it held, or `null` when none was pending. */
  spend(id: string): Promise<string | null>;
  /** Puts a spent record back, after a failure that left the user's credential unspent. Never throws. */
  giveBack(id: string, binding: string): Promise<void>;
}

export function createPendingStore(store: Store, ttlMs: number): PendingStore {
  const key = (id: string) => `pending:${id}`;
  return {
    open: (id, binding) => store.set(key(id), binding, ttlMs),
    exists: async (id) => (await store.get(key(id))) !== null,
    spend: (id) => store.take(key(id)),
    giveBack: (id, binding) => store.set(key(id), binding, ttlMs).catch(() => undefined),
  };
}
