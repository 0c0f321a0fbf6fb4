import type { IncomingMessage } from 'node:http';
import { fail } from '../option-checks';
import { fifoCache } from '../fifo-cache';
import { CATALOGUES, LOCALES, isLocale } from './catalogues';
import type { Locale } from './catalogues';
import { negotiateLocale, placeholdersOf, translationOf } from './index';
import type { Messages, MessageKey, Translation } from './index';

/** How the router picks each request's language, built once from the options. */
export interface Languages {
  /** The locales a visitor may get, in the order given. */
  available: readonly Locale[];
  /** What a request that matches nothing gets: `en` if allowed, else the first allowed. */
  fallback: Locale;
  /** `true` when the answer depends on `Accept-Language` (so responses vary on it). */
  negotiates: boolean;
  /**
   * `true` when `choose` runs the app's `locale` function, which must run once per request;
   * otherwise `choose` is a pure, cheap function of the request's headers.
   */
  callsApp: boolean;
  /** The request's translation. Never throws for a bad header; a throwing `locale` function does. */
  choose(req: IncomingMessage): Translation;
  /** The translation of an allowed locale (overrides applied); the fallback's for any other tag. */
  get(locale: string): Translation;
}

const SHIPPED = `one of ${LOCALES.join(', ')}`;

/** Distinct Accept-Language headers whose answer is remembered, and the longest one kept. */
const REMEMBERED_HEADERS = 200;
const MAX_REMEMBERED_HEADER = 256;

function resolveAllowed(value: unknown): Locale[] {
  if (value === undefined) return [...LOCALES];
  if (!Array.isArray(value) || value.length === 0)
    fail('locales', 'must be a non-empty array of locale tags', `Pass e.g. locales: ['en', 'fr'].`);
  const allowed: Locale[] = [];
  for (const tag of value) {
    if (!isLocale(tag))
      fail(
        'locales',
        `contains ${JSON.stringify(tag)}, which is not a shipped locale`,
        `Use ${SHIPPED} (tags are case-sensitive, e.g. 'pt-BR').`,
      );
    if (!allowed.includes(tag)) allowed.push(tag);
  }
  return allowed;
}

function resolveMessages(
  value: unknown,
  allowed: readonly Locale[],
): Map<Locale, Partial<Messages>> {
  const overrides = new Map<Locale, Partial<Messages>>();
  if (value === undefined) return overrides;
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    fail(
      'messages',
      'must be an object of locale → { key: string }',
      `Pass e.g. messages: { en: { signInSubmit: 'Send me a link' } }.`,
    );
  for (const [tag, strings] of Object.entries(value)) {
    if (!isLocale(tag))
      fail(
        'messages',
        `has the locale ${JSON.stringify(tag)}, which is not shipped`,
        `Use ${SHIPPED}.`,
      );
    if (!allowed.includes(tag))
      fail(
        'messages',
        `has the locale ${JSON.stringify(tag)}, which locales does not allow`,
        `Add it to locales, or remove messages.${tag}.`,
      );
    if (typeof strings !== 'object' || strings === null || Array.isArray(strings))
      fail(
        `messages.${tag}`,
        'must be an object of message key → string',
        `Pass e.g. { signInSubmit: '…' }.`,
      );
    const entries: Partial<Messages> = {};
    for (const [key, text] of Object.entries(strings as Record<string, unknown>)) {
      if (!Object.hasOwn(CATALOGUES.en, key))
        fail(
          `messages.${tag}.${key}`,
          'is not a message key',
          'Check the spelling; the keys are those of the English catalogue (lib/i18n/locales/en.ts).',
        );
      if (typeof text !== 'string' || text.trim() === '')
        fail(`messages.${tag}.${key}`, 'must be a non-empty string', 'Pass the text to show.');
      const expected = placeholdersOf(CATALOGUES.en[key as MessageKey]);
      const unknown = placeholdersOf(text).filter((name) => !expected.includes(name));
      if (unknown.length > 0)
        fail(
          `messages.${tag}.${key}`,
          `uses {${unknown.join('}, {')}}, which this message does not have`,
          expected.length > 0
            ? `Use only ${expected.map((name) => `{${name}}`).join(', ')}.`
            : 'This message takes no placeholders.',
        );
      entries[key as MessageKey] = text;
    }
    overrides.set(tag, entries);
  }
  return overrides;
}

/** Checks `locale`, `locales` and `messages` once, when the router is built. */
export function resolveLanguages(options: {
  locale?: unknown;
  locales?: unknown;
  messages?: unknown;
}): Languages {
  const available = resolveAllowed(options.locales);
  const overrides = resolveMessages(options.messages, available);
  const fallback: Locale = available.includes('en') ? 'en' : available[0]!;
  const translations = new Map<string, Translation>(
    available.map((tag) => [tag, translationOf(tag, overrides.get(tag))]),
  );
  const get = (locale: string): Translation =>
    translations.get(locale) ?? translations.get(fallback)!;

  const { locale } = options;
  if (locale === undefined) {
    // Browsers send one of a handful of Accept-Language headers, the same on every request:
    // each distinct one is parsed once. Bounded in count and length, first in first out.
    const byHeader = fifoCache<string, Translation>(REMEMBERED_HEADERS);
    const fallbackTranslation = get(fallback);
    return {
      available,
      fallback,
      negotiates: true,
      callsApp: false,
      get,
      choose(req) {
        const header = req.headers['accept-language'];
        if (header === undefined || header === '') return fallbackTranslation;
        let t = byHeader.get(header);
        if (t === undefined) {
          t = get(negotiateLocale(header, available, fallback));
          if (header.length <= MAX_REMEMBERED_HEADER) byHeader.set(header, t);
        }
        return t;
      },
    };
  }
  if (typeof locale === 'string') {
    if (!isLocale(locale))
      fail(
        'locale',
        `is ${JSON.stringify(locale)}, which is not a shipped locale`,
        `Use ${SHIPPED}, or a function (req) => tag.`,
      );
    if (!available.includes(locale))
      fail(
        'locale',
        `is ${JSON.stringify(locale)}, which locales does not allow`,
        'Add it to locales.',
      );
    const fixed = get(locale);
    return { available, fallback, negotiates: false, callsApp: false, get, choose: () => fixed };
  }
  if (typeof locale === 'function') {
    const pick = locale as (req: IncomingMessage) => unknown;
    return {
      available,
      fallback,
      // The function may well read Accept-Language; say so to caches.
      negotiates: true,
      callsApp: true,
      get,
      choose(req) {
        const tag = pick(req);
        // A tag that is not exactly an allowed one is matched like a one-entry Accept-Language.
        return get(negotiateLocale(typeof tag === 'string' ? tag : undefined, available, fallback));
      },
    };
  }
  return fail(
    'locale',
    `must be a locale tag or a function (req) => tag, got ${typeof locale}`,
    "Pass e.g. locale: 'fr', or leave it out to follow the browser's Accept-Language.",
  );
}
