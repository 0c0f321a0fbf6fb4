import type { Store } from './store';

/**
 * A view of `store` whose keys all start with `prefix`, so that a provider (ours or an app's)
 * cannot collide with the router's `pending:`, `rescue:` or rate-limit keys.
 */
export function prefixedStore(store: Store, prefix: string): Store {
  const view: Store = {
    get: (key) => store.get(prefix + key),
    set: (key, value, ttlMs) => store.set(prefix + key, value, ttlMs),
    take: (key) => store.take(prefix + key),
    increment: (key, ttlMs) => store.increment(prefix + key, ttlMs),
    delete: (key) => store.delete(prefix + key),
  };
  if (typeof store.setMany === 'function') {
    view.setMany = (entries) =>
      store.setMany!(entries.map((e) => ({ key: prefix + e.key, value: e.value, ttlMs: e.ttlMs })));
  }
  if (typeof store.incrementMany === 'function') {
    view.incrementMany = (counters) =>
      store.incrementMany!(counters.map((c) => ({ ...c, key: prefix + c.key })));
  }
  if (typeof store.getSync === 'function') view.getSync = (key) => store.getSync!(prefix + key);
  return view;
}
