import { memoryPasskeyStore } from '../../lib/index';
import { passkeyStoreConformanceCases } from '../../lib/testing/index';
import type { PasskeyStore } from '../../lib/index';

describe('memoryPasskeyStore: the PasskeyStore conformance cases', () => {
  for (const c of passkeyStoreConformanceCases(() => memoryPasskeyStore())) it(c.name, c.run);
});

describe('passkeyStoreConformanceCases catch broken stores', () => {
  /** A store that lets anyone rename or remove any passkey: the cases must notice. */
  function careless(): PasskeyStore {
    const inner = memoryPasskeyStore();
    return {
      ...inner,
      async rename(_userId, id, name) {
        const p = await inner.get(id);
        return p ? inner.rename(p.userId, id, name) : false;
      },
      async delete(_userId, id) {
        const p = await inner.get(id);
        return p ? inner.delete(p.userId, id) : false;
      },
    };
  }

  it.each([
    'rename changes the name, for its owner only',
    'delete removes at once, for its owner only',
  ])('%s fails for a store that ignores the owner', async (name) => {
    const c = passkeyStoreConformanceCases(careless).find((x) => x.name === name)!;
    await expect(c.run()).rejects.toThrow();
  });

  it('"get returns a copy" fails for a store that hands out its own objects', async () => {
    const byId = new Map<string, Parameters<PasskeyStore['create']>[0]>();
    const leaky: PasskeyStore = {
      ...memoryPasskeyStore(),
      async create(p) {
        byId.set(p.id, p);
      },
      async get(id) {
        return byId.get(id) ?? null;
      },
    };
    const c = passkeyStoreConformanceCases(() => leaky).find(
      (x) => x.name === 'get returns a copy: changing it changes nothing stored',
    )!;
    await expect(c.run()).rejects.toThrow();
  });
});
