import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import type { MagicLinkProfile } from '../profile';
import { signInOf } from '../providers/provider';
import type { ProviderContext, ProviderSignIn } from '../providers/provider';
import type { StoreConformanceCase as ConformanceCase } from './store-suite';

// The options, constants and assertions of the provider conformance cases (see ./provider-suite).

/** One conformance check: give it to your test runner as `it(name, run)`. */
export type ProviderConformanceCase = ConformanceCase;

/** Options for {@link providerConformanceCases}. */
export interface ProviderConformanceOptions {
  /**
   * The context each case hands the provider's `init`, as `magicLinkRouter()` does.
   *
   * @default a fresh `memoryStore()` and a fixed test secret, per case
   */
  context?: () => ProviderContext;
  /**
   * The code the provider's redirect brings to the callback when someone opens `link`: what a
   * browser's click would deliver. For a provider that follows a hosted page (WorkOS), open the
   * link and read the `code` of the redirect.
   *
   * @default the link's own `code` query parameter
   *
   * @example
   * codeOf: async (link) => {
   *   const res = await fetch(link, { redirect: 'manual' });
   *   return new URL(res.headers.get('location')!).searchParams.get('code')!;
   * }
   */
  codeOf?: (link: string) => Promise<string>;
  /**
   * The callback URL passed to `start`, as `<origin><basePath>/callback`.
   *
   * @default 'https://app.example.com/auth/callback'
   */
  redirectUri?: string;
}

export const DEFAULT_SECRET = 'provider-conformance-secret-0123456789abcdef';
export const MINUTE_MS = 60 * 1000;
export const DAY_MS = 24 * 60 * MINUTE_MS;
/** Room for a provider's clock (a remote API) to disagree with ours. */
export const CLOCK_SLACK_MS = 60 * 1000;

/** Garbage a callback could carry; none of it was ever issued. */
export const GARBAGE_CODES = [
  '',
  'x',
  'not-a-code',
  'A'.repeat(43),
  '0'.repeat(26),
  '01ARZ3NDEKTSV4RRFFQ69G5FAV',
  'a'.repeat(512),
  'code with spaces',
  '../../etc/passwd',
];

export const sha256 = (value: string) => createHash('sha256').update(value).digest('base64url');

/** A binding like the flow's: the digest of a fresh 128-bit nonce. */
export const newBinding = () => sha256(randomBytes(16).toString('base64url'));

export function describeError(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return `${err.name}${typeof code === 'string' ? ` ${code}` : ''}: ${err.message}`;
  }
  return `a thrown ${typeof err} (${String(err)})`;
}

/**
 * Asserts that `promise` rejects with a `MagicLinkError` carrying one of `codes`. Recognised by
 * name and code rather than `instanceof`: this module and the app may load different copies of
 * the class (the CommonJS build bundles each entry point on its own).
 */
export async function rejectsWith(
  promise: Promise<unknown>,
  codes: readonly string[],
  what: string,
): Promise<void> {
  await assert.rejects(
    promise,
    (err: unknown) => {
      const code = (err as { code?: unknown } | null)?.code;
      assert.ok(
        err instanceof Error && err.name === 'MagicLinkError' && typeof code === 'string',
        `${what}: expected a MagicLinkError (${codes.join(' or ')}), got ${describeError(err)}`,
      );
      assert.ok(
        codes.includes(code),
        `${what}: expected ${codes.join(' or ')}, got ${describeError(err)}`,
      );
      return true;
    },
    `${what}: expected a rejection with ${codes.join(' or ')}, but it resolved`,
  );
}

export function checkProfile(result: MagicLinkProfile | ProviderSignIn, email: string): void {
  assert.ok(result && typeof result === 'object', 'finish must resolve with a profile');
  const { profile } = signInOf(result);
  assert.equal(typeof profile.id, 'string', 'profile.id must be a string');
  assert.ok(profile.id.length > 0, 'profile.id must not be empty');
  assert.equal(typeof profile.idpId, 'string', 'profile.idpId must be a string');
  assert.equal(typeof profile.connectionId, 'string', 'profile.connectionId must be a string');
  assert.ok(
    profile.connectionType === 'MagicLink' || profile.connectionType === 'MagicAuth',
    `profile.connectionType must be 'MagicLink' or 'MagicAuth', got ${String(profile.connectionType)}`,
  );
  assert.equal(
    profile.email.toLowerCase(),
    email.toLowerCase(),
    'profile.email is the address the link was started for',
  );
  for (const field of ['organizationId', 'firstName', 'lastName'] as const) {
    const value = profile[field];
    assert.ok(value === null || typeof value === 'string', `profile.${field} is a string or null`);
  }
  assert.ok(
    profile.rawAttributes !== null && typeof profile.rawAttributes === 'object',
    'profile.rawAttributes is an object',
  );
}
