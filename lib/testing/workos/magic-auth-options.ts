import type { EmulatorUserSeed } from './types';
import { flag, positiveNumber } from './validate';

/** How long a Magic Auth code lives: 10 minutes, as on WorkOS. */
export const DEFAULT_EMULATOR_MAGIC_AUTH_TTL_MS = 10 * 60 * 1000;
/** How many wrong codes a Magic Auth code survives before it is locked. */
export const DEFAULT_EMULATOR_MAGIC_AUTH_ATTEMPTS = 5;

/** The Magic Auth (User Management) part of {@link WorkOSEmulatorOptions}. */
export interface MagicAuthEmulatorOptions {
  /**
   * Whether Magic Auth is an enabled authentication method. Off, `POST /user_management/magic_auth`
   * and the Magic Auth grant answer `400 authentication_method_not_allowed`.
   * @default true
   */
  magicAuth?: boolean;
  /**
   * Whether `POST /user_management/magic_auth` creates a user for an unknown email ("sign in or
   * sign up"). Off, an unknown email answers `400 sign_up_not_allowed`.
   * @default true
   */
  allowSignUp?: boolean;
  /**
   * Whether WorkOS sends the Magic Auth emails: on, each code lands in `magicAuthOutbox`; off, the
   * app is expected to send the `code` from the answer itself.
   * @default true
   */
  workosEmails?: boolean;
  /**
   * How many wrong codes a Magic Auth code survives; after that many, every attempt (even with the
   * right code) answers `one_time_code_too_many_attempts`.
   * @default 5
   */
  magicAuthAttempts?: number;
  /**
   * Whether creating a Magic Auth code voids the address's earlier live code, as WorkOS does:
   * on, only the newest code works; off, every code works until it expires, is used or is
   * locked. The provider must be safe under both.
   * @default true
   */
  magicAuthVoidsEarlierCode?: boolean;
  /**
   * How long a Magic Auth code lives; valid while `now() < createdAt + magicAuthCodeTtlMs`.
   * @default 600_000 (10 minutes)
   */
  magicAuthCodeTtlMs?: number;
  /**
   * Users that exist from the start, so `allowSignUp: false` can be tested.
   * @default []
   */
  users?: readonly EmulatorUserSeed[];
  /**
   * Email domains (after the `@`, case-insensitive) WorkOS cannot deliver to; a Magic Auth code for
   * one answers `400 email_domain_not_deliverable`.
   * @default []
   */
  undeliverableEmailDomains?: readonly string[];
}

export interface ResolvedMagicAuthOptions {
  enabled: boolean;
  allowSignUp: boolean;
  workosEmails: boolean;
  attempts: number;
  voidsEarlierCode: boolean;
  codeTtlMs: number;
  users: readonly EmulatorUserSeed[];
  undeliverableDomains: ReadonlySet<string>;
}

export function resolveMagicAuthOptions(
  options: MagicAuthEmulatorOptions,
): ResolvedMagicAuthOptions {
  return {
    enabled: flag('magicAuth', options.magicAuth, true),
    allowSignUp: flag('allowSignUp', options.allowSignUp, true),
    workosEmails: flag('workosEmails', options.workosEmails, true),
    attempts: positiveNumber(
      'magicAuthAttempts',
      options.magicAuthAttempts,
      DEFAULT_EMULATOR_MAGIC_AUTH_ATTEMPTS,
      true,
    ),
    voidsEarlierCode: flag('magicAuthVoidsEarlierCode', options.magicAuthVoidsEarlierCode, true),
    codeTtlMs: positiveNumber(
      'magicAuthCodeTtlMs',
      options.magicAuthCodeTtlMs,
      DEFAULT_EMULATOR_MAGIC_AUTH_TTL_MS,
    ),
    users: userSeeds(options.users),
    undeliverableDomains: domains(options.undeliverableEmailDomains),
  };
}

function userSeeds(value: unknown): readonly EmulatorUserSeed[] {
  if (value === undefined) return [];
  const valid =
    Array.isArray(value) &&
    value.every(
      (seed: unknown) =>
        typeof seed === 'object' &&
        seed !== null &&
        typeof (seed as { email?: unknown }).email === 'string' &&
        (seed as { email: string }).email.includes('@'),
    );
  if (!valid) {
    throw new TypeError(
      "startWorkOSEmulator: users must be an array of { email, firstName?, lastName?, organizationId? }. Pass e.g. [{ email: 'ada@example.com' }].",
    );
  }
  return value as EmulatorUserSeed[];
}

function domains(value: unknown): ReadonlySet<string> {
  if (value === undefined) return new Set();
  if (
    !Array.isArray(value) ||
    !value.every((domain: unknown) => typeof domain === 'string' && /^[^\s@]+$/.test(domain))
  ) {
    throw new TypeError(
      "startWorkOSEmulator: undeliverableEmailDomains must be an array of domains without '@'. Pass e.g. ['bounce.test'].",
    );
  }
  return new Set((value as string[]).map((domain) => domain.toLowerCase()));
}
