import { resolveMagicAuthOptions } from './magic-auth-options';
import type { MagicAuthEmulatorOptions, ResolvedMagicAuthOptions } from './magic-auth-options';
import { redirectUriProblem } from './redirect-uri';
import { flag, nonEmpty, positiveNumber } from './validate';

/** The API key the emulator accepts unless told otherwise. */
export const DEFAULT_EMULATOR_API_KEY = 'sk_test_emulator';
/** The client id the emulator accepts unless told otherwise. */
export const DEFAULT_EMULATOR_CLIENT_ID = 'client_emulator';
/** How long a Magic Link lives when the session does not ask for `expires_in`: 15 minutes. */
export const DEFAULT_EMULATOR_LINK_TTL_MS = 15 * 60 * 1000;
/** How long an authorization code lives: 10 minutes, as on WorkOS. */
export const DEFAULT_EMULATOR_CODE_TTL_MS = 10 * 60 * 1000;
/** How many sessions, codes, emails and logged requests the emulator keeps before evicting the oldest. */
export const DEFAULT_EMULATOR_MAX_ENTRIES = 10_000;
/** Request bodies above this many bytes are answered `413`. */
export const EMULATOR_MAX_BODY_BYTES = 64 * 1024;

/** Options for {@link startWorkOSEmulator}. */
export interface WorkOSEmulatorOptions extends MagicAuthEmulatorOptions {
  /**
   * The API key the emulator accepts, as `Authorization: Bearer <key>` on the JSON endpoints and as
   * `client_secret` on `POST /sso/token`.
   * @default 'sk_test_emulator'
   */
  apiKey?: string;
  /**
   * The client id `POST /sso/token` accepts.
   * @default 'client_emulator'
   */
  clientId?: string;
  /**
   * The redirect URI used by sessions created without `redirect_uri`, like the default redirect
   * URI configured in the WorkOS dashboard. Without it, such sessions are refused with `422`.
   * @default undefined
   */
  defaultRedirectUri?: string;
  /**
   * The clock, in milliseconds since the epoch. Lets tests expire links and codes without sleeping.
   * @default Date.now
   */
  now?: () => number;
  /**
   * How long a link lives when the session gives no `expires_in`.
   * @default 900_000 (15 minutes)
   */
  linkTtlMs?: number;
  /**
   * How long an authorization code lives.
   * @default 600_000 (10 minutes)
   */
  codeTtlMs?: number;
  /**
   * How many sessions, codes, outbox emails and logged requests are kept; the oldest are evicted
   * first. An evicted link answers `404`, an evicted code `invalid_grant`.
   * @default 10_000
   */
  maxEntries?: number;
  /**
   * Leave `state` off the `error=access_denied` redirect of a spent or expired link. Whether
   * WorkOS sends it there is not documented; turn this on to check that a callback copes
   * without it.
   * @default false
   */
  omitStateOnAccessDenied?: boolean;
  /**
   * The redirect URIs configured in the WorkOS dashboard. A session whose `redirect_uri` is not
   * one of them (exact string match) is refused with `422` (`redirect_uri_not_allowed`);
   * `defaultRedirectUri` is always allowed.
   * @default undefined (any valid redirect URI is allowed)
   */
  allowedRedirectUris?: readonly string[];
}

/** {@link WorkOSEmulatorOptions} checked, with every default filled in. */
export interface ResolvedOptions {
  apiKey: string;
  clientId: string;
  defaultRedirectUri: string | null;
  now: () => number;
  linkTtlMs: number;
  codeTtlMs: number;
  maxEntries: number;
  omitStateOnAccessDenied: boolean;
  /** `null` when every valid redirect URI is allowed. */
  allowedRedirectUris: ReadonlySet<string> | null;
  magicAuth: ResolvedMagicAuthOptions;
}

export function resolveOptions(options: WorkOSEmulatorOptions): ResolvedOptions {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('startWorkOSEmulator: options must be an object. Pass {} or nothing.');
  }
  const now = options.now ?? Date.now;
  if (typeof now !== 'function') {
    throw new TypeError(
      'startWorkOSEmulator: now must be a function returning milliseconds. Omit it for Date.now.',
    );
  }
  const defaultRedirectUri = defaultRedirect(options.defaultRedirectUri);
  return {
    apiKey: nonEmpty('apiKey', options.apiKey, DEFAULT_EMULATOR_API_KEY),
    clientId: nonEmpty('clientId', options.clientId, DEFAULT_EMULATOR_CLIENT_ID),
    defaultRedirectUri,
    now,
    linkTtlMs: positiveNumber('linkTtlMs', options.linkTtlMs, DEFAULT_EMULATOR_LINK_TTL_MS),
    codeTtlMs: positiveNumber('codeTtlMs', options.codeTtlMs, DEFAULT_EMULATOR_CODE_TTL_MS),
    maxEntries: positiveNumber(
      'maxEntries',
      options.maxEntries,
      DEFAULT_EMULATOR_MAX_ENTRIES,
      true,
    ),
    omitStateOnAccessDenied: flag(
      'omitStateOnAccessDenied',
      options.omitStateOnAccessDenied,
      false,
    ),
    allowedRedirectUris: allowedRedirects(options.allowedRedirectUris, defaultRedirectUri),
    magicAuth: resolveMagicAuthOptions(options),
  };
}

function allowedRedirects(value: unknown, defaultRedirectUri: string | null): Set<string> | null {
  if (value === undefined) return null;
  const problem = !Array.isArray(value)
    ? 'not an array'
    : value
        .map((uri: unknown) => (redirectUriProblem(uri) === null ? null : String(uri)))
        .find((bad) => bad !== null);
  if (problem !== undefined) {
    throw new TypeError(
      `startWorkOSEmulator: allowedRedirectUris must be an array of absolute http(s) URLs without query string, fragment or wildcard (${problem}). Omit it to allow any.`,
    );
  }
  const allowed = new Set<string>(value as string[]);
  if (defaultRedirectUri !== null) allowed.add(defaultRedirectUri);
  return allowed;
}

function defaultRedirect(value: unknown): string | null {
  if (value === undefined) return null;
  const problem = redirectUriProblem(value);
  if (problem !== null) {
    throw new TypeError(
      `startWorkOSEmulator: defaultRedirectUri is invalid (${problem}). Pass an absolute http(s) URL without query string, fragment or wildcard.`,
    );
  }
  return value as string;
}
