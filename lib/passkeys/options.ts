import { fail } from '../option-checks';
import type { PasskeyStore } from './store';

/** The `passkeys` option, checked once. */
export interface ResolvedPasskeys {
  store: PasskeyStore;
  userVerification: 'required' | 'preferred';
  offerAfterSignIn: boolean;
  /** The RP ID: the origin's host name, never a header. */
  rpId: string;
  /** The only origin a ceremony may come from: the router's `origin`. */
  origin: string;
  rpName: string;
}

const STORE_METHODS = ['create', 'get', 'listByUser', 'use', 'rename', 'delete', 'deleteByUser'];
const KNOWN = new Set(['store', 'userVerification', 'offerAfterSignIn']);

/** Checks `passkeys` at construction; `null` when passkeys are off. */
export function resolvePasskeys(
  value: unknown,
  origin: string,
  appName: string,
): ResolvedPasskeys | null {
  if (value === undefined || value === false) return null;
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    fail(
      'passkeys',
      'must be an object',
      'Pass passkeys: { store: memoryPasskeyStore() }, or leave it out to turn passkeys off',
    );
  const v = value as Record<string, unknown>;
  for (const key of Object.keys(v))
    if (!KNOWN.has(key))
      fail(`passkeys.${key}`, 'is not a known option', `Known options: ${[...KNOWN].join(', ')}.`);
  const store = v.store as Record<string, unknown> | undefined;
  const missing =
    store && typeof store === 'object'
      ? STORE_METHODS.filter((m) => typeof store[m] !== 'function')
      : STORE_METHODS;
  if (missing.length > 0)
    fail(
      'passkeys.store',
      `must be a PasskeyStore (missing ${missing.join(', ')})`,
      'Pass passkeys: { store: memoryPasskeyStore() }, or your own PasskeyStore (see docs/passkeys.md)',
    );
  const uv = v.userVerification ?? 'required';
  if (uv !== 'required' && uv !== 'preferred')
    fail(
      'passkeys.userVerification',
      `must be 'required' or 'preferred' (got ${JSON.stringify(uv)})`,
      "Leave it out for the default 'required'",
    );
  const offer = v.offerAfterSignIn ?? true;
  if (typeof offer !== 'boolean')
    fail('passkeys.offerAfterSignIn', 'must be a boolean', 'Pass true or false, or leave it out');
  const host = new URL(origin).hostname;
  return {
    store: store as unknown as PasskeyStore,
    userVerification: uv,
    offerAfterSignIn: offer,
    rpId: host,
    origin,
    rpName: appName,
  };
}
