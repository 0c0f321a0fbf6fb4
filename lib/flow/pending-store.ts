import type { MagicLinkError } from '../errors';
import type { Store } from '../stores/store';

/** Codes a provider may refuse for one sign-in before its state is spent for good. */
export const MAX_REFUSED_CODES = 3;

/**
 * What a pending record holds: only that it is open. The state it belongs to carries the binding
 * and everything else, so storing the binding here too (43 bytes, as it once was) bought nothing;
 * a record written that way by an earlier version still counts as open.
 */
const OPEN = '1';

/**
 * The pending-sign-in records: `pending:<id>` → `1`, one per link in flight. A record
 * is opened just before its email goes out and withdrawn if sending fails, and it is spent by an
 * atomic take, so a state is single-use across every instance that shares the store. This module owns the `pending:` keyspace.
 */
export interface PendingStore {
  /**
   * Opens the record; with `state`, also remembers it as this browser's newest (see
   * `remember`), in the same round trip. `binding` keys that remembered state; the record
   * itself holds `1`.
   */
  open(id: string, binding: string, state?: string): Promise<void>;
  exists(id: string): Promise<boolean>;
  /** Atomically spends the record; what it held (non-null), or `null` when none was pending. */
  spend(id: string): Promise<string | null>;
  /**
   * Whether a failed exchange may be retried with this record: transient failures always may;
   * codes a remote provider refused may, up to {@link MAX_REFUSED_CODES} times per sign-in, so
   * junk against one genuine state costs at most that many calls to it.
   */
  mayRetry(id: string, err: MagicLinkError): Promise<boolean>;
  /**
   * Remembers the newest state a browser was sent, for the one-click resend when the provider's
   * error redirect does not carry the state back.
   */
  remember(binding: string, state: string): Promise<void>;
  lastState(binding: string): Promise<string | null>;
  /** Puts a spent record back, after a failure that left the user's credential unspent. Never throws. */
  giveBack(id: string, binding: string): Promise<void>;
}

export function createPendingStore(
  store: Store,
  ttlMs: number,
  boundRefusals: boolean,
): PendingStore {
  const key = (id: string) => `pending:${id}`;
  const last = (binding: string) => `${key('last')}:${binding}`;
  return {
    open: (id, binding, state) =>
      state === undefined || store.setMany === undefined
        ? store
            .set(key(id), OPEN, ttlMs)
            .then(() => (state === undefined ? undefined : store.set(last(binding), state, ttlMs)))
        : store.setMany([
            { key: key(id), value: OPEN, ttlMs },
            { key: last(binding), value: state, ttlMs },
          ]),
    exists: async (id) => (await store.get(key(id))) !== null,
    spend: (id) => store.take(key(id)),
    async mayRetry(id, err) {
      if (err.code !== 'ERR_LINK_INVALID' || !boundRefusals) return true;
      const { count } = await store.increment(`${key(id)}:refused`, ttlMs);
      return count < MAX_REFUSED_CODES;
    },
    remember: (binding, state) => store.set(last(binding), state, ttlMs),
    lastState: (binding) => store.get(last(binding)),
    giveBack: (id) => store.set(key(id), OPEN, ttlMs).catch(() => undefined),
  };
}
