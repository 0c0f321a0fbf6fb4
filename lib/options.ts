import type { IncomingMessage } from 'node:http';
import type { MagicLinkErrorCode } from './errors';
import type { Mailer } from './mail/mailer';
import { defaultEmailTemplate, validateBranding } from './mail/templates';
import type { Branding, EmailTemplate } from './mail/templates';
import type { SignInPageData } from './pages/pages';
import type { MagicLinkProfile } from './profile';
import { capabilitiesOf } from './providers/provider';
import type { Provider, ResolvedCapabilities } from './providers/provider';
import { createRateLimiter } from './flow/rate-limit';
import type { RateLimiter, RateLimitOptions, RateLimitScope } from './flow/rate-limit';
import { expressSessionAdapter } from './sessions/express-session';
import type { SessionAdapter } from './sessions/adapter';
import { guardStore } from './stores/guard';
import { memoryStore } from './stores/memory';
import type { Store } from './stores/store';

/** A secret must carry at least this many characters (≈ 256 bits of a random base64 string). */
export const MIN_SECRET_LENGTH = 32;
export const DEFAULT_BASE_PATH = '/auth';
export const DEFAULT_AFTER_SIGN_IN = '/';
export const DEFAULT_AFTER_SIGN_OUT = '/';
export const DEFAULT_PROVIDER_TIMEOUT_MS = 10_000;

/** An email the app sends itself; the link and code are ready to paste into its template. */
export interface OutgoingLink {
  to: string;
  link: string;
  /** The one-time code, for providers that issue one (self-hosted); else `null`. */
  code: string | null;
  expiresAt: Date;
}

export type SendEmail = (message: OutgoingLink) => Promise<void>;

/** Everything the package reports, for logs and metrics. Never carries a token, code or full address. */
export type MagicLinkEvent = { at: Date; ip: string } & (
  | { type: 'link_sent'; email: string }
  /** `allow()` refused the address; the visitor was told the same as for a sent link. */
  | { type: 'link_not_sent'; email: string; reason: 'not_allowed' }
  | { type: 'sign_in'; userId: string; email: string; method: 'link' | 'code' | 'confirmed' }
  | { type: 'sign_in_failed'; reason: MagicLinkErrorCode }
  | { type: 'rate_limited'; scope: RateLimitScope }
  | { type: 'provider_error'; reason: MagicLinkErrorCode; error: unknown }
  | { type: 'sign_out' }
);

