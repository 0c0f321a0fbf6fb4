import type { IncomingMessage } from 'node:http';
import type { MagicLinkErrorCode } from './errors';
import type { HumanCheckWidget, VerifyHuman } from './human/types';
import type { Locale, Messages } from './i18n/index';
import type { Languages } from './i18n/resolve';
import type { Mailer } from './mail/mailer';
import type { Branding, EmailTemplate } from './mail/templates';
import type { SignInPageData } from './pages/pages';
import type { MagicLinkProfile } from './profile';
import type { Provider, ProviderTokens, ResolvedCapabilities } from './providers/provider';
import type { SignInMethod } from './flow/outcomes';
import type { OpenClassification } from './flow/telemetry';
import type { RateLimiter, RateLimitOptions, RateLimitScope } from './flow/rate-limit';
import type { PasskeyFailure, PasskeyOptions } from './passkeys/store';
import type { ResolvedPasskeys } from './passkeys/options';
import type { SessionAdapter } from './sessions/adapter';
import type { Store } from './stores/store';
import type { Instrumentation } from './telemetry/instrumentation';
import type { Telemetry } from './telemetry/otel-api';

export { MIN_SECRET_LENGTH } from './option-checks';
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
  /**
   * The language of the browser that asked, a BCP 47 tag of a shipped locale (`'en'`, `'fr'`,
   * `'pt-BR'`…): write the email in it.
   */
  locale: string;
}

export type SendEmail = (message: OutgoingLink) => Promise<void>;

/**
 * A setup mistake that would otherwise fail silently, reported once per router with its fix:
 * mounted under a path, a proxy Express does not trust (`trust_proxy_protocol`,
 * `trust_proxy_forwarded_for`), a sign-in whose response set no session cookie or a
 * `SameSite=Strict` one (withheld after a link opened from mail), and, in
 * development, an origin that does not match the requests or refused a form as cross-site.
 */
export type SetupWarningCode =
  | 'mounted_under_path'
  | 'trust_proxy_protocol'
  | 'trust_proxy_forwarded_for'
  | 'session_cookie_not_set'
  | 'session_cookie_strict'
  | 'origin_mismatch'
  | 'cross_site_refused'
  | 'passkeys_ip_origin';

/** Everything the package reports, for logs and metrics. Never carries a token, code or full address. */
export type MagicLinkEvent = { at: Date; ip: string } & (
  | { type: 'link_sent'; email: string }
  /** `allow()` refused the address; the visitor was told the same as for a sent link. */
  | {
      type: 'link_not_sent';
      email: string;
      /** `allow()` refused the address, or the provider refused to sign it in. */
      reason: 'not_allowed' | 'provider_refused';
    }
  | { type: 'sign_in'; userId: string; email: string; method: SignInMethod }
  /**
   * A link was opened (GET or HEAD) by a client without the asking browser's cookie: a
   * scanner, a preview, or the person on another device. `sinceSentMs` is `null` for links
   * sent before this event existed.
   */
  | {
      type: 'link_opened_elsewhere';
      email: string;
      via: 'callback' | 'wrapped';
      classification: OpenClassification;
      sinceSentMs: number | null;
    }
  | { type: 'sign_in_failed'; reason: MagicLinkErrorCode }
  | { type: 'rate_limited'; scope: RateLimitScope }
  /**
   * `verifyHuman` said no: a missing, bad, expired or replayed token (`reason` is the service's
   * error code, e.g. `timeout-or-duplicate`, or `rejected`). No link was sent.
   */
  | { type: 'human_check_failed'; reason: string }
  | { type: 'provider_error'; reason: MagicLinkErrorCode; error: unknown }
  | { type: 'sign_out' }
  /**
   * A setup mistake (see {@link SetupWarningCode}), once per router; `message` names the fix.
   * It also goes to `console.warn`.
   */
  | { type: 'setup_warning'; code: SetupWarningCode; message: string }
  /** A signed-in user added a passkey. */
  | { type: 'passkey_registered'; userId: string }
  /** A signed-in user removed a passkey. */
  | { type: 'passkey_removed'; userId: string }
  /** A passkey ceremony was refused; the visitor saw the same message whatever the reason. */
  | { type: 'passkey_failed'; reason: PasskeyFailure }
  /**
   * A genuine signature whose counter went backwards: two authenticators share one key. The
   * sign-in was refused; consider removing the passkey and telling the user.
   */
  | { type: 'passkey_clone_suspected'; userId: string; passkeyId: string }
);

