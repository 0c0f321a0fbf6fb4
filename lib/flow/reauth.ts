import type { SignInMethod } from './outcomes';

/**
 * When and how the person last proved who they are, kept with the signed-in user in the
 * session (`req.user.lastSignIn`): set at every sign-in, renewed by every confirmation.
 */
export interface LastSignIn {
  /** Milliseconds since the epoch. */
  at: number;
  /** `link`, `code`, `relay`, `confirmed` or `passkey`. */
  method: SignInMethod;
  /**
   * The address this person signed in with (the provider's profile). The app's own user need not
   * keep one, so a recent-sign-in code and a new passkey's name are taken from here.
   */
  email: string;
  /**
   * The provider's id for this person (`profile.id`), which the app's own user may map to an id
   * of its own: passkeys belong to it, so a passkey sign-in gives `onSignIn` the provider's
   * profile again. Absent in sessions stamped before it existed.
   */
  profileId?: string;
}

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface User {
      /**
       * When and how this person last authenticated: set by express-magic-link at sign-in. Absent
       * for a session created before this existed, which counts as not recent.
       */
      lastSignIn?: LastSignIn;
    }
  }
}

/** How long ago a sign-in may be for `recentSignIn`, parsed once: `'10m'`, `'90s'`, `'1h'`, or ms. */
export function parseDuration(value: unknown): number | null {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value > 0 ? value : null;
  if (typeof value !== 'string') return null;
  const match = /^(\d{1,9})\s*(ms|s|m|h|d)$/.exec(value.trim());
  if (!match) return null;
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2]!]!;
  const ms = Number(match[1]) * unit;
  return ms > 0 ? ms : null;
}

/** The user stamped with this sign-in, for the session adapter to keep. */
export function stampSignIn<U>(
  user: U,
  method: SignInMethod,
  profile: { id: string; email: string },
  at = Date.now(),
): U {
  if (typeof user !== 'object' || user === null) return user;
  const lastSignIn: LastSignIn = { at, method, email: profile.email, profileId: profile.id };
  return { ...user, lastSignIn };
}

/** The provider's id for the signed-in person: the one stamped at sign-in, else the user's id. */
export function signedInProfileId(user: {
  id: string;
  lastSignIn?: { profileId?: unknown };
}): string {
  const id = user.lastSignIn?.profileId;
  return typeof id === 'string' && id !== '' ? id : user.id;
}

/**
 * The address the signed-in person uses: the one stamped at sign-in, else the app user's own
 * `email` (a session from before the stamp carried it); `null` when neither is known.
 */
export function signedInEmail(user: unknown): string | null {
  const u = user as { lastSignIn?: { email?: unknown }; email?: unknown } | null | undefined;
  const email = u?.lastSignIn?.email ?? u?.email;
  return typeof email === 'string' && email !== '' ? email : null;
}

/** Whether the user's last sign-in was within `maxAgeMs`. */
export function signedInRecently(user: unknown, maxAgeMs: number, now = Date.now()): boolean {
  const last = (user as { lastSignIn?: { at?: unknown } } | null)?.lastSignIn;
  const at = last?.at;
  return typeof at === 'number' && at <= now && now - at <= maxAgeMs;
}

/** Where to confirm it is you, then come back to `returnTo`. */
export function reauthLocation(reauthPath: string, returnTo: string): string {
  return `${reauthPath}?returnTo=${encodeURIComponent(returnTo)}`;
}