/** Options for `magicLinkRouter()`. Only `provider` and `secret` are required. */
export interface MagicLinkOptions {
  /** Where links come from: `workosProvider({...})` or `selfHostedProvider()`. Required. */
  provider: Provider;
  /**
   * Seals state, links and cookies. At least 32 characters. Pass an array to rotate: the first
   * secret seals, every secret opens. Required.
   */
  secret: string | readonly string[];
  /**
   * The app's public origin, e.g. `https://app.example.com`. Links and redirect checks use it;
   * the Host header is never trusted. Required when `NODE_ENV=production`.
   * @default `http://localhost:${PORT ?? 3000}` outside production
   */
  origin?: string;
  /**
   * Who sends the email. `'provider'` (also spelled `'workos'`): the provider sends its own
   * branded email (providers that can, such as WorkOS; not scanner-safe). A `Mailer` (e.g.
   * `smtpMailer()`): our template, our scanner-safe link. A function: the app sends it.
   * @default 'provider' with a provider that sends its own email; required otherwise
   */
  delivery?: 'provider' | 'workos' | Mailer | SendEmail;
  /**
   * Where a signed-in user lives.
   * @default expressSessionAdapter()
   */
  session?: SessionAdapter;
  /**
   * Shared state: pending sign-ins, tokens, attempts, rate limits. Use `redisStore()` when the
   * app runs more than one process.
   * @default memoryStore()
   */
  store?: Store;
  /**
   * What a link opened in another browser (or by an email scanner) does. `'confirm'`: show a
   * page whose button completes sign-in. `'deny'`: refuse, and point to the original browser.
   * @default 'confirm'
   */
  crossDevice?: 'confirm' | 'deny';
  /** @default '/auth' */
  basePath?: string;
  /** Where to land after sign-in when no returnTo was given. A same-origin path. @default '/' */
  afterSignIn?: string;
  /** Where to land after sign-out. A same-origin path. @default '/' */
  afterSignOut?: string;
  /**
   * The callback URL given to the provider. No query string, no wildcard.
   * @default `${origin}${basePath}/callback`
   */
  redirectUri?: string;
  /** Shown on pages and in emails. @default the origin's host name */
  appName?: string;
  /** Colours and logo for the default email. */
  branding?: Omit<Branding, 'appName'>;
  /** Replace the email template entirely. @default defaultEmailTemplate */
  emailTemplate?: EmailTemplate;
  /**
   * The default sign-in page at `GET <basePath>/magic-link`. `false` turns it off (the app
   * renders its own form); a function replaces it.
   * @default 'default'
   */
  signInPage?: 'default' | false | ((data: SignInPageData) => string);
  /**
   * Which addresses may sign in. Refused addresses get the same answer as allowed ones, but no
   * email. @default every valid address
   */
  allow?: (email: string) => boolean | Promise<boolean>;
  /**
   * Map the provider's profile to the app's user, or return `false` to refuse the sign-in.
   * @default the profile as is
   */
  onSignIn?: (
    profile: MagicLinkProfile,
    req: IncomingMessage,
  ) => Express.User | false | Promise<Express.User | false>;
  /** Receives every event. Log or count them. @default provider and store errors go to console.error */
  onEvent?: (event: MagicLinkEvent) => void;
  /**
   * Limits per address, per IP and per browser; an empty array turns a scope off.
   * @default sign-in emails: 3/min per (address, IP), 10/hour per address, 30/min and 200/hour
   * per IP (IPv6 by /56, and by /48 at 4×); credential checks: 60/min and 600/hour per IP,
   * 10/min and 30/hour per browser
   */
  rateLimit?: RateLimitOptions;
  /** Turn every rate limit off. For tests only; never in production. @default false */
  dangerouslyDisableRateLimit?: boolean;
  /** Give up on the provider after this long and show "try again". @default 10000 */
  providerTimeoutMs?: number;
}

export interface ResolvedOptions {
  provider: Provider;
  secrets: readonly string[];
  origin: string;
  secureCookies: boolean;
  /** `'provider'`: the provider emails the link itself. */
  delivery: 'provider' | SendEmail;
  capabilities: ResolvedCapabilities;
  session: SessionAdapter;
  store: Store;
  crossDevice: 'confirm' | 'deny';
  basePath: string;
  afterSignIn: string;
  afterSignOut: string;
  redirectUri: string;
  appName: string;
  signInPage: false | ((data: SignInPageData) => string) | 'default';
  allow: (email: string) => boolean | Promise<boolean>;
  onSignIn: NonNullable<MagicLinkOptions['onSignIn']>;
  onEvent: (event: MagicLinkEvent) => void;
  /** `null` when rate limiting is dangerously disabled. */
  rateLimiter: RateLimiter | null;
  providerTimeoutMs: number;
}

const KNOWN_OPTIONS = new Set<string>([
  'provider',
  'secret',
  'origin',
  'delivery',
  'session',
  'store',
  'crossDevice',
  'basePath',
  'afterSignIn',
  'afterSignOut',
  'redirectUri',
  'appName',
  'branding',
  'emailTemplate',
  'signInPage',
  'allow',
  'onSignIn',
  'onEvent',
  'rateLimit',
  'dangerouslyDisableRateLimit',
  'providerTimeoutMs',
]);

function fail(option: string, problem: string, fix: string): never {
  throw new TypeError(`magicLinkRouter: ${option} ${problem}. ${fix}`);
}

function checkFunction(value: unknown, option: string): void {
  if (value !== undefined && typeof value !== 'function') {
    fail(
      option,
      `must be a function, got ${typeof value}`,
      `Pass a function or leave ${option} out.`,
    );
  }
}

