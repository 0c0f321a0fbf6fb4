import { escapeHtml, Html } from '../html';
import { CATALOGUES, LOCALES, isLocale } from './catalogues';
import type { Locale } from './catalogues';
import { en } from './locales/en';
import type { MessageKey, Messages } from './locales/en';

export { CATALOGUES, LOCALES, isLocale };
export type { Locale, MessageKey, Messages };

/** One locale's strings, ready to render: its tag, its direction and its (overridden) messages. */
export interface Translation {
  locale: string;
  dir: 'ltr' | 'rtl';
  messages: Readonly<Messages>;
}

const RTL_LANGUAGES: ReadonlySet<string> = new Set(['ar', 'fa', 'he', 'ur']);

export function dirOf(locale: string): 'ltr' | 'rtl' {
  return RTL_LANGUAGES.has(locale.split('-', 1)[0]!.toLowerCase()) ? 'rtl' : 'ltr';
}

export function translationOf(locale: Locale, overrides?: Partial<Messages>): Translation {
  return {
    locale,
    dir: dirOf(locale),
    messages: overrides ? { ...CATALOGUES[locale], ...overrides } : CATALOGUES[locale],
  };
}

/** English, as shipped: what every page shows when nobody chose a language. */
export const ENGLISH: Translation = translationOf('en');

/** A shipped locale's translation, or English for anything else. */
export function shippedTranslation(locale: unknown): Translation {
  return isLocale(locale) ? translationOf(locale) : ENGLISH;
}

const PLACEHOLDER = /\{([A-Za-z]+)\}/g;

/** The `{name}` placeholders of a message, sorted. */
export function placeholdersOf(message: string): string[] {
  return [...new Set([...message.matchAll(PLACEHOLDER)].map((m) => m[1]!))].sort();
}

/**
 * A message as plain text, its placeholders filled in. Unknown placeholders stay as they are.
 *
 * @example
 * format('Sign in to {appName}', { appName: 'Acme' }); // 'Sign in to Acme'
 */
export function format(message: string, values: Readonly<Record<string, string>> = {}): string {
  return message.replace(PLACEHOLDER, (whole, name: string) =>
    Object.hasOwn(values, name) ? values[name]! : whole,
  );
}

/**
 * A message as HTML: the message's own text is escaped like any value, strings are escaped,
 * and `Html` values (a link, a `<strong>`) go in as they are.
 */
export function formatHtml(
  message: string,
  values: Readonly<Record<string, string | Html>> = {},
): Html {
  let out = '';
  let last = 0;
  for (const match of message.matchAll(PLACEHOLDER)) {
    const name = match[1]!;
    if (!Object.hasOwn(values, name)) continue;
    out += escapeHtml(message.slice(last, match.index));
    const value = values[name]!;
    out += value instanceof Html ? value.value : escapeHtml(value);
    last = match.index + match[0].length;
  }
  return new Html(out + escapeHtml(message.slice(last)));
}

// ---------------------------------------------------------------------------------------------
// Accept-Language negotiation (RFC 9110 §12.5.4, RFC 4647 lookup with a same-script fallback).

/** Longer headers are cut here: nobody needs more, and parsing stays bounded. */
export const MAX_ACCEPT_LANGUAGE_LENGTH = 256;
/** At most this many ranges are looked at. */
export const MAX_ACCEPT_LANGUAGE_ENTRIES = 20;

