/** Drop the oldest entries of `list` beyond `max`. */
export function trim<T>(list: T[], max: number): void {
  if (list.length > max) list.splice(0, list.length - max);
}

/** Set `key` and evict the oldest entry (insertion order) while the map holds more than `max`. */
export function remember<K, V>(map: Map<K, V>, key: K, value: V, max: number): V | undefined {
  map.set(key, value);
  if (map.size <= max) return undefined;
  const oldest = map.entries().next().value;
  if (oldest === undefined) return undefined;
  map.delete(oldest[0]);
  return oldest[1];
}
