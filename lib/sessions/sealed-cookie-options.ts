import { checkSecretList } from '../option-checks';
import { MIN_SECRET_LENGTH } from '../options';
import type { Store } from '../stores/store';

/** The most bytes of `name=value` a browser is sure to keep for one cookie. */
export const MAX_COOKIE_BYTES = 4096;
export const DEFAULT_SESSION_MAX_AGE_MS = 7 * 24 * 60 * 60 * 1000;
export const DEFAULT_SESSION_IDLE_MS = 24 * 60 * 60 * 1000;
export const DEFAULT_REFRESH_AFTER = 0.25;
export const DEFAULT_SESSION_COOKIE = 'mlsession';
/** Chrome caps a cookie's lifetime at 400 days; a longer session would end early anyway. */
const MAX_LIFETIME_MS = 400 * 24 * 60 * 60 * 1000;
const MIN_LIFETIME_MS = 60 * 1000;
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

const KNOWN_OPTIONS = [
  'secret',
  'store',
  'secure',
  'origin',
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
   * characters each. Give each app a secret of its own: the seal also binds the app's origin
   * and the cookie's name, so one app's cookie never opens in another, but a secret shared
   * with other software is only as safe as that software.
   */
  secret: string | readonly string[];
  /**
   * Where the revocation list and the per-user generations live, under the `session:` prefix.
   * @default the router's `store`
   */
  store?: Store;
  /**
   * Whether the cookie is `Secure` and `__Host-` prefixed.
   * @default true when the router's `origin` (or this `origin`) is https
   */
  secure?: boolean;
  /**
   * The app's origin, sealed into every cookie so that a cookie issued by another app (staging,
   * say) never opens here, even with the same secret. Only needed without the router.
   * @default the router's `origin`
   */
  origin?: string;
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

/** The options, checked, with every default filled in except what the router supplies. */
export interface ResolvedSealedCookieOptions {
  secrets: string[];
  maxAgeMs: number;
  idleMs: number;
  refreshAfter: number;
  baseName: string;
  secure: boolean | undefined;
  origin: string | undefined;
  store: Store | undefined;
  now: () => number;
}

export function fail(option: string, problem: string, fix: string): never {
  throw new TypeError(`sealedCookieSession: ${option} ${problem}. ${fix}`);
}

export function show(value: unknown): string {
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

function checkOrigin(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  let url: URL | null = null;
  try {
    url = typeof value === 'string' ? new URL(value) : null;
  } catch {
    url = null;
  }
  if (
    url === null ||
    (url.protocol !== 'https:' && url.protocol !== 'http:') ||
    url.origin !== (value as string).replace(/\/$/, '')
  )
    fail(
      'origin',
      `must be a bare http(s) origin such as 'https://app.example.com' (got ${show(value)})`,
      "Pass the router's origin, or leave it out when the adapter is the router's session option.",
    );
  return url.origin;
}

/** Checks every option once, at construction; each problem is a TypeError naming the fix. */
export function resolveSealedCookieOptions(
  options: SealedCookieSessionOptions,
): ResolvedSealedCookieOptions {
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
  const origin = checkOrigin(options.origin);
  const now = options.now ?? (() => Date.now());
  if (typeof now !== 'function')
    fail(
      'now',
      `must be a function (got ${show(now)})`,
      'Pass e.g. () => Date.now(), or leave it out.',
    );
  return {
    secrets,
    maxAgeMs,
    idleMs,
    refreshAfter,
    baseName,
    secure: options.secure ?? (origin === undefined ? undefined : origin.startsWith('https:')),
    origin,
    store: checkStore(options.store),
    now,
  };
}
