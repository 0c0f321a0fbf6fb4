import type { MagicLinkProfile } from '../profile';

/** One passkey as a {@link PasskeyStore} keeps it. Every field is plain data, easy to put in a row. */
export interface StoredPasskey {
  /** The credential id, base64url, as the authenticator gave it. Unique across all users. */
  id: string;
  /** Whose passkey this is: the provider's user id (`profile.id`) at enrollment. */
  userId: string;
  /**
   * The profile saved at enrollment. A passkey sign-in hands it to `onSignIn`, so the app can
   * refuse a user it has removed.
   */
  profile: MagicLinkProfile;
  /** The COSE public key, base64url. */
  publicKey: string;
  /** The signature counter last seen; `0` for authenticators that keep none. */
  counter: number;
  /** Transport hints the browser reported (`internal`, `hybrid`, `usb`…). */
  transports: string[];
  /** What the person calls it; at most 64 characters. */
  name: string;
  /** Whether the authenticator said the credential is backed up (synced). */
  backedUp: boolean;
  createdAt: Date;
  /** `null` until the first sign-in with it. */
  lastUsedAt: Date | null;
}

/**
 * Where passkeys live: a small contract, in the spirit of lucia's adapters. Apps keep passkeys
 * in their own database by implementing it; `passkeyStoreConformanceCases` (in
 * `express-magic-link/testing`) checks an implementation.
 *
 * Required semantics:
 * - `create` rejects when a passkey with the same `id` exists (an id is unique across users).
 * - `get` and `listByUser` return copies: changing them changes nothing stored. `listByUser`
 *   orders by `createdAt`, oldest first; an unknown user has `[]`.
 * - `use`, `rename` and `delete` act only on a passkey of the given user, and say whether one was
 *   changed, so one user can never touch another's passkey.
 * - `delete` and `deleteByUser` take effect at once: the next `get` returns `null`.
 * - Every method rejects (never guesses) when the backing service is unreachable.
 */
export interface PasskeyStore {
  create(passkey: StoredPasskey): Promise<void>;
  /** The passkey with this credential id, or `null`. */
  get(id: string): Promise<StoredPasskey | null>;
  listByUser(userId: string): Promise<StoredPasskey[]>;
  /**
   * Records a sign-in: the new counter and when. Should be a compare-and-set: record only a
   * counter higher than the stored one (or 0 over 0), else `false`, so racing clones sign in once.
   */
  use(userId: string, id: string, counter: number, usedAt: Date): Promise<boolean>;
  rename(userId: string, id: string, name: string): Promise<boolean>;
  delete(userId: string, id: string): Promise<boolean>;
  /** Removes every passkey of a user (account deletion); resolves with how many there were. */
  deleteByUser(userId: string): Promise<number>;
}

/** The longest passkey name kept; longer names are cut. */
export const MAX_PASSKEY_NAME_LENGTH = 64;

/** The `passkeys` option of `magicLinkRouter()`. Passkeys are off when it is absent. */
export interface PasskeyOptions {
  /** Where passkeys live: `memoryPasskeyStore()` in development, your database in production. Required. */
  store: PasskeyStore;
  /**
   * Whether the authenticator must verify the person (PIN, biometrics). Only lower it if you
   * accept a passkey that proves possession alone.
   * @default 'required'
   */
  userVerification?: 'required' | 'preferred';
  /**
   * After an email sign-in, offer once per browser to add a passkey (one skippable page, then
   * `returnTo`).
   * @default true
   */
  offerAfterSignIn?: boolean;
}

/**
 * Why a passkey ceremony was refused, for `onEvent` only: the visitor reads the same vague
 * message whatever the reason (no enumeration).
 */
export type PasskeyFailure =
  | 'malformed'
  | 'no_binding'
  | 'challenge_unknown'
  | 'challenge_elsewhere'
  | 'credential_unknown'
  | 'credential_exists'
  | 'user_handle'
  | 'origin'
  | 'rp_id'
  | 'user_verification'
  | 'signature'
  | 'clone_suspected';
