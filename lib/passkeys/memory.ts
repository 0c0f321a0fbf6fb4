import type { PasskeyStore, StoredPasskey } from './store';

/** Options for {@link memoryPasskeyStore}. */
export interface MemoryPasskeyStoreOptions {
  /**
   * Warn once, through `console.warn`, when `NODE_ENV` is `production`: passkeys kept in memory
   * are lost on restart.
   * @default true
   */
  warnInProduction?: boolean;
}

function copy(passkey: StoredPasskey): StoredPasskey {
  return {
    ...passkey,
    // JSON, not structuredClone: a copy in this realm's objects (test runners compare prototypes).
    profile: JSON.parse(JSON.stringify(passkey.profile)) as StoredPasskey['profile'],
    transports: [...passkey.transports],
    createdAt: new Date(passkey.createdAt),
    lastUsedAt: passkey.lastUsedAt === null ? null : new Date(passkey.lastUsedAt),
  };
}

/**
 * A {@link PasskeyStore} in this process's memory, for development and tests. Passkeys are lost
 * when the process ends, and each process has its own: keep them in your database in production
 * (see docs/passkeys.md).
 *
 * @example
 * app.use(magicLinkRouter({ provider, secret, passkeys: { store: memoryPasskeyStore() } }));
 */
export function memoryPasskeyStore(options: MemoryPasskeyStoreOptions = {}): PasskeyStore {
  if (options.warnInProduction !== false && process.env.NODE_ENV === 'production') {
    console.warn(
      'memoryPasskeyStore: passkeys kept in memory are lost on restart. Implement PasskeyStore on your database for production.',
    );
  }
  const byId = new Map<string, StoredPasskey>();
  const byUser = new Map<string, Set<string>>();
  const own = (userId: string, id: string) => {
    const found = byId.get(id);
    return found && found.userId === userId ? found : null;
  };

  return {
    async create(passkey) {
      if (byId.has(passkey.id)) throw new Error('memoryPasskeyStore: this passkey id exists');
      byId.set(passkey.id, copy(passkey));
      const ids = byUser.get(passkey.userId) ?? new Set<string>();
      ids.add(passkey.id);
      byUser.set(passkey.userId, ids);
    },
    async get(id) {
      const found = byId.get(id);
      return found ? copy(found) : null;
    },
    async listByUser(userId) {
      const ids = byUser.get(userId);
      if (!ids) return [];
      return [...ids]
        .map((id) => copy(byId.get(id)!))
        .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
    },
    async use(userId, id, counter, usedAt) {
      const found = own(userId, id);
      if (!found) return false;
      // Compare-and-set, as postgresPasskeyStore: two sign-ins that read the same counter (a
      // cloned key racing the original) cannot both record it.
      if (!(counter > found.counter || (counter === 0 && found.counter === 0))) return false;
      found.counter = counter;
      found.lastUsedAt = new Date(usedAt);
      return true;
    },
    async rename(userId, id, name) {
      const found = own(userId, id);
      if (!found) return false;
      found.name = name;
      return true;
    },
    async delete(userId, id) {
      if (!own(userId, id)) return false;
      byId.delete(id);
      byUser.get(userId)?.delete(id);
      return true;
    },
    async deleteByUser(userId) {
      const ids = byUser.get(userId);
      if (!ids) return 0;
      for (const id of ids) byId.delete(id);
      byUser.delete(userId);
      return ids.size;
    },
  };
}
