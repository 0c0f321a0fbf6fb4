import { createRateLimiter } from './flow/rate-limit';
import type { RateLimiter } from './flow/rate-limit';
import { resolveLanguages } from './i18n/resolve';
import type { Languages } from './i18n/resolve';
import { defaultEmailTemplate, renderDefaultEmail, validateBranding } from './mail/templates';
import type { Branding, EmailTemplate } from './mail/templates';
import type { Mailer } from './mail/mailer';
import {
  checkFunction,
  fail,
  resolveHumanCheck,
  resolveOrigin,
  resolvePath,
  resolveRedirectUri,
  resolveSecrets,
} from './option-checks';
import {
  DEFAULT_AFTER_SIGN_IN,
  DEFAULT_AFTER_SIGN_OUT,
  DEFAULT_BASE_PATH,
  DEFAULT_PROVIDER_TIMEOUT_MS,
} from './options';
import type { MagicLinkEvent, MagicLinkOptions, ResolvedOptions, SendEmail } from './options';
import { capabilitiesOf } from './providers/provider';
import type { Provider, ResolvedCapabilities } from './providers/provider';
import { expressSessionAdapter } from './sessions/express-session';
import type { SessionAdapter } from './sessions/adapter';
import { resolvePasskeys } from './passkeys/options';
import { guardStore } from './stores/guard';
import { memoryStore } from './stores/memory';
import type { Store } from './stores/store';
import { instrumentationFor } from './telemetry/open-telemetry';

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
  'verifyHuman',
  'humanCheckWidget',
  'locale',
  'locales',
  'messages',
  'telemetry',
  'passkeys',
]);

function resolveDelivery(
  value: unknown,
  provider: Provider,
  capabilities: ResolvedCapabilities,
  template: EmailTemplate,
  branding: Branding,
  languages: Languages,
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
    return async ({ to, link, code, expiresAt, locale }) => {
      const t = languages.get(locale);
      const data = { to, link, code, expiresAt, now: new Date(), branding, locale: t.locale };
      // The default template also gets the app's `messages` overrides.
      const message =
        template === defaultEmailTemplate ? renderDefaultEmail(data, t) : template(data);
      await mailer.send({ to, ...message, expiresAt });
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

/** The first of `methods` that `value` does not have as a function, or `null`. */
function missingMethod(value: unknown, methods: readonly string[]): string | null {
  if (!value) return methods[0] ?? null;
  const record = value as Record<string, unknown>;
  return methods.find((method) => typeof record[method] !== 'function') ?? null;
}

/** The session adapter and the store: the two contracts an app may bring its own of. */
function resolveStorage(options: MagicLinkOptions): { session: SessionAdapter; store: Store } {
  const session = options.session ?? expressSessionAdapter();
  if (missingMethod(session, ['getUser', 'signIn', 'signOut']) !== null) {
    fail(
      'session',
      'must implement getUser, signIn and signOut',
      'Pass expressSessionAdapter() or your own SessionAdapter.',
    );
  }
  const rawStore = options.store ?? memoryStore();
  const missing = missingMethod(rawStore, ['get', 'set', 'take', 'increment', 'delete']);
  if (missing !== null) {
    fail(
      'store',
      `must implement ${missing}()`,
      'Pass memoryStore(), redisStore(client) or a Store of your own (see the Store contract).',
    );
  }
  const store = guardStore(rawStore);
  return { session, store };
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
  if (typeof provider !== 'object' || missingMethod(provider, ['start', 'finish']) !== null) {
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

  const crossDevice = options.crossDevice ?? 'relay';
  if (crossDevice !== 'relay' && crossDevice !== 'confirm' && crossDevice !== 'deny')
    fail(
      'crossDevice',
      `must be 'relay', 'confirm' or 'deny' (got ${JSON.stringify(crossDevice)})`,
      "Pass crossDevice: 'relay' (the default), 'confirm' or 'deny'.",
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

  const languages = resolveLanguages(options);
  // Decided once: absent, every decorator below is the identity.
  const instrumentation = instrumentationFor(options.telemetry, {
    provider: provider.name,
    crossDevice,
  });
  const storage = resolveStorage(options);
  const session = storage.session;
  const store = instrumentation.store(storage.store);
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

  const delivery = resolveDelivery(
    options.delivery,
    provider,
    capabilities,
    template,
    branding,
    languages,
  );
  const rateLimiter = resolveRateLimiter(options, store);
  const humanCheck = resolveHumanCheck(
    options.verifyHuman,
    options.humanCheckWidget,
    options.signInPage,
  );

  return {
    provider,
    secrets,
    origin,
    secureCookies: origin.startsWith('https:'),
    delivery: delivery === 'provider' ? delivery : instrumentation.delivery(delivery),
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
    onEvent: instrumentation.events(options.onEvent ?? defaultOnEvent),
    rateLimiter,
    providerTimeoutMs,
    verifyHuman: humanCheck.verifyHuman && instrumentation.human(humanCheck.verifyHuman),
    humanCheckWidget: humanCheck.humanCheckWidget,
    languages,
    instrumentation,
    passkeys: resolvePasskeys(options.passkeys, origin, appName),
  };
}