function resolveOrigin(value: unknown): string {
  const production = process.env.NODE_ENV === 'production';
  if (value === undefined) {
    if (production) {
      fail(
        'origin',
        'is required in production',
        "Pass your app's public origin, e.g. origin: 'https://app.example.com'.",
      );
    }
    return `http://localhost:${process.env.PORT ?? 3000}`;
  }
  if (typeof value !== 'string')
    fail('origin', 'must be a string', "Pass e.g. origin: 'https://app.example.com'.");
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    fail(
      'origin',
      `is not a valid URL (${JSON.stringify(value)})`,
      "Pass e.g. origin: 'https://app.example.com'.",
    );
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    fail('origin', 'must use http: or https:', "Pass e.g. origin: 'https://app.example.com'.");
  }
  if (url.origin !== value.replace(/\/$/, '') || url.username || url.password) {
    fail(
      'origin',
      `must be a bare origin with no path, query or credentials (got ${JSON.stringify(value)})`,
      `Pass ${JSON.stringify(url.origin)}.`,
    );
  }
  const local =
    url.hostname === 'localhost' || url.hostname === '127.0.0.1' || url.hostname === '[::1]';
  if (production && url.protocol === 'http:' && !local) {
    fail(
      'origin',
      'must use https: in production',
      'Serve the app over HTTPS and pass its https:// origin.',
    );
  }
  return url.origin;
}

function resolvePath(value: unknown, option: string, fallback: string): string {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || !/^\/(?!\/)[\x21-\x7e]*$/.test(value) || value.includes('\\')) {
    fail(
      option,
      `must be a same-origin path starting with a single "/" (got ${JSON.stringify(value)})`,
      `Pass e.g. ${option}: '/account'.`,
    );
  }
  return value;
}

export function resolveRedirectUri(value: unknown, fallback: string): string {
  if (value === undefined) return fallback;
  if (typeof value !== 'string')
    fail(
      'redirectUri',
      'must be a string',
      "Pass e.g. redirectUri: 'https://app.example.com/auth/callback'.",
    );
  if (value.includes('*')) {
    fail(
      'redirectUri',
      'must not contain a wildcard',
      'WorkOS does not accept wildcard subdomains in a Magic Link redirect URI. Pass the exact callback URL.',
    );
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    fail(
      'redirectUri',
      `is not a valid absolute URL (${JSON.stringify(value)})`,
      "Pass e.g. redirectUri: 'https://app.example.com/auth/callback'.",
    );
  }
  if (url.search || value.includes('?')) {
    fail(
      'redirectUri',
      'must not have a query string',
      'WorkOS rejects Magic Link redirect URIs with a query string. Carry app state in returnTo instead.',
    );
  }
  if (url.hash) fail('redirectUri', 'must not have a fragment', 'Remove the #fragment.');
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    fail('redirectUri', 'must use http: or https:', 'Pass your https:// callback URL.');
  return url.href;
}

function resolveSecrets(value: unknown): readonly string[] {
  if (value === undefined) {
    fail(
      'secret',
      'is required',
      'Pass a random string of at least 32 characters, e.g. secret: process.env.MAGIC_LINK_SECRET (generate one with `openssl rand -base64 32`).',
    );
  }
  const list: unknown[] = Array.isArray(value) ? value : [value];
  if (list.length === 0)
    fail('secret', 'must not be an empty array', 'Pass at least one secret; put the newest first.');
  for (const s of list) {
    if (typeof s !== 'string')
      fail(
        'secret',
        'must be a string or an array of strings',
        'Pass e.g. secret: process.env.MAGIC_LINK_SECRET.',
      );
    if (s.length < MIN_SECRET_LENGTH) {
      fail(
        'secret',
        `must be at least ${MIN_SECRET_LENGTH} characters (got ${s.length})`,
        'Generate one with `openssl rand -base64 32`.',
      );
    }
  }
  return list as string[];
}

