import { escapeHtml } from '../html';
import { format, formatDuration, shippedTranslation } from '../i18n/index';
import type { Translation } from '../i18n/index';

export { escapeHtml };

/** How the default email looks. Validate it once with {@link validateBranding}. */
export interface Branding {
  /** Shown in the subject, the heading and the button. One line, at most 100 characters. */
  appName: string;
  /**
   * The button and link colour, `#rgb` or `#rrggbb`.
   *
   * @default DEFAULT_PRIMARY_COLOR ('#2563eb')
   */
  primaryColor?: string;
  /**
   * An `https:` URL of a logo, shown above the heading. The only remote image the email may carry.
   *
   * @default undefined (no logo)
   */
  logoUrl?: string;
}

/** Everything a template needs; nothing else (no request, no provider) reaches it. */
export interface EmailTemplateData {
  /** The recipient, already validated. */
  to: string;
  /** The absolute `http:`/`https:` sign-in link. */
  link: string;
  /** The 6-digit one-time code, or `null` when the provider has none. */
  code: string | null;
  expiresAt: Date;
  /** The time the email is composed; the expiry is shown relative to it. */
  now: Date;
  branding: Branding;
  /**
   * The language of the browser that asked for the link, a BCP 47 tag such as `'fr'` or
   * `'pt-BR'` (see the `locale` option). The default template writes in it.
   *
   * @default 'en'
   */
  locale?: string;
}

/**
 * A pure function from the data to the three parts of an email. `text` and `html` must say the
 * same thing, and `html` must escape every value it interpolates.
 */
export type EmailTemplate = (data: EmailTemplateData) => {
  subject: string;
  text: string;
  html: string;
};

/** The button colour when `branding.primaryColor` is not set. */
export const DEFAULT_PRIMARY_COLOR = '#2563eb';

/** The longest `branding.appName` accepted; it goes into the subject line. */
export const MAX_APP_NAME_LENGTH = 100;

const BRANDING_KEYS: ReadonlySet<string> = new Set(['appName', 'primaryColor', 'logoUrl']);
const HEX_COLOR = /^#(?:[0-9a-f]{3}|[0-9a-f]{6})$/i;
const CODE = /^[0-9]{6}$/;
// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
// eslint-disable-next-line no-control-regex
const CONTROL_CHARS_GLOBAL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g;
const URL_UNSAFE_CHARS = /[\s\u0000-\u001f\u007f-\u009f]/; // eslint-disable-line no-control-regex

function describe(value: unknown): string {
  if (typeof value === 'string') {
    return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
  }
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${String(value)}`;
}

/**
 * Checks `branding` once, when the router is built, and fills in the defaults. Unknown keys are
 * refused so that a typo such as `primaryColour` is not silently ignored.
 *
 * @param optionName How the caller names the option in errors, e.g. `'magicLinkRouter: branding'`.
 * @throws TypeError `<optionName>.<field> must be …. Fix: ….`
 * @example
 * const branding = validateBranding({ appName: 'Acme', primaryColor: '#0a7' }, 'magicLinkRouter: branding');
 * // { appName: 'Acme', primaryColor: '#0a7' }
 */
export function validateBranding(b: unknown, optionName: string): Branding {
  if (typeof b !== 'object' || b === null || Array.isArray(b)) {
    throw new TypeError(
      `${optionName} must be an object like { appName: 'Acme' }; got ${describe(b)}. Fix: pass { appName, primaryColor?, logoUrl? }.`,
    );
  }
  const input = b as Record<string, unknown>;
  for (const key of Object.keys(input)) {
    if (!BRANDING_KEYS.has(key)) {
      throw new TypeError(
        `${optionName}.${key} is not a branding option. Fix: use only appName, primaryColor and logoUrl.`,
      );
    }
  }

  const { appName, primaryColor, logoUrl } = input;
  if (typeof appName !== 'string' || appName.trim() === '') {
    throw new TypeError(
      `${optionName}.appName must be a non-empty string; got ${describe(appName)}. Fix: set it to your app's name, e.g. 'Acme'.`,
    );
  }
  if (CONTROL_CHARS.test(appName) || appName.length > MAX_APP_NAME_LENGTH) {
    throw new TypeError(
      `${optionName}.appName must be one line of at most ${MAX_APP_NAME_LENGTH} characters with no control characters. Fix: shorten it and remove line breaks.`,
    );
  }

  let color = DEFAULT_PRIMARY_COLOR;
  if (primaryColor !== undefined) {
    if (typeof primaryColor !== 'string' || !HEX_COLOR.test(primaryColor)) {
      throw new TypeError(
        `${optionName}.primaryColor must be a hex colour like '#2563eb' or '#26e'; got ${describe(primaryColor)}. Fix: use #rgb or #rrggbb (names and rgb() are not accepted).`,
      );
    }
    color = primaryColor.toLowerCase();
  }

  const result: Branding = { appName: appName.trim(), primaryColor: color };
  if (logoUrl !== undefined) {
    const url = typeof logoUrl === 'string' ? parseUrl(logoUrl) : null;
    if (url === null || url.protocol !== 'https:') {
      throw new TypeError(
        `${optionName}.logoUrl must be an absolute https: URL; got ${describe(logoUrl)}. Fix: host the logo over HTTPS, or leave logoUrl out (data: and http: images are refused).`,
      );
    }
    result.logoUrl = url.href;
  }
  return result;
}

