import { hash } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { MagicLinkError } from '../errors';
import { fifoCache } from '../fifo-cache';
import { show } from './sealed-cookie-options';

/** What is sealed into the cookie. */
export interface Payload {
  /** The user. */
  u: Express.User;
  /** The session id: random, new at every sign-in; what sign-out revokes. */
  s: string;
  /** Issued at (sign-in), ms. */
  i: number;
  /** Absolute expiry, ms. */
  a: number;
  /** The user's generation when this session was issued. */
  g: number;
  /** When this cookie was last sealed, ms: the idle deadline is `t + idleMs`. */
  t: number;
}

/**
 * The seal's purpose: it names the app's origin and the cookie's full name, and goes into both
 * the key derivation and the AEAD's associated data. A cookie sealed by another app (staging
 * with production's secret, say), or under another cookie name, then fails GCM's check here
 * (hardening round 2, G03).
 */
export function sessionSealPurpose(origin: string, cookieName: string): string {
  return `session-cookie:${JSON.stringify([origin, cookieName])}`;
}

/** Whether `value` looks like what the adapter sealed. */
export function isPayload(value: unknown): value is Payload {
  if (!value || typeof value !== 'object') return false;
  const p = value as Record<string, unknown>;
  return (
    !!p.u &&
    typeof p.u === 'object' &&
    typeof (p.u as { id?: unknown }).id === 'string' &&
    typeof p.s === 'string' &&
    Number.isSafeInteger(p.i) &&
    Number.isSafeInteger(p.a) &&
    Number.isSafeInteger(p.g) &&
    Number.isSafeInteger(p.t)
  );
}

/** A generation as stored: a non-negative safe integer, or missing (0). */
export function parseGeneration(value: string | null): number {
  if (value === null) return 0;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0 || String(n) !== value)
    throw new MagicLinkError(
      'ERR_SESSION_FAILED',
      `sealedCookieSession: the stored generation ${show(value)} is not a number`,
    );
  return n;
}

export const revokedKey = (sid: string): string => `revoked:${sid}`;
/** At most 1000 user ids keep their hashed key, first in first out. */
const generationKeys = fifoCache<string, string>(1000);
export function generationKey(userId: string): string {
  const known = generationKeys.get(userId);
  if (known !== undefined) return known;
  // A user id can be long or odd; its hash keeps keys short and safe for any store.
  const key = `gen:${hash('sha256', userId, 'base64url')}`;
  // The ids come from cookies we sealed ourselves; only short ones are kept, and only so many.
  if (userId.length <= 256) generationKeys.set(userId, key);
  return key;
}

const PRIVATE = Symbol('express-magic-link.private-response');
/** Cache-Control directives that would let a shared cache keep (and hand out) the response. */
const SHARED = /^(?:public|s-maxage=.*|proxy-revalidate)$/i;

/** The same Cache-Control, less what lets a shared cache keep it, and `private` if need be. */
function privately(value: unknown): string {
  const directives = (value === undefined ? '' : String(value))
    .split(',')
    .map((d) => d.trim())
    .filter((d) => d !== '' && !SHARED.test(d));
  if (!directives.some((d) => /^(?:private|no-store)$/i.test(d))) directives.unshift('private');
  return directives.join(', ');
}

/**
 * Makes a response that carries a session cookie private to the browser, whatever the app sets
 * afterwards: a shared cache (a CDN) must never store one user's cookie and serve it to
 * others. Checked as the headers go out (as `on-headers` does), since the app's handler runs
 * after the cookie was set. `public` and `s-maxage` are dropped and `private` added, unless the
 * response is `no-store` or `private` already.
 */
export function keepPrivate(res: ServerResponse): void {
  const marked = res as ServerResponse & { [PRIVATE]?: true };
  if (marked[PRIVATE]) return;
  marked[PRIVATE] = true;
  const writeHead = res.writeHead;
  res.writeHead = function writeHeadPrivately(this: ServerResponse, ...args: unknown[]) {
    this.setHeader('Cache-Control', privately(this.getHeader('Cache-Control')));
    // writeHead(status, headers) may carry its own Cache-Control, which wins over setHeader's.
    const headers = args.find((a, i) => i > 0 && a !== null && typeof a === 'object');
    if (headers && !Array.isArray(headers)) {
      const record = headers as Record<string, unknown>;
      for (const name of Object.keys(record))
        if (name.toLowerCase() === 'cache-control') record[name] = privately(record[name]);
    }
    return (writeHead as (...a: unknown[]) => ServerResponse).apply(this, args);
  } as ServerResponse['writeHead'];
}
