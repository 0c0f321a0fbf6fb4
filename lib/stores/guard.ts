import { MagicLinkError } from '../errors';
import type { CounterEntry, CounterResult, Store } from './store';

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

/**
 * `store.incrementMany(counters)`, or, for a store without it, the same with one `increment` per
 * counter, in order, stopping after the first over its limit.
 */
export async function incrementInOrder(
  store: Store,
  counters: readonly CounterEntry[],
): Promise<CounterResult[]> {
  if (counters.length === 0) return [];
  if (typeof store.incrementMany === 'function') return store.incrementMany(counters);
  if (new Set(counters.map((c) => c.key)).size !== counters.length) throw repeatedKey('store');
  const results: CounterResult[] = [];
  for (const { key, ttlMs, limit } of counters) {
    const result = await store.increment(key, ttlMs);
    results.push(result);
    if (result.count > limit) break;
  }
  return results;
}

/** The TypeError for a batch of counters that names one key twice. */
export function repeatedKey(factory: string): TypeError {
  return new TypeError(
    `${factory}: incrementMany was given the same key twice. Pass each counter once.`,
  );
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
    incrementMany: (counters) => guarded(() => incrementInOrder(store, counters)),
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