const RANGE = /^(?:\*|[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*)$/;
const QVALUE = /^(?:0(?:\.[0-9]{0,3})?|1(?:\.0{0,3})?)$/;

interface Range {
  tag: string;
  q: number;
}

/** The ranges of an `Accept-Language` header, best first; malformed entries are skipped. */
export function parseAcceptLanguage(header: unknown): Range[] {
  if (typeof header !== 'string' || header === '') return [];
  let text = header;
  if (text.length > MAX_ACCEPT_LANGUAGE_LENGTH) {
    // Cut, and drop the entry the cut went through.
    text = text.slice(0, MAX_ACCEPT_LANGUAGE_LENGTH);
    const comma = text.lastIndexOf(',');
    text = comma === -1 ? '' : text.slice(0, comma);
  }
  const ranges: Range[] = [];
  for (const entry of text.split(',', MAX_ACCEPT_LANGUAGE_ENTRIES)) {
    const [rawTag, ...params] = entry.split(';');
    const tag = (rawTag ?? '').trim();
    if (!RANGE.test(tag)) continue;
    let q = 1;
    let valid = true;
    for (const param of params) {
      const [name, value] = param.split('=').map((s) => s.trim());
      if (name?.toLowerCase() !== 'q') continue;
      if (value === undefined || !QVALUE.test(value)) valid = false;
      else q = Number(value);
    }
    if (valid) ranges.push({ tag, q });
  }
  // Array#sort is stable: equal weights keep the header's order.
  return ranges.sort((a, b) => b.q - a.q);
}

/** A tag's likely script and region (`pt` → Latn, BR), or `null` when Intl refuses the tag. */
function likely(tag: string): { script?: string; region?: string } | null {
  try {
    const max = new Intl.Locale(tag).maximize();
    return { script: max.script, region: max.region };
  } catch {
    return null;
  }
}

/**
 * The available locale a language range picks: the same tag, else one of the same language
 * written in the same script (`pt-PT` → `pt-BR`, `fr-CA` → `fr`, `zh-SG` and `zh-Hans` →
 * `zh-CN`; `zh-TW` is Traditional, so not `zh-CN`), preferring the same region.
 */
export function matchLocale(range: string, available: readonly string[]): string | null {
  const lower = range.toLowerCase();
  const exact = available.find((tag) => tag.toLowerCase() === lower);
  if (exact) return exact;
  const language = lower.split('-', 1)[0];
  const sameLanguage = available.filter((tag) => tag.toLowerCase().split('-', 1)[0] === language);
  if (sameLanguage.length === 0) return null;
  const wanted = likely(range);
  if (wanted === null) return null;
  const sameScript = sameLanguage.filter((tag) => likely(tag)?.script === wanted.script);
  return (
    sameScript.find(
      (tag) => wanted.region !== undefined && likely(tag)?.region === wanted.region,
    ) ??
    sameScript[0] ??
    null
  );
}

/**
 * Picks one of `available` for an `Accept-Language` header. Never throws: a missing, malformed
 * or oversized header, or one that matches nothing, gives `fallback`. Ranges with `q=0` are
 * never chosen, not even through `*`.
 *
 * @example
 * negotiateLocale('pt-PT,pt;q=0.9,en;q=0.5', ['en', 'pt-BR'], 'en'); // 'pt-BR'
 */
export function negotiateLocale(
  header: unknown,
  available: readonly string[],
  fallback: string,
): string {
  // No header (API clients, most bots): nothing to parse.
  if (header === undefined || header === '') return fallback;
  const ranges = parseAcceptLanguage(header);
  // Refusals apply whatever their place in the header, so they are gathered first.
  const refused = new Set<string>();
  for (const { tag, q } of ranges) {
    if (q !== 0 || tag === '*') continue;
    const exact = available.find((t) => t.toLowerCase() === tag.toLowerCase());
    if (exact) refused.add(exact);
  }
  for (const { tag, q } of ranges) {
    if (q === 0) continue;
    if (tag === '*') {
      const any = [fallback, ...available].find((t) => !refused.has(t));
      if (any) return any;
      continue;
    }
    const match = matchLocale(tag, available);
    if (match !== null && !refused.has(match)) return match;
  }
  return fallback;
}

/** English messages, for code that must not depend on a request (logs, the ERRORS table). */
export const ENGLISH_MESSAGES: Readonly<Messages> = en;

/** Which list type joins "1 hour" and "30 minutes" naturally. */
function listTypeFor(locale: string): 'conjunction' | 'unit' {
  return /^(ja|zh)\b/i.test(locale) ? 'unit' : 'conjunction';
}

/**
 * The time left until `expiresAt`, in words in `locale`, with `Intl` (the same inputs always
 * give the same words: no time zone is involved).
 *
 * @example
 * formatDuration(new Date(15 * 60_000), new Date(0), ENGLISH); // '15 minutes'
 * formatDuration(new Date(90 * 60_000), new Date(0), translationOf('fr')); // '1 heure et 30 minutes'
 */
export function formatDuration(expiresAt: Date, now: Date, t: Translation): string {
  const ms = expiresAt.getTime() - now.getTime();
  if (Number.isNaN(ms)) {
    throw new TypeError(
      'defaultEmailTemplate: expiresAt and now must be valid Dates. Fix: pass Date objects.',
    );
  }
  if (ms < 60_000) return t.messages.expiresLessThanMinute;
  const unit = (n: number, name: 'minute' | 'hour' | 'day') =>
    new Intl.NumberFormat(t.locale, { style: 'unit', unit: name, unitDisplay: 'long' }).format(n);
  const minutes = Math.round(ms / 60_000);
  if (minutes < 60) return unit(minutes, 'minute');
  if (minutes < 48 * 60) {
    const hours = Math.floor(minutes / 60);
    const rest = minutes % 60;
    if (rest === 0) return unit(hours, 'hour');
    return new Intl.ListFormat(t.locale, { type: listTypeFor(t.locale) }).format([
      unit(hours, 'hour'),
      unit(rest, 'minute'),
    ]);
  }
  return unit(Math.round(minutes / (24 * 60)), 'day');
}
