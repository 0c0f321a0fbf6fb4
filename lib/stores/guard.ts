import { MagicLinkError } from '../errors';
import type { Store } from './store';

/** Store failures become ERR_STORE_UNAVAILABLE, so every caller fails closed the same way. */
export function guardStore(store: Store): Store {
  const guard =
    <A extends unknown[], R>(fn: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      try {
        return await fn(...args);
      } catch (err) {
        if (err instanceof MagicLinkError) throw err;
        throw new MagicLinkError('ERR_STORE_UNAVAILABLE', 'The store failed', { cause: err });
      }
    };
  const guarded: Store = {
    get: guard((key) => store.get(key)),
    set: guard((key, value, ttl) => store.set(key, value, ttl)),
    take: guard((key) => store.take(key)),
    increment: guard((key, ttl) => store.increment(key, ttl)),
    delete: guard((key) => store.delete(key)),
  };
  if (typeof store.getSync === 'function') {
    guarded.getSync = (key) => {
      try {
        return store.getSync!(key);
      } catch (err) {
        if (err instanceof MagicLinkError) throw err;
        throw new MagicLinkError('ERR_STORE_UNAVAILABLE', 'The store failed', { cause: err });
      }
    };
  }
  return guarded;
}
