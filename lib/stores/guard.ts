import { MagicLinkError } from '../errors';
import type { Store } from './store';

function asStoreError(err: unknown): MagicLinkError {
  return err instanceof MagicLinkError
    ? err
    : new MagicLinkError('ERR_STORE_UNAVAILABLE', 'The store failed', { cause: err });
}

function rethrow(err: unknown): never {
  throw asStoreError(err);
}

/**
 * Calls a store method: its result, or its failure as ERR_STORE_UNAVAILABLE, whether it throws
 * or rejects. One `then` per call rather than an async wrapper: the store is on every request.
 */
function guarded<R>(call: () => Promise<R>): Promise<R> {
  let result: Promise<R>;
  try {
    result = Promise.resolve(call());
  } catch (err) {
    return Promise.reject(asStoreError(err));
  }
  return result.then(undefined, rethrow);
}

/** Store failures become ERR_STORE_UNAVAILABLE, so every caller fails closed the same way. */
export function guardStore(store: Store): Store {
  const wrapped: Store = {
    get: (key) => guarded(() => store.get(key)),
    set: (key, value, ttl) => guarded(() => store.set(key, value, ttl)),
    take: (key) => guarded(() => store.take(key)),
    increment: (key, ttl) => guarded(() => store.increment(key, ttl)),
    delete: (key) => guarded(() => store.delete(key)),
    // Every caller may use setMany: a store without it gets the sets one after another.
    setMany: (entries) =>
      guarded(async () => {
        if (typeof store.setMany === 'function') return store.setMany(entries);
        for (const { key, value, ttlMs } of entries) await store.set(key, value, ttlMs);
      }),
  };
  if (typeof store.getSync === 'function') {
    wrapped.getSync = (key) => {
      try {
        return store.getSync!(key);
      } catch (err) {
        throw asStoreError(err);
      }
    };
  }
  return wrapped;
}
