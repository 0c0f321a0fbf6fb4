/** A map of at most `limit` entries. See {@link fifoCache}. */
export interface FifoCache<K, V> {
  get(key: K): V | undefined;
  set(key: K, value: V): void;
}

/**
 * A map of at most `limit` entries that drops the oldest first. It bounds memory for values that
 * are cheap to compute again; it makes no guess at which entries are hot.
 */
export function fifoCache<K, V>(limit: number): FifoCache<K, V> {
  const entries = new Map<K, V>();
  return {
    get: (key) => entries.get(key),
    set(key, value) {
      if (entries.size >= limit && !entries.has(key)) entries.delete(entries.keys().next().value!);
      entries.set(key, value);
    },
  };
}
