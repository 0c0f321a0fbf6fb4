import { createHmac, timingSafeEqual } from 'node:crypto';
import { isNonce } from '../flow/pending';
import { deriveKey } from '../flow/seal';
import { cookieFromHeader, serializeCookie } from '../http';

/** The pending cookie outlives the links it binds, so a slow click still finds it. */
export const COOKIE_SLACK_MS = 10 * 60 * 1000;

const VALUE = /^([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{22})$/;

/**
 * The browser's half of a pending sign-in: a nonce in an HttpOnly cookie, with a MAC, so the
 * router adopts only nonces it issued: a cookie planted by a sibling subdomain or over plain
 * http (cookie tossing, threat model A7) is ignored. Pure: a cookie header in, a nonce out; a
 * nonce in, a `Set-Cookie` value out.
 */
export interface PendingCookie {
  readonly name: string;
  /** The nonce in a `Cookie` header (or cookie-parser's `req.cookies`), if this app issued it. */
  read(header: string | undefined, parsed?: Readonly<Record<string, unknown>>): string | null;
  set(nonce: string): string;
  clear(): string;
}

export function createPendingCookie(options: {
  secure: boolean;
  ttlMs: number;
  secrets: readonly string[];
}): PendingCookie {
  const name = options.secure ? '__Host-mlink' : 'mlink';
  const maxAgeSeconds = (options.ttlMs + COOKIE_SLACK_MS) / 1000;
  const keys = options.secrets.map((secret) => deriveKey(secret, 'pending-cookie'));
  // Everything after the value is the same on every Set-Cookie: built once.
  const attributes = serializeCookie(name, '', { maxAgeSeconds, secure: options.secure }).slice(
    name.length + 1,
  );
  const mac = (key: Buffer, nonce: string) =>
    createHmac('sha256', key).update(nonce).digest().subarray(0, 16);

  function verify(value: unknown): string | null {
    if (typeof value !== 'string') return null;
    const match = VALUE.exec(value);
    if (!match || !isNonce(match[1])) return null;
    // Compared as written, not decoded: Node ignores the spare bits of the last character, so a
    // decoded comparison would accept 16 spellings of one MAC.
    const given = Buffer.from(match[2]!, 'latin1');
    return keys.some((key) =>
      timingSafeEqual(Buffer.from(mac(key, match[1]!).toString('base64url'), 'latin1'), given),
    )
      ? match[1]!
      : null;
  }

  return {
    name,
    read(header, parsed) {
      const fromParser = parsed?.[name];
      return verify(typeof fromParser === 'string' ? fromParser : cookieFromHeader(header, name));
    },
    set: (nonce) => `${name}=${nonce}.${mac(keys[0]!, nonce).toString('base64url')}${attributes}`,
    clear: () => serializeCookie(name, '', { maxAgeSeconds: 0, secure: options.secure }),
  };
}