function resolveDelivery(
  value: unknown,
  provider: Provider,
  capabilities: ResolvedCapabilities,
  template: EmailTemplate,
  branding: Branding,
): 'provider' | SendEmail {
  if (value === undefined) {
    if (capabilities.sendsOwnEmail) return 'provider';
    fail(
      'delivery',
      `is required with the ${provider.name} provider`,
      "Pass a mailer, e.g. delivery: smtpMailer({ transport: process.env.SMTP_URL, from: 'no-reply@example.com' }), or a function that sends the email.",
    );
  }
  // 'workos' is the spelling from before providers declared capabilities; both mean the same.
  if (value === 'provider' || value === 'workos') {
    if (!capabilities.sendsOwnEmail)
      fail(
        'delivery',
        `${JSON.stringify(value)} only works with workosProvider() or another provider that sends its own email (provider is ${provider.name})`,
        'Pass a mailer or a function instead.',
      );
    return 'provider';
  }
  if (typeof value === 'function') return value as SendEmail;
  if (value && typeof value === 'object' && typeof (value as Mailer).send === 'function') {
    const mailer = value as Mailer;
    return async ({ to, link, code, expiresAt }) => {
      const message = template({ to, link, code, expiresAt, now: new Date(), branding });
      await mailer.send({ to, ...message });
    };
  }
  return fail(
    'delivery',
    "must be 'provider', a Mailer (an object with send()), or a function",
    'Pass e.g. delivery: smtpMailer({...}).',
  );
}

function resolveRateLimiter(options: MagicLinkOptions, store: Store): RateLimiter | null {
  if (options.dangerouslyDisableRateLimit === true) return null;
  if (
    options.dangerouslyDisableRateLimit !== undefined &&
    options.dangerouslyDisableRateLimit !== false
  ) {
    fail(
      'dangerouslyDisableRateLimit',
      'must be a boolean',
      'Pass true (tests only) or leave it out.',
    );
  }
  try {
    return createRateLimiter(store, options.rateLimit ?? {});
  } catch (err) {
    const detail =
      err instanceof Error ? err.message.replace(/^createRateLimiter: /, '') : String(err);
    throw new TypeError(`magicLinkRouter: rateLimit.${detail}`);
  }
}

function defaultOnEvent(event: MagicLinkEvent): void {
  if (event.type === 'provider_error') {
    const cause = event.error instanceof Error ? event.error.message : String(event.error);
    console.error(`[express-magic-link] ${event.reason}: ${cause}`);
  }
}

