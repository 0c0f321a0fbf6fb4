import { hash, timingSafeEqual } from 'node:crypto';
import type { Sealer } from '../flow/seal';
import type { Store } from '../stores/store';

/**
 * A live code is handed out again only while it has at least this long to live; past that, a
 * request asks WorkOS for a new one, so nobody is sent a code that dies before it is typed.
 */
export const MIN_REUSE_MS = 60_000;

/** A Magic Auth code WorkOS issued for an address, as kept (sealed) while it lives. */
export interface LiveCode {
  /** WorkOS's Magic Auth id (`magic_auth_…`). */
  i: string;
  /** the code */
  c: string;
  /** expiry, ms since the epoch */
  x: number;
}

function isLiveCode(value: unknown): value is LiveCode {
  const v = value as Partial<LiveCode> | null;
  return !!v && typeof v.i === 'string' && typeof v.c === 'string' && typeof v.x === 'number';
}

/**
 * The live Magic Auth code of each address, sealed in the store under `m:<digest>`.
 *
 * Why: WorkOS (like our emulator by default) voids an address's earlier code when it creates a
 * new one, so a stranger who asks for a code for someone else's address would void the code
 * the owner is about to type (finding G04), ten times an hour. Refusing requests from other
 * browsers would not help: the stranger could ask first and hold the owner off instead. So while
 * a code is live, every request for the address is given that same code; only its owner's
 * mailbox ever sees it. Kept sealed with the app secret, so a store dump shows no code. It also
 * lets a typed code be compared here first: a wrong guess never reaches WorkOS, so guesses
 * cannot trip WorkOS's own per-code attempt lock and void the owner's code that way either.
 */
export interface LiveCodes {
  /** The address's live code with at least {@link MIN_REUSE_MS} left, or `null`. */
  reusable(email: string): Promise<LiveCode | null>;
  /** The address's live code, however little time it has left, or `null`. */
  live(email: string): Promise<LiveCode | null>;
  keep(email: string, code: LiveCode): Promise<void>;
  /**
   * The code was used, or WorkOS refuses it for good: the next request asks for a new one.
   * Only the live code `which` picks is forgotten, never a newer one.
   */
  forget(email: string, which: (live: LiveCode) => boolean): Promise<void>;
}

/** Whether `given` is the live code's code, in constant time. */
export function sameCode(given: string, live: LiveCode): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(live.c);
  return a.length === b.length && timingSafeEqual(a, b);
}

export function createLiveCodes(store: Store, sealer: Sealer): LiveCodes {
  // WorkOS matches addresses without regard to case; so does this key.
  const key = (email: string) => `m:${hash('sha256', email.toLowerCase(), 'base64url')}`;

  async function live(email: string): Promise<LiveCode | null> {
    const opened = sealer.unseal<unknown>(await store.get(key(email)));
    if (!opened.ok || !isLiveCode(opened.value)) return null;
    return opened.value.x > Date.now() ? opened.value : null;
  }

  return {
    live,
    async reusable(email) {
      const code = await live(email);
      return code && code.x - Date.now() >= MIN_REUSE_MS ? code : null;
    },
    async keep(email, code) {
      const ttlMs = code.x - Date.now();
      if (ttlMs > 0) await store.set(key(email), sealer.seal(code, ttlMs), ttlMs);
    },
    async forget(email, which) {
      const code = await live(email);
      if (code !== null && which(code)) await store.delete(key(email));
    },
  };
}
