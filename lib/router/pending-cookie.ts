import { isNonce } from '../flow/pending';
import { cookieFromHeader, serializeCookie } from '../http';

/** The pending cookie outlives the links it binds, so a slow click still finds it. */
export const COOKIE_SLACK_MS = 10 * 60 * 1000;

/**
 * The browser's half of a pending sign-in: a nonce in an HttpOnly cookie. Pure: a cookie header
 * in, a nonce out; a nonce in, a `Set-Cookie` value out.
 */
export interface PendingCookie {
  readonly name: string;
  /** The nonce in a `Cookie` header (or cookie-parser's `req.cookies`), if well formed. */
  read(header: string | undefined, parsed?: Readonly<Record<string, unknown>>): string | null;
  set(nonce: string): string;
  clear(): string;
}

export function createPendingCookie(options: { secure: boolean; ttlMs: number }): PendingCookie {
  const name = options.secure ? '__Host-mlink' : 'mlink';
  const maxAgeSeconds = (options.ttlMs + COOKIE_SLACK_MS) / 1000;
  return {
    name,
    read(header, parsed) {
      const fromParser = parsed?.[name];
      const value = typeof fromParser === 'string' ? fromParser : cookieFromHeader(header, name);
      return isNonce(value) ? value : null;
    },
    set: (nonce) => serializeCookie(name, nonce, { maxAgeSeconds, secure: options.secure }),
    clear: () => serializeCookie(name, '', { maxAgeSeconds: 0, secure: options.secure }),
  };
}
