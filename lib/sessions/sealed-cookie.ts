import { hash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { MagicLinkError } from '../errors';
import { fifoCache } from '../fifo-cache';
import { createSealer } from '../flow/seal';
import { randomBytes } from '../flow/random';
import { cookieFromHeader, serializeCookie } from '../http';
import { checkSecretList } from '../option-checks';
import { MIN_SECRET_LENGTH } from '../options';
import { prefixedStore } from '../stores/prefix';
import type { Store } from '../stores/store';
import type { SessionAdapter, SessionContext } from './adapter';

/** The most bytes of `name=value` a browser is sure to keep for one cookie. */
export const MAX_COOKIE_BYTES = 4096;
export const DEFAULT_SESSION_MAX_AGE_MS = 7 * 24 * 60 * 60 * 1000;
export const DEFAULT_SESSION_IDLE_MS = 24 * 60 * 60 * 1000;
export const DEFAULT_REFRESH_AFTER = 0.25;
/** How much longer than idleMs a revocation is kept: see revoke(). */
export const REVOCATION_MARGIN_MS = 5 * 60 * 1000;
export const DEFAULT_SESSION_COOKIE = 'mlsession';
/** Chrome caps a cookie's lifetime at 400 days; a longer session would end early anyway. */
const MAX_LIFETIME_MS = 400 * 24 * 60 * 60 * 1000;
const MIN_LIFETIME_MS = 60 * 1000;
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Session cookies whose plaintext is remembered (about 1 kB each), so most requests decrypt nothing. */
const OPENED_COOKIES = 1000;

const KNOWN_OPTIONS = [
  'secret',
  'store',
  'secure',
  'cookieName',
  'maxAgeMs',
  'idleMs',
  'refreshAfter',
  'now',
];

/** Options for {@link sealedCookieSession}. */
export interface SealedCookieSessionOptions {
  /**
   * Seals the cookie (AES-256-GCM, with a key derived for this purpose alone, so it may be the
   * router's own secret). An array rotates: the first seals, every one opens. At least 32
   * characters each.
   */
  secret: string | readonly string[];
  /**
   * Where the revocation list and the per-user generations live, under the `session:` prefix.
   * @default the router's `store`
   */
  store?: Store;
  /**
   * Whether the cookie is `Secure` and `__Host-` prefixed.
   * @default true when the router's `origin` is https
   */
  secure?: boolean;
  /** The cookie's name; `__Host-` is prepended when secure. @default 'mlsession' */
  cookieName?: string;
  /** The absolute lifetime of a session, from sign-in. @default 7 days */
  maxAgeMs?: number;
  /** A session not used for this long ends. At most `maxAgeMs`. @default 24 hours */
  idleMs?: number;
  /**
   * The fraction of `idleMs` that must pass since the cookie was last sealed before a request
   * reseals it (pushing the idle deadline back). `0` reseals on every request.
   * @default 0.25 (with the default idleMs: at most one new cookie every 6 hours)
   */
  refreshAfter?: number;
  /** The clock, in milliseconds. Inject one in tests. @default Date.now */
  now?: () => number;
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

/** What is sealed into the cookie. */
interface Payload {
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

function fail(option: string, problem: string, fix: string): never {
  throw new TypeError(`sealedCookieSession: ${option} ${problem}. ${fix}`);
}

function show(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

function checkSecrets(value: unknown): string[] {
  return checkSecretList(
    value,
    fail,
    'SESSION_SECRET',
    `Pass a random string of at least ${MIN_SECRET_LENGTH} characters, e.g. secret: process.env.SESSION_SECRET. Generate one with \`openssl rand -base64 32\`.`,
  );
}

function checkDuration(value: unknown, option: string, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  if (
    !Number.isSafeInteger(value) ||
    (value as number) < MIN_LIFETIME_MS ||
    (value as number) > max
  )
    fail(
      option,
      `must be a whole number of milliseconds between ${MIN_LIFETIME_MS} and ${max} (got ${show(value)})`,
      `Pass e.g. ${option}: ${fallback}, or leave it out for the default.`,
    );
  return value as number;
}

function checkStore(value: unknown): Store | undefined {
  if (value === undefined) return undefined;
  const record = value as Record<string, unknown> | null;
  if (!record || typeof record.get !== 'function' || typeof record.set !== 'function')
    fail(
      'store',
      'must be a Store (with get and set)',
      "Pass memoryStore(), redisStore(client), or leave it out to use the router's store.",
    );
  return value as Store;
}

/** Whether `value` looks like what {@link seal} put in. */
function isPayload(value: unknown): value is Payload {
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
function parseGeneration(value: string | null): number {
  if (value === null) return 0;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0 || String(n) !== value)
    throw new MagicLinkError(
      'ERR_SESSION_FAILED',
      `sealedCookieSession: the stored generation ${show(value)} is not a number`,
    );
  return n;
}

const revokedKey = (sid: string) => `revoked:${sid}`;
/** At most 1000 user ids keep their hashed key, first in first out. */
const generationKeys = fifoCache<string, string>(1000);
function generationKey(userId: string): string {
  const known = generationKeys.get(userId);
  if (known !== undefined) return known;
  // A user id can be long or odd; its hash keeps keys short and safe for any store.
  const key = `gen:${hash('sha256', userId, 'base64url')}`;
  // The ids come from cookies we sealed ourselves; only short ones are kept, and only so many.
  if (userId.length <= 256) generationKeys.set(userId, key);
  return key;
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
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(
      'sealedCookieSession: options are required. Call sealedCookieSession({ secret: process.env.SESSION_SECRET }).',
    );
  }
  for (const key of Object.keys(options)) {
    if (!KNOWN_OPTIONS.includes(key))
      fail(
        key,
        'is not a known option',
        `Check the spelling; known options are: ${KNOWN_OPTIONS.join(', ')}.`,
      );
  }
  const secrets = checkSecrets(options.secret);
  const maxAgeMs = checkDuration(
    options.maxAgeMs,
    'maxAgeMs',
    DEFAULT_SESSION_MAX_AGE_MS,
    MAX_LIFETIME_MS,
  );
  const idleMs = checkDuration(
    options.idleMs,
    'idleMs',
    Math.min(DEFAULT_SESSION_IDLE_MS, maxAgeMs),
    maxAgeMs,
  );
  const refreshAfter = options.refreshAfter ?? DEFAULT_REFRESH_AFTER;
  if (typeof refreshAfter !== 'number' || !(refreshAfter >= 0 && refreshAfter < 1))
    fail(
      'refreshAfter',
      `must be a number from 0 up to (not including) 1 (got ${show(refreshAfter)})`,
      'Pass e.g. refreshAfter: 0.25 to reseal once a quarter of idleMs has passed.',
    );
  const baseName = options.cookieName ?? DEFAULT_SESSION_COOKIE;
  if (typeof baseName !== 'string' || !TOKEN.test(baseName) || /^__(host|secure)-/i.test(baseName))
    fail(
      'cookieName',
      `must be a cookie name token without a __Host- or __Secure- prefix (got ${show(baseName)})`,
      "Pass e.g. cookieName: 'session'; __Host- is added on https.",
    );
  if (options.secure !== undefined && typeof options.secure !== 'boolean')
    fail(
      'secure',
      `must be a boolean (got ${show(options.secure)})`,
      'Pass true, false, or leave it out.',
    );
  const now = options.now ?? (() => Date.now());
  if (typeof now !== 'function')
    fail(
      'now',
      `must be a function (got ${show(now)})`,
      'Pass e.g. () => Date.now(), or leave it out.',
    );

  // The same cookie comes back on every request until it is resealed: open each one only once.
  const sealer = createSealer(secrets, 'session-cookie', { now, cache: OPENED_COOKIES });
  const refreshMs = refreshAfter * idleMs;
  const own = checkStore(options.store);
  let store: Store | undefined = own && prefixedStore(own, 'session:');
  let secure: boolean | undefined = options.secure;
  let report: SessionContext['report'] = () => undefined;

  const nameFor = (isSecure: boolean) => (isSecure ? `__Host-${baseName}` : baseName);
  const notReady = (what: string) =>
    new TypeError(
      `sealedCookieSession: no ${what}. Pass it as magicLinkRouter's session option (it then uses the router's store and origin), or pass { store, secure } yourself.`,
    );
  function ready(): { store: Store; secure: boolean; name: string } {
    if (store === undefined) throw notReady('store');
    if (secure === undefined) throw notReady('secure flag');
    return { store, secure, name: nameFor(secure) };
  }

  function read(req: IncomingMessage, name: string): string | null {
    const parsed = (req as { cookies?: Record<string, unknown> }).cookies?.[name];
    return typeof parsed === 'string' ? parsed : cookieFromHeader(req.headers.cookie, name);
  }

  function open(req: IncomingMessage, name: string): Payload | null {
    const raw = read(req, name);
    if (raw === null || raw === '') return null;
    const opened = sealer.unseal<unknown>(raw);
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

  function sealed(payload: Payload, name: string, isSecure: boolean): string {
    const expiresAt = Math.min(payload.t + idleMs, payload.a);
    const value = sealer.seal(payload, expiresAt - payload.t);
    return serializeCookie(name, value, {
      maxAgeSeconds: Math.ceil((expiresAt - payload.t) / 1000),
      secure: isSecure,
    });
  }

  function decide(
    payload: Payload,
    revoked: string | null,
    generation: string | null,
    res: ServerResponse | undefined,
    name: string,
    isSecure: boolean,
  ): Express.User | null {
    if (revoked !== null || payload.g < parseGeneration(generation)) return null;
    const at = now();
    if (res !== undefined && !res.headersSent && at - payload.t >= refreshMs) {
      setCookie(res, name, sealed({ ...payload, t: at }, name, isSecure));
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
      if (options.secure !== undefined && options.secure !== context.secure) {
        fail(
          'secure',
          `is ${options.secure}, but the router's origin is ${context.origin}`,
          "Leave secure out: it follows the router's origin.",
        );
      }
      secure = context.secure;
      store ??= context.store;
      report = context.report;
    },

    getUser(req, res) {
      const { store: s, secure: isSecure, name } = ready();
      const payload = open(req, name);
      if (payload === null) return null;
      const rKey = revokedKey(payload.s);
      const gKey = generationKey(payload.u.id);
      const failClosed = (err: unknown): null => {
        report(req, err);
        return null;
      };
      if (typeof s.getSync === 'function') {
        try {
          return decide(payload, s.getSync(rKey), s.getSync(gKey), res, name, isSecure);
        } catch (err) {
          return failClosed(err);
        }
      }
      // Both reads go out together: one round trip.
      return Promise.all([s.get(rKey), s.get(gKey)])
        .then(([revoked, generation]) => decide(payload, revoked, generation, res, name, isSecure))
        .catch(failClosed);
    },

    async signIn(req, res, user) {
      const { store: s, secure: isSecure, name } = ready();
      if (!user || typeof user !== 'object' || typeof user.id !== 'string' || user.id === '') {
        throw new MagicLinkError('ERR_SESSION_FAILED', 'The user has no id', {
          cause: new TypeError(
            'sealedCookieSession: the signed-in user must have a string id. Return one from onSignIn, e.g. onSignIn: (p) => ({ id: p.id, email: p.email }).',
          ),
        });
      }
      const previous = open(req, name);
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
      const line = sealed(payload, name, isSecure);
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
      setCookie(res, name, line);
    },

    async signOut(req, res) {
      const { store: s, secure: isSecure, name } = ready();
      const payload = open(req, name);
      // Revoke first: if the store fails, the cookie stays and the error says to try again.
      if (payload !== null) await revoke(payload.s, payload.a, s);
      setCookie(res, name, serializeCookie(name, '', { maxAgeSeconds: 0, secure: isSecure }));
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
