import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Store } from '../stores/store';
import { createSealer, deriveKey } from './seal';

/** Wrong codes a browser may type against one relayed sign-in before it must be shown again. */
export const MAX_RELAY_ATTEMPTS = 5;

/** What a relayed link carried: the fields its confirmation would have posted. */
export type RelayFields =
  { via: 'callback'; code: string; state: string } | { via: 'wrapped'; t: string };

interface RelayRecord {
  /** The pending sign-in's id. */
  i: string;
  /** The address the link went to: its code budget counts relay-code guesses too. */
  e: string;
  f: RelayFields;
}

export interface Relay {
  /** The 6-digit code a browser that opened sign-in `id` without asking for it is shown. */
  codeFor(id: string): string;
  /**
   * Holds what the link carried, sealed, for the browser that holds `binding`, until the link
   * expires. The newest relayed sign-in of a browser replaces an older one.
   */
  hold(binding: string, id: string, fields: RelayFields, email: string): Promise<void>;
  /**
   * The fields held for `binding`, when `code` is that sign-in's relay code; spends them. A wrong
   * code counts; after {@link MAX_RELAY_ATTEMPTS} the held fields are dropped, so guessing needs
   * the link to be opened again elsewhere. Before the code is compared, `reserve` charges the
   * address's code budget, and rejects (so nothing is compared) once it is spent.
   */
  claim(
    binding: string,
    code: string,
    reserve: (email: string) => Promise<void>,
  ): Promise<{ id: string; email: string; fields: RelayFields } | null>;
}

function isRecord(value: unknown): value is RelayRecord {
  const v = value as Partial<RelayRecord> | null;
  if (!v || typeof v.i !== 'string' || typeof v.e !== 'string') return false;
  if (!v.f || typeof v.f !== 'object') return false;
  const f = v.f as Partial<Record<string, unknown>>;
  return f.via === 'callback'
    ? typeof f.code === 'string' && typeof f.state === 'string'
    : f.via === 'wrapped' && typeof f.t === 'string';
}

/**
 * Relay (`crossDevice: 'relay'`): a link opened in a browser that did not ask never signs that
 * browser in. It shows a short code instead, which the person types in the browser that asked.
 * The code is derived from the sign-in's id with the app secret, so opening the link again, in
 * any browser, shows the same working code. What the link carried is kept sealed (a store alone
 * reveals no credential), under the asking browser's binding. Owns the `relay:` keyspace.
 */
export function createRelay(store: Store, secrets: readonly string[], ttlMs: number): Relay {
  const key = deriveKey(secrets[0]!, 'relay-code');
  const sealer = createSealer(secrets, 'relay');
  const recordKey = (binding: string) => `relay:${binding}`;
  const attemptsKey = (binding: string, id: string) => `relay:${binding}:${id}:n`;

  function codeFor(id: string): string {
    const mac = createHmac('sha256', key).update(id).digest();
    // 2^32 mod 10^6 is small against 2^32: the bias is below 0.03 %.
    return String(mac.readUInt32BE(0) % 1_000_000).padStart(6, '0');
  }

  async function read(binding: string): Promise<RelayRecord | null> {
    const opened = sealer.unseal<unknown>(await store.get(recordKey(binding)));
    return opened.ok && isRecord(opened.value) ? opened.value : null;
  }

  return {
    codeFor,
    async hold(binding, id, fields, email) {
      const record: RelayRecord = { i: id, e: email, f: fields };
      await store.set(recordKey(binding), sealer.seal(record, ttlMs), ttlMs);
    },
    async claim(binding, code, reserve) {
      const record = await read(binding);
      if (!record) return null;
      await reserve(record.e);
      const expected = Buffer.from(codeFor(record.i));
      const given = Buffer.from(code);
      if (given.length === expected.length && timingSafeEqual(given, expected)) {
        // Atomic, so two tabs typing the code at once finish one sign-in.
        const taken = await store.take(recordKey(binding));
        return taken === null ? null : { id: record.i, email: record.e, fields: record.f };
      }
      const { count } = await store.increment(attemptsKey(binding, record.i), ttlMs);
      if (count >= MAX_RELAY_ATTEMPTS) await store.delete(recordKey(binding));
      return null;
    },
  };
}
