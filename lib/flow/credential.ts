import { MagicLinkError } from '../errors';
import { parseEmail } from './email';

/** Longest `code` the callback will look at; real ones are 43 (self-hosted) or ~30 characters. */
const MAX_CODE_LENGTH = 512;
const CODE_CHARS = /^[A-Za-z0-9_-]+$/;

export function sameAddress(a: string, b: string): boolean {
  const x = parseEmail(a);
  const y = parseEmail(b);
  return x.ok && y.ok ? x.canonical === y.canonical : a.toLowerCase() === b.toLowerCase();
}

export function checkCode(code: unknown): string {
  if (
    typeof code !== 'string' ||
    code.length === 0 ||
    code.length > MAX_CODE_LENGTH ||
    !CODE_CHARS.test(code)
  ) {
    throw new MagicLinkError('ERR_LINK_INVALID', 'Malformed code');
  }
  return code;
}

/**
 * Whether a failed exchange leaves the sign-in usable: after transient failures, and after a
 * code the provider refused (forged or truncated, so nothing of the user's was spent).
 */
export function restorable(err: unknown): err is MagicLinkError {
  return (
    err instanceof MagicLinkError &&
    (err.code === 'ERR_PROVIDER_UNAVAILABLE' ||
      err.code === 'ERR_PROVIDER_MISCONFIGURED' ||
      err.code === 'ERR_STORE_UNAVAILABLE' ||
      err.code === 'ERR_LINK_INVALID')
  );
}