/** Validate every option once, and fill in every default, so nothing downstream checks again. */
export function resolveOptions(input: unknown): ResolvedOptions {
  if (
    typeof input === 'function' ||
    (input && typeof input === 'object' && 'method' in input && 'headers' in input)
  ) {
    throw new TypeError(
      'magicLinkRouter: it appears you have done something like `app.use(magicLinkRouter)`, but it should be `app.use(magicLinkRouter({ provider, secret }))`.',
    );
  }
  if (!input || typeof input !== 'object') {
    fail('options', 'are required', 'Call magicLinkRouter({ provider, secret, origin }).');
  }
  const options = input as MagicLinkOptions;
  for (const key of Object.keys(options)) {
    if (!KNOWN_OPTIONS.has(key))
      fail(
        key,
        'is not a known option',
        `Check the spelling; known options are: ${[...KNOWN_OPTIONS].join(', ')}.`,
      );
  }
  const provider = options.provider;
  if (
    !provider ||
    typeof provider !== 'object' ||
    typeof provider.start !== 'function' ||
    typeof provider.finish !== 'function'
  ) {
    fail(
      'provider',
      'is required',
      'Pass provider: workosProvider({ workos, clientId }) or provider: selfHostedProvider().',
    );
  }
  const capabilities = capabilitiesOf(provider);
  const secrets = resolveSecrets(options.secret);
  const origin = resolveOrigin(options.origin);
  const basePath = resolvePath(options.basePath, 'basePath', DEFAULT_BASE_PATH).replace(/\/$/, '');
  if (basePath === '') fail('basePath', 'must not be "/"', "Pass a prefix such as '/auth'.");
  // Routes are matched on the path alone, so a prefix with a query or fragment matches nothing.
  if (/[?#]/.test(basePath)) {
    fail(
      'basePath',
      `must be a plain path with no query or fragment (got ${JSON.stringify(basePath)})`,
      "Pass e.g. basePath: '/auth'.",
    );
  }
  const afterSignIn = resolvePath(options.afterSignIn, 'afterSignIn', DEFAULT_AFTER_SIGN_IN);
  const afterSignOut = resolvePath(options.afterSignOut, 'afterSignOut', DEFAULT_AFTER_SIGN_OUT);
  const redirectUri = resolveRedirectUri(options.redirectUri, `${origin}${basePath}/callback`);

  const appName = options.appName ?? new URL(origin).hostname;
  if (
    typeof appName !== 'string' ||
    appName.length === 0 ||
    appName.length > 100 ||
    /[\r\n]/.test(appName)
  ) {
    fail('appName', 'must be a one-line string of 1–100 characters', "Pass e.g. appName: 'Acme'.");
  }
  const branding = validateBranding(
    { ...(options.branding ?? {}), appName },
    'magicLinkRouter: branding',
  );
  checkFunction(options.emailTemplate, 'emailTemplate');
  const template = options.emailTemplate ?? defaultEmailTemplate;

  const crossDevice = options.crossDevice ?? 'confirm';
  if (crossDevice !== 'confirm' && crossDevice !== 'deny')
    fail(
      'crossDevice',
      `must be 'confirm' or 'deny' (got ${JSON.stringify(crossDevice)})`,
      "Pass crossDevice: 'confirm' or 'deny'.",
    );

  const signInPage = options.signInPage ?? 'default';
  if (signInPage !== 'default' && signInPage !== false && typeof signInPage !== 'function') {
    fail(
      'signInPage',
      "must be 'default', false or a function",
      'Pass false to render your own form, or a function (data) => html.',
    );
  }
  checkFunction(options.allow, 'allow');
  checkFunction(options.onSignIn, 'onSignIn');
  checkFunction(options.onEvent, 'onEvent');

  const session = options.session ?? expressSessionAdapter();
  if (
    typeof session.getUser !== 'function' ||
    typeof session.signIn !== 'function' ||
    typeof session.signOut !== 'function'
  ) {
    fail(
      'session',
      'must implement getUser, signIn and signOut',
      'Pass expressSessionAdapter() or your own SessionAdapter.',
    );
  }
  const rawStore = options.store ?? memoryStore();
  for (const method of ['get', 'set', 'take', 'increment', 'delete'] as const) {
    if (typeof (rawStore as unknown as Record<string, unknown>)[method] !== 'function') {
      fail(
        'store',
        `must implement ${method}()`,
        'Pass memoryStore(), redisStore(client) or a Store of your own (see the Store contract).',
      );
    }
  }
  const store = guardStore(rawStore);
  const providerTimeoutMs = options.providerTimeoutMs ?? DEFAULT_PROVIDER_TIMEOUT_MS;
  if (
    !Number.isInteger(providerTimeoutMs) ||
    providerTimeoutMs < 100 ||
    providerTimeoutMs > 120_000
  ) {
    fail(
      'providerTimeoutMs',
      'must be an integer between 100 and 120000',
      'Pass e.g. providerTimeoutMs: 10_000.',
    );
  }

  return {
    provider,
    secrets,
    origin,
    secureCookies: origin.startsWith('https:'),
    delivery: resolveDelivery(options.delivery, provider, capabilities, template, branding),
    capabilities,
    session,
    store,
    crossDevice,
    basePath,
    afterSignIn,
    afterSignOut,
    redirectUri,
    appName,
    signInPage,
    allow: options.allow ?? (() => true),
    onSignIn: options.onSignIn ?? ((profile) => profile),
    onEvent: options.onEvent ?? defaultOnEvent,
    rateLimiter: resolveRateLimiter(options, store),
    providerTimeoutMs,
  };
}
