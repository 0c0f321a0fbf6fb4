import { CATALOGUES, LOCALES, placeholdersOf } from '../../lib/i18n/index';
import type { MessageKey } from '../../lib/i18n/index';
import { en } from '../../lib/i18n/locales/en';

const KEYS = Object.keys(en).sort() as MessageKey[];
const OTHERS = LOCALES.filter((tag) => tag !== 'en');

/**
 * Messages another locale may leave exactly as in English, because the English is already
 * right there. Kept short on purpose: anything else identical to English is an untranslated
 * string.
 */
const SAME_AS_ENGLISH: ReadonlyArray<readonly [string, MessageKey]> = [];

describe('the locale catalogues', () => {
  it('ships the twelve locales, English first', () => {
    expect(LOCALES).toEqual([
      'en',
      'es',
      'fr',
      'de',
      'it',
      'pt-BR',
      'nl',
      'pl',
      'sv',
      'ja',
      'zh-CN',
      'ar',
    ]);
    expect(Object.keys(CATALOGUES).sort()).toEqual([...LOCALES].sort());
  });

  it.each(LOCALES)('%s has every key of English and no other', (tag) => {
    // The types already demand this (Messages = Record<keyof en, string>); this holds at run time.
    expect(Object.keys(CATALOGUES[tag]).sort()).toEqual(KEYS);
  });

  it.each(LOCALES)('%s has a non-empty, one-line string, with no markup, for every key', (tag) => {
    const bad = KEYS.filter((key) => {
      const text = CATALOGUES[tag][key] as unknown;
      return (
        typeof text !== 'string' ||
        text.trim() === '' ||
        text !== text.trim() ||
        /[\r\n<>]/.test(text)
      );
    });
    expect(bad).toEqual([]);
  });

  it.each(OTHERS)('%s translates every message (none is left in English)', (tag) => {
    const untranslated = KEYS.filter(
      (key) =>
        CATALOGUES[tag][key] === en[key] &&
        !SAME_AS_ENGLISH.some(([t, k]) => t === tag && k === key),
    );
    expect(untranslated).toEqual([]);
  });

  it.each(OTHERS)('%s uses the same {placeholders} as English in every message', (tag) => {
    const mismatched = KEYS.filter(
      (key) => placeholdersOf(CATALOGUES[tag][key]).join() !== placeholdersOf(en[key]).join(),
    ).map((key) => ({
      key,
      english: placeholdersOf(en[key]),
      [tag]: placeholdersOf(CATALOGUES[tag][key]),
    }));
    expect(mismatched).toEqual([]);
  });

  it('placeholdersOf finds each name once, sorted', () => {
    expect(placeholdersOf('{b} and {a}, then {b}')).toEqual(['a', 'b']);
    expect(placeholdersOf('no placeholders')).toEqual([]);
  });

  it('the catalogues are distinct: no locale is a copy of another', () => {
    const seen = new Map<string, string>();
    for (const tag of LOCALES) {
      const body = JSON.stringify(CATALOGUES[tag]);
      expect(seen.get(body)).toBeUndefined();
      seen.set(body, tag);
    }
  });
});
