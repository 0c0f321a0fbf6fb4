import type { IncomingMessage, ServerResponse } from 'node:http';
import { MagicLinkError } from '../errors';
import { createSealer } from '../flow/seal';
import type { Sealer } from '../flow/seal';
import { randomBytes } from '../flow/random';
import { cookieFromHeader, serializeCookie } from '../http';
import { prefixedStore } from '../stores/prefix';
import type { Store } from '../stores/store';
import type { SessionAdapter, SessionContext } from './adapter';
import { fail, MAX_COOKIE_BYTES, resolveSealedCookieOptions } from './sealed-cookie-options';
import type { SealedCookieSessionOptions } from './sealed-cookie-options';
import {
  generationKey,
  isPayload,
  keepPrivate,
  parseGeneration,
  revokedKey,
  sessionSealPurpose,
} from './sealed-cookie-payload';
import type { Payload } from './sealed-cookie-payload';

export {
  DEFAULT_REFRESH_AFTER,
  DEFAULT_SESSION_COOKIE,
  DEFAULT_SESSION_IDLE_MS,
  DEFAULT_SESSION_MAX_AGE_MS,
  MAX_COOKIE_BYTES,
} from './sealed-cookie-options';
export type { SealedCookieSessionOptions } from './sealed-cookie-options';

/** How much longer than idleMs a revocation is kept: see revoke(). */
export const REVOCATION_MARGIN_MS = 5 * 60 * 1000;
/** Session cookies whose plaintext is remembered (about 1 kB each), so most requests decrypt nothing. */
const OPENED_COOKIES = 1000;

/** What every step needs once the router (or the options) supplied the store and the origin. */
interface Ready {
  store: Store;
  secure: boolean;
  name: string;
  sealer: Sealer;
}

/** The adapter {@link sealedCookieSession} returns: a `SessionAdapter`, and more. */
export interface SealedCookieSession extends SessionAdapter {
  /** The cookie's full name, e.g. `__Host-mlsession` (known once the adapter is initialised). */
  readonly cookieName: string;
  /**
   * Ends every session of this user, on every device, at once: each of their cookies carries the
   * generation it was issued in, and this moves the generation on.
   */
  signOutEverywhere(userId: string): Promise<void>;
}

/**
 * A {@link SessionAdapter} that keeps the signed-in user in one sealed cookie (AES-256-GCM): no
 * session store, and no express-session.
 *
 * - The cookie holds the user, a random session id, when it was issued and when it expires:
 *   after `maxAgeMs` from sign-in, or `idleMs` after it was last sealed, whichever comes first.
 *   A request reseals it (a new `Set-Cookie`) only once `refreshAfter` of `idleMs` has passed.
 * - `signIn` issues a new session id (against fixation) and revokes the one the browser had.
 * - `signOut` puts the session id on a revocation list in the store until the cookie would have
 *   expired, so a copy of the cookie is worthless at once. `signOutEverywhere(userId)` ends all
 *   of a user's sessions.
 * - Every request checks the revocation list: synchronously with `memoryStore`, one round trip
 *   (two GETs sent together) with Redis. If the store fails, the request is treated as signed
 *   out (never as signed in), the cookie is kept, and a `provider_error` event
 *   (`ERR_SESSION_FAILED`) is emitted.
 * - A browser keeps at most 4096 bytes of `name=value` per cookie. A user too large for that is
 *   refused at sign-in (`503 ERR_SESSION_FAILED`, the event naming the fix): keep only what you
 *   need with `onSignIn`, e.g. `onSignIn: (p) => ({ id: p.id, email: p.email })`.
 *
 * @example
 * app.use(magicLinkRouter({
 *   provider, secret, origin, store,
 *   session: sealedCookieSession({ secret: process.env.SESSION_SECRET! }),
 *   onSignIn: (p) => ({ id: p.id, email: p.email }),
 * }));
 */