/** Options for `magicLinkRouter()`. Only `provider` and `secret` are required. */
/** What `onSignIn` learns beside the profile. */
export interface SignInDetails {
  /**
   * `link` (the browser that asked), `confirmed` (another browser, after asking), `code`,
   * `relay` or `passkey`.
   */
  method: SignInMethod;
  /** Tokens the provider issued with this sign-in, or `null` (Magic Link, self-hosted). */
  tokens: ProviderTokens | null;
}

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
   * What a link opened in a browser that did not ask for it (another device, an email
   * scanner) does. `'relay'`: show a 6-digit code to type in the browser that asked; that
   * browser is never signed in. `'confirm'`: show a page whose button signs that browser in.
   * `'deny'`: refuse, and point to the browser that asked.
   * @default 'relay'
   */
  crossDevice?: 'relay' | 'confirm' | 'deny';
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
   * The user needs a string `id`; declare its other fields on `Express.User` and `req.user` has
   * them, e.g. `onSignIn: (p) => ({ id: p.id, email: p.email })` with
   * `interface User { email: string }`. `details` says how the sign-in finished and carries
   * tokens the provider issued with it (WorkOS Magic Auth's access and refresh tokens); they
   * reach this function only.
   * @default the profile as is
   */
  onSignIn?: (
    profile: MagicLinkProfile,
    req: IncomingMessage,
    details: SignInDetails,
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
  /**
   * Bot protection on `POST <basePath>/magic-link` and `/magic-link/resend`, after the
   * same-origin check, the body and the rate limits, before the provider or any email:
   * `turnstile({ secret, sitekey })`, `hcaptcha({ secret, sitekey })` or a function
   * `(req, fields) => Promise<boolean>` (the fields exclude the address and the resend's state). `false`: 400 and no
   * link; a throw or no answer within `providerTimeoutMs`: 503 "try again". @default none
   */
  verifyHuman?: VerifyHuman;
  /**
   * The widget the default sign-in and expired pages show when `verifyHuman` is on (the pages
   * then load its script: see the CSP notes in docs/bot-protection.md). `false`: the app's own form supplies the
   * token. @default `verifyHuman.widget` (set by the adapters when given a `sitekey`)
   */
  humanCheckWidget?: HumanCheckWidget | false;
  /**
   * The language of pages and emails: one shipped locale tag for every request, or a function
   * that picks one per request (a tag it returns that is not allowed is matched like an
   * `Accept-Language` value, then falls back).
   * @default negotiated from the request's `Accept-Language`, among `locales`
   */
  locale?: Locale | ((req: IncomingMessage) => string);
  /**
   * The locales visitors may get. The fallback is `'en'` when listed, else the first.
   * @default every shipped locale: en, es, fr, de, it, pt-BR, nl, pl, sv, ja, zh-CN, ar
   */
  locales?: readonly Locale[];
  /**
   * Replace any message in any allowed locale, e.g. `{ en: { signInSubmit: 'Send me a link' } }`.
   * Keys are those of the English catalogue; an override may use only its message's placeholders.
   */
  messages?: Partial<Record<Locale, Partial<Messages>>>;
  /**
   * OpenTelemetry traces and metrics: `openTelemetry(api)`, with the app's
   * `import * as api from '@opentelemetry/api'`. Without it nothing is instrumented; with it but
   * no SDK registered, the API's no-ops answer. See docs/telemetry.md.
   * @default none
   */
  telemetry?: Telemetry;
  /**
   * Passkeys after email sign-in: `{ store: memoryPasskeyStore() }` in development, your own
   * `PasskeyStore` in production (see docs/passkeys.md).
   * @default off
   */
  passkeys?: PasskeyOptions;
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
  crossDevice: 'relay' | 'confirm' | 'deny';
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
  /** `null` when no human check is on. */
  verifyHuman: VerifyHuman | null;
  /** What the default pages show for the human check; `null` for none. */
  humanCheckWidget: HumanCheckWidget | null;
  languages: Languages;
  /** The telemetry decorators, or the identity when the `telemetry` option is absent. */
  instrumentation: Instrumentation;
  /** `null` when passkeys are off. */
  passkeys: ResolvedPasskeys | null;
}