function parseUrl(value: string): URL | null {
  if (URL_UNSAFE_CHARS.test(value)) return null;
  try {
    return new URL(value);
  } catch {
    return null;
  }
}

function safeLink(link: unknown): string {
  const url = typeof link === 'string' ? parseUrl(link) : null;
  if (url === null || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
    throw new TypeError(
      `defaultEmailTemplate: link must be an absolute http: or https: URL; got ${describe(link)}. Fix: build links from the configured origin.`,
    );
  }
  return url.href;
}

function oneLine(value: string): string {
  return value.replace(CONTROL_CHARS_GLOBAL, ' ').replace(/ {2,}/g, ' ').trim();
}

/**
 * The time left until `expiresAt`, in words, independent of time zone so that the same inputs
 * always give the same email. Words and numbers come from `Intl` in `locale`.
 *
 * @example
 * formatExpiresIn(new Date(15 * 60_000), new Date(0)); // '15 minutes'
 * formatExpiresIn(new Date(15 * 60_000), new Date(0), 'de'); // '15 Minuten'
 */
export function formatExpiresIn(expiresAt: Date, now: Date, locale = 'en'): string {
  return formatDuration(expiresAt, now, shippedTranslation(locale));
}

// White or near-black text, whichever reads better on the brand colour (WCAG relative luminance).
function textColorOn(hex: string): string {
  const full =
    hex.length === 4
      ? hex
          .slice(1)
          .split('')
          .map((c) => c + c)
          .join('')
      : hex.slice(1);
  const [r, g, b] = [0, 2, 4].map((i) => {
    const c = parseInt(full.slice(i, i + 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  }) as [number, number, number];
  const luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b;
  return (luminance + 0.05) / 0.05 > 1.05 / (luminance + 0.05) ? '#111827' : '#ffffff';
}

const FONT =
  'font-family:-apple-system,BlinkMacSystemFont,Segoe UI,Roboto,Helvetica,Arial,sans-serif';
const MONO = 'font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,Liberation Mono,monospace';

/**
 * The email the package sends when the app does not supply its own template: a button and the
 * plain link, the one-time code when there is one, and when the link expires, in the language of
 * `data.locale` (English when it is missing or not shipped; Arabic is laid out right to left).
 * Every value is escaped; links must be `http:`/`https:` or the template throws.
 *
 * @example
 * const { subject, text, html } = defaultEmailTemplate({
 *   to: 'ada@example.com',
 *   link: 'https://app.example.com/auth/callback?code=…&state=…',
 *   code: '123456',
 *   expiresAt: new Date(Date.now() + 15 * 60_000),
 *   now: new Date(),
 *   branding: { appName: 'Acme' },
 *   locale: 'fr', // subject: 'Connexion à Acme'
 * });
 */
export const defaultEmailTemplate: EmailTemplate = function defaultEmailTemplate(data) {
  return renderDefaultEmail(data, shippedTranslation(data.locale));
};

/** The default email in `t`'s language, with the app's `messages` overrides applied. */
export function renderDefaultEmail(
  data: EmailTemplateData,
  t: Translation,
): ReturnType<EmailTemplate> {
  // Stripped rather than refused: a line break in appName must never reach the Subject header,
  // even when the caller skipped validateBranding.
  const given: Partial<Branding> = data.branding ?? {};
  const branding = validateBranding(
    {
      ...given,
      appName:
        typeof given.appName === 'string'
          ? oneLine(given.appName).slice(0, MAX_APP_NAME_LENGTH)
          : given.appName,
    },
    'defaultEmailTemplate: branding',
  );
  const link = safeLink(data.link);
  if (data.code !== null && (typeof data.code !== 'string' || !CODE.test(data.code))) {
    throw new TypeError(
      'defaultEmailTemplate: code must be 6 digits or null. Fix: pass the code the provider returned.',
    );
  }
  const code = data.code;
  const appName = branding.appName;
  const to = oneLine(String(data.to));
  const expiresIn = formatDuration(data.expiresAt, data.now, t);
  const color = branding.primaryColor ?? DEFAULT_PRIMARY_COLOR;
  const m = t.messages;
  // Overridden messages are one line too: a line break must never reach the Subject header.
  const subject = oneLine(format(m.emailSubject, { appName }));
  const button = format(m.emailButton, { appName });
  const ignore = m.emailIgnore;

  const text = [
    subject,
    '',
    format(m.emailIntroText, { appName, expiresIn }),
    '',
    link,
    '',
    ...(code === null ? [] : [m.emailOrCode, '', code, '']),
    ignore,
    '',
    format(m.emailSentTo, { email: to }),
    '',
  ].join('\n');

  const e = escapeHtml;
  const paragraph = 'margin:0 0 16px;font-size:16px;line-height:24px';
  const html = [
    '<!doctype html>',
    `<html lang="${e(t.locale)}" dir="${t.dir}">`,
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${e(subject)}</title>`,
    '</head>',
    `<body style="margin:0;padding:0;background-color:#f4f4f5;color:#111827;${FONT}">`,
    `<div dir="${t.dir}" style="max-width:480px;margin:0 auto;padding:32px 16px">`,
    '<div style="background-color:#ffffff;border-radius:8px;padding:32px 24px">',
    ...(branding.logoUrl === undefined
      ? []
      : [
          `<img src="${e(branding.logoUrl)}" alt="${e(appName)}" height="40" style="display:block;height:40px;width:auto;margin:0 0 24px;border:0">`,
        ]),
    `<h1 style="margin:0 0 16px;font-size:22px;line-height:28px;font-weight:700">${e(subject)}</h1>`,
    `<p style="${paragraph}">${e(format(m.emailIntroHtml, { appName, expiresIn }))}</p>`,
    '<p style="margin:24px 0">',
    `<a href="${e(link)}" style="display:inline-block;background-color:${color};color:${textColorOn(color)};text-decoration:none;font-weight:600;font-size:16px;line-height:24px;padding:12px 24px;border-radius:6px">${e(button)}</a>`,
    '</p>',
    `<p style="margin:0 0 16px;font-size:14px;line-height:20px;color:#4b5563">${e(m.emailOrOpen)}<br><a href="${e(link)}" dir="ltr" style="color:${color};word-break:break-all">${e(link)}</a></p>`,
    ...(code === null
      ? []
      : [
          `<p style="${paragraph}">${e(m.emailOrCode)}</p>`,
          `<p aria-label="${e(format(m.emailCodeLabel, { code: code.split('').join(' ') }))}" style="margin:0 0 24px;${MONO};font-size:32px;line-height:40px;font-weight:700;letter-spacing:6px">${e(code)}</p>`,
        ]),
    `<p style="margin:0 0 16px;font-size:14px;line-height:20px;color:#4b5563">${e(ignore)}</p>`,
    `<p style="margin:0;font-size:12px;line-height:18px;color:#6b7280">${e(format(m.emailSentTo, { email: to }))}</p>`,
    '</div>',
    '</div>',
    '</body>',
    '</html>',
    '',
  ].join('\n');

  return { subject, text, html };
}
