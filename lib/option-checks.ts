import type { HumanCheckWidget, VerifyHuman } from './human/types';

/** Checks of single options, each throwing a TypeError that names the option and the fix. */

/** A secret must carry at least this many characters (≈ 256 bits of a random base64 string). */
export const MIN_SECRET_LENGTH = 32;

export function fail(option: string, problem: string, fix: string): never {
  throw new TypeError(`magicLinkRouter: ${option} ${problem}. ${fix}`);
}

export function checkFunction(value: unknown, option: string): void {
  if (value !== undefined && typeof value !== 'function') {
    fail(
      option,
      `must be a function, got ${typeof value}`,
      `Pass a function or leave ${option} out.`,
    );
  }
}

export function resolveOrigin(value: unknown): string {
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

export function resolvePath(value: unknown, option: string, fallback: string): string {
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

/**
 * A `secret` option: one string or a rotation list, newest first, each at least
 * {@link MIN_SECRET_LENGTH} characters. `who` throws the error its caller names itself in;
 * `envVar` is the variable its fixes suggest.
 */
export function checkSecretList(
  value: unknown,
  who: (option: string, problem: string, fix: string) => never,
  envVar: string,
  requiredFix: string,
): string[] {
  const generate = 'Generate one with `openssl rand -base64 32`.';
  if (value === undefined) who('secret', 'is required', requiredFix);
  const list: unknown[] = Array.isArray(value) ? value : [value];
  if (list.length === 0)
    who('secret', 'must not be an empty array', 'Pass at least one secret; put the newest first.');
  for (const s of list) {
    if (typeof s !== 'string')
      who(
        'secret',
        'must be a string or an array of strings',
        `Pass e.g. secret: process.env.${envVar}.`,
      );
    if (s.length < MIN_SECRET_LENGTH)
      who('secret', `must be at least ${MIN_SECRET_LENGTH} characters (got ${s.length})`, generate);
  }
  return list as string[];
}

export function resolveSecrets(value: unknown): readonly string[] {
  return checkSecretList(
    value,
    fail,
    'MAGIC_LINK_SECRET',
    'Pass a random string of at least 32 characters, e.g. secret: process.env.MAGIC_LINK_SECRET (generate one with `openssl rand -base64 32`).',
  );
}

/** `verifyHuman` and the widget the default pages show for it, checked together. */
export function resolveHumanCheck(
  verifyHuman: unknown,
  widgetOption: unknown,
  signInPage: unknown,
): { verifyHuman: VerifyHuman | null; humanCheckWidget: HumanCheckWidget | null } {
  if (verifyHuman === undefined) {
    if (widgetOption !== undefined && widgetOption !== false)
      fail(
        'humanCheckWidget',
        'is set but verifyHuman is not, so its token would never be checked',
        'Pass verifyHuman too, e.g. verifyHuman: turnstile({ secret, sitekey }), and leave humanCheckWidget out.',
      );
    return { verifyHuman: null, humanCheckWidget: null };
  }
  if (typeof verifyHuman !== 'function')
    fail(
      'verifyHuman',
      `must be a function, got ${typeof verifyHuman}`,
      'Pass turnstile({ secret, sitekey }), hcaptcha({ secret, sitekey }) or (req, fields) => Promise<boolean>.',
    );
  const widget =
    widgetOption === false
      ? null
      : (widgetOption ?? (verifyHuman as { widget?: unknown }).widget ?? null);
  if (widget !== null) checkWidget(widget);
  if (widget === null && widgetOption !== false && (signInPage ?? 'default') === 'default') {
    fail(
      'verifyHuman',
      'is set, but the default sign-in page has no widget to produce its token, so every request would be refused',
      'Give the adapter your sitekey (turnstile({ secret, sitekey })), pass humanCheckWidget: { scriptSrc, html }, or pass humanCheckWidget: false if your own form supplies the token.',
    );
  }
  return {
    verifyHuman: verifyHuman as VerifyHuman,
    humanCheckWidget: widget as HumanCheckWidget | null,
  };
}

function checkWidget(widget: unknown): void {
  const fix =
    'Pass { scriptSrc: \'https://challenges.cloudflare.com/turnstile/v0/api.js\', html: \'<div class="cf-turnstile" data-sitekey="…"></div>\' }.';
  const w = widget as Partial<HumanCheckWidget> | null;
  if (!w || typeof w !== 'object' || typeof w.scriptSrc !== 'string' || typeof w.html !== 'string')
    fail('humanCheckWidget', 'must be { scriptSrc, html } (two strings) or false', fix);
  let url: URL | null;
  try {
    url = new URL(w.scriptSrc);
  } catch {
    url = null;
  }
  if (url?.protocol !== 'https:')
    fail(
      'humanCheckWidget',
      `scriptSrc must be an https: URL (got ${JSON.stringify(w.scriptSrc.slice(0, 100))})`,
      fix,
    );
  if (/<\/?script/i.test(w.html) || w.html.length > 4096)
    fail(
      'humanCheckWidget',
      'html must be at most 4096 characters of markup with no <script> (the script is scriptSrc)',
      fix,
    );
}
