import type { Store } from '../../lib/stores/store';
import { storeConformanceCases } from '../../lib/testing/store-suite';
import type { StoreConformanceCase } from '../../lib/testing/store-suite';

/**
 * How much slower time runs for a store on the real clock. The conformance suite's short TTL is
 * 100 ms, and a `set` then `get` on a busy machine can take longer than that, so the value is
 * gone before it is read. Ten times slower gives every step a second of room.
 */
export const TIME_SCALE = 10;

/**
 * `store` with every TTL (and every `resetMs` it reports) scaled by `scale`: a store on the real
 * clock, seen through this, lives in slowed-down time. The store does all its own expiry.
 */
export function slowedDown(store: Store, scale = TIME_SCALE): Store {
  const view: Store = {
    get: (key) => store.get(key),
    set: (key, value, ttlMs) => store.set(key, value, ttlMs * scale),
    take: (key) => store.take(key),
    async increment(key, ttlMs) {
      const { count, resetMs } = await store.increment(key, ttlMs * scale);
      return { count, resetMs: resetMs / scale };
    },
    delete: (key) => store.delete(key),
  };
  if (store.setMany !== undefined) {
    view.setMany = (entries) =>
      store.setMany!(entries.map((e) => ({ ...e, ttlMs: e.ttlMs * scale })));
  }
  return view;
}

/**
 * The store conformance cases for a store on the real clock (Redis, or memoryStore without an
 * injected clock), in time slowed down by `scale` so that a busy machine cannot make a value
 * expire before the case has read it. Expiry is still the store's own, on the real clock.
 */
export function realClockConformanceCases(
  makeStore: () => Store | Promise<Store>,
  scale = TIME_SCALE,
): StoreConformanceCase[] {
  return storeConformanceCases(async () => slowedDown(await makeStore(), scale), {
    advance: (ms) => new Promise((resolve) => setTimeout(resolve, ms * scale)),
  });
}