export function sealedCookieSession(options: SealedCookieSessionOptions): SealedCookieSession {
  const resolved = resolveSealedCookieOptions(options);
  const { secrets, maxAgeMs, idleMs, refreshAfter, baseName, now } = resolved;
  const refreshMs = refreshAfter * idleMs;
  let store: Store | undefined = resolved.store && prefixedStore(resolved.store, 'session:');
  let secure = resolved.secure;
  let origin = resolved.origin;
  let report: SessionContext['report'] = () => undefined;
  /** Made once the origin and the cookie's name are known: both are sealed into every cookie. */
  let sealer: Sealer | null = null;

  const nameFor = (isSecure: boolean) => (isSecure ? `__Host-${baseName}` : baseName);
  const notReady = (what: string) =>
    new TypeError(
      `sealedCookieSession: no ${what}. Pass it as magicLinkRouter's session option (it then uses the router's store and origin), or pass { store, origin } yourself.`,
    );
  function ready(): Ready {
    if (store === undefined) throw notReady('store');
    if (origin === undefined) throw notReady('origin');
    if (secure === undefined) throw notReady('secure flag');
    const name = nameFor(secure);
    // The same cookie comes back on every request until it is resealed: open each one only once.
    sealer ??= createSealer(secrets, sessionSealPurpose(origin, name), {
      now,
      cache: OPENED_COOKIES,
    });
    return { store, secure, name, sealer };
  }

  function read(req: IncomingMessage, name: string): string | null {
    const parsed = (req as { cookies?: Record<string, unknown> }).cookies?.[name];
    return typeof parsed === 'string' ? parsed : cookieFromHeader(req.headers.cookie, name);
  }

  function open(req: IncomingMessage, c: Ready): Payload | null {
    const raw = read(req, c.name);
    if (raw === null || raw === '') return null;
    const opened = c.sealer.unseal<unknown>(raw);
    if (!opened.ok || !isPayload(opened.value)) return null;
    return now() < opened.value.a ? opened.value : null;
  }

  /** Replaces any Set-Cookie for this cookie that the response already carries. */
  function setCookie(res: ServerResponse, name: string, line: string): void {
    const existing = res.getHeader('Set-Cookie');
    const lines =
      existing === undefined ? [] : Array.isArray(existing) ? existing : [String(existing)];
    res.setHeader('Set-Cookie', [...lines.filter((l) => !l.startsWith(`${name}=`)), line]);
  }

  function sealed(payload: Payload, c: Ready): string {
    const expiresAt = Math.min(payload.t + idleMs, payload.a);
    const value = c.sealer.seal(payload, expiresAt - payload.t);
    return serializeCookie(c.name, value, {
      maxAgeSeconds: Math.ceil((expiresAt - payload.t) / 1000),
      secure: c.secure,
    });
  }

  function decide(
    payload: Payload,
    revoked: string | null,
    generation: string | null,
    res: ServerResponse | undefined,
    c: Ready,
  ): Express.User | null {
    if (revoked !== null || payload.g < parseGeneration(generation)) return null;
    const at = now();
    if (res !== undefined && !res.headersSent && at - payload.t >= refreshMs) {
      setCookie(res, c.name, sealed({ ...payload, t: at }, c));
      // The reseal rides on the app's own answer, which the app may mark cacheable.
      keepPrivate(res);
    }
    return payload.u;
  }

  /**
   * Revokes a session for as long as any copy of its cookie can still open. A revoked session is
   * never resealed, so every copy was sealed at or before now and dies idleMs after that, or at
   * the absolute expiry if sooner. The margin covers a reseal racing this write and clocks that
   * differ between instances. With the defaults that keeps a key for 1 day, not the 7 of maxAgeMs.
   */
  async function revoke(sid: string, absoluteExpiry: number, s: Store): Promise<void> {
    const at = now();
    const ttl = Math.min(absoluteExpiry - at, idleMs + REVOCATION_MARGIN_MS);
    if (ttl > 0) await s.set(revokedKey(sid), '1', ttl);
  }

  return {
    get cookieName() {
      return nameFor(secure ?? false);
    },

    init(context) {
      if (resolved.secure !== undefined && resolved.secure !== context.secure) {
        fail(
          'secure',
          `is ${resolved.secure}, but the router's origin is ${context.origin}`,
          "Leave secure out: it follows the router's origin.",
        );
      }
      if (resolved.origin !== undefined && resolved.origin !== context.origin) {
        fail(
          'origin',
          `is ${resolved.origin}, but the router's origin is ${context.origin}`,
          "Leave origin out: it follows the router's origin.",
        );
      }
      secure = context.secure;
      origin = context.origin;
      store ??= context.store;
      report = context.report;
      sealer = null;
    },

    getUser(req, res) {
      const c = ready();
      const s = c.store;
      const payload = open(req, c);
      if (payload === null) return null;
      const rKey = revokedKey(payload.s);
      const gKey = generationKey(payload.u.id);
      const failClosed = (err: unknown): null => {
        report(req, err);
        return null;
      };
      if (typeof s.getSync === 'function') {
        try {
          return decide(payload, s.getSync(rKey), s.getSync(gKey), res, c);
        } catch (err) {
          return failClosed(err);
        }
      }
      // Both reads go out together: one round trip.
      return Promise.all([s.get(rKey), s.get(gKey)])
        .then(([revoked, generation]) => decide(payload, revoked, generation, res, c))
        .catch(failClosed);
    },

    async signIn(req, res, user) {
      const c = ready();
      const s = c.store;
      if (!user || typeof user !== 'object' || typeof user.id !== 'string' || user.id === '') {
        throw new MagicLinkError('ERR_SESSION_FAILED', 'The user has no id', {
          cause: new TypeError(
            'sealedCookieSession: the signed-in user must have a string id. Return one from onSignIn, e.g. onSignIn: (p) => ({ id: p.id, email: p.email }).',
          ),
        });
      }
      const previous = open(req, c);
      const generation = parseGeneration(await s.get(generationKey(user.id)));
      const at = now();
      const payload: Payload = {
        u: user,
        s: randomBytes(16).toString('base64url'),
        i: at,
        a: at + maxAgeMs,
        g: generation,
        t: at,
      };
      const line = sealed(payload, c);
      const bytes = Buffer.byteLength(line.slice(0, line.indexOf(';')));
      if (bytes > MAX_COOKIE_BYTES) {
        throw new MagicLinkError('ERR_SESSION_FAILED', 'The user is too large for a cookie', {
          cause: new TypeError(
            `sealedCookieSession: the signed-in user makes a ${bytes}-byte cookie, over the ${MAX_COOKIE_BYTES} bytes a browser keeps, so the sign-in was refused. ` +
              'Fix: store only an id in the session: onSignIn: (p) => ({ id: p.id, email: p.email }), and load the rest from your database.',
          ),
        });
      }
      // The session this browser had (another user's, perhaps) ends here, as regenerate() does.
      if (previous !== null) await revoke(previous.s, previous.a, s);
      setCookie(res, c.name, line);
    },

    async signOut(req, res) {
      const c = ready();
      const payload = open(req, c);
      // Revoke first: if the store fails, the cookie stays and the error says to try again.
      if (payload !== null) await revoke(payload.s, payload.a, c.store);
      setCookie(res, c.name, serializeCookie(c.name, '', { maxAgeSeconds: 0, secure: c.secure }));
    },

    async signOutEverywhere(userId) {
      if (typeof userId !== 'string' || userId === '')
        throw new TypeError('sealedCookieSession: signOutEverywhere(userId) needs the user id.');
      const { store: s } = ready();
      const key = generationKey(userId);
      const current = parseGeneration(await s.get(key));
      // Past every generation a live cookie can carry, even after the key expired: it only
      // expires maxAgeMs after it was written, when every cookie issued before then is dead.
      const next = Math.max(current + 1, now());
      await s.set(key, String(next), maxAgeMs);
    },
  };
}
