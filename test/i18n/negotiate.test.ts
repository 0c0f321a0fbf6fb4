import {
  LOCALES,
  MAX_ACCEPT_LANGUAGE_LENGTH,
  matchLocale,
  negotiateLocale,
  parseAcceptLanguage,
} from '../../lib/i18n/index';

const ALL = [...LOCALES];

describe('negotiateLocale: Accept-Language against the shipped locales', () => {
  it.each([
    // What clients send by default: supertest and fetch send none, Chromium sends en-US.
    [undefined, 'en'],
    ['', 'en'],
    ['en-US,en;q=0.9', 'en'],
    ['fr', 'fr'],
    ['FR', 'fr'],
    ['fr-CA', 'fr'],
    ['fr-CH, fr;q=0.9, en;q=0.8, de;q=0.7, *;q=0.5', 'fr'],
    ['de-AT', 'de'],
    ['es-MX,es;q=0.9', 'es'],
    ['es-419', 'es'],
    ['it-CH', 'it'],
    ['pt', 'pt-BR'],
    ['pt-PT', 'pt-BR'],
    ['pt-br', 'pt-BR'],
    ['nl-BE', 'nl'],
    ['pl-PL', 'pl'],
    ['sv-FI', 'sv'],
    ['ja-JP', 'ja'],
    ['zh', 'zh-CN'],
    ['zh-Hans', 'zh-CN'],
    ['zh-SG', 'zh-CN'],
    ['zh-Hans-CN', 'zh-CN'],
    ['ar', 'ar'],
    ['ar-EG', 'ar'],
    ['ar-SA,ar;q=0.9', 'ar'],
    // Traditional Chinese is not Simplified: English, unless the visitor also accepts zh.
    ['zh-TW', 'en'],
    ['zh-Hant', 'en'],
    ['zh-HK,zh;q=0.8', 'zh-CN'],
    // Weights, not order, decide; equal weights keep the order.
    ['en;q=0.5, fr', 'fr'],
    ['de;q=0.8, ja;q=0.9', 'ja'],
    ['sv, nl', 'sv'],
    ['ko, nl;q=0.2', 'nl'],
    ['ko', 'en'],
    ['tlh', 'en'],
    // q=0 means "not this one", even through *.
    ['fr;q=0', 'en'],
    ['fr;q=0, de', 'de'],
    ['en;q=0, *', 'es'],
    ['*', 'en'],
    ['*;q=0', 'en'],
    // Malformed entries are skipped, never thrown on.
    ['fr;q=2', 'en'],
    ['fr;q=abc, de', 'de'],
    ['fr;q=0.5555, it', 'it'],
    ['fr;;;q=1', 'fr'],
    [';q=1, ,,,fr', 'fr'],
    ['français', 'en'],
    ['fr_FR', 'en'],
    ['12-34', 'en'],
    ['a-toolongsubtag1', 'en'],
    ['<script>', 'en'],
    ['\u0000\u00ff', 'en'],
    ['q=1', 'en'],
    ['en-US-x-private, de', 'en'],
    ['i-klingon, it', 'it'],
  ] as const)('%p → %p', (header, expected) => {
    expect(negotiateLocale(header, ALL, 'en')).toBe(expected);
  });

  it.each([[42], [null], [['fr', 'de']], [{ toString: () => 'fr' }]])(
    'a header that is not a string (%p) gives the fallback',
    (header) => {
      expect(negotiateLocale(header, ALL, 'en')).toBe('en');
    },
  );

  it('negotiates among the allowed locales only, and falls back to the given fallback', () => {
    expect(negotiateLocale('fr, de;q=0.5', ['en', 'de'], 'en')).toBe('de');
    expect(negotiateLocale('ja', ['de', 'fr'], 'de')).toBe('de');
    expect(negotiateLocale('pt-PT', ['en', 'es'], 'en')).toBe('en');
  });

  it('reads at most 256 characters: an entry past them is not seen', () => {
    const padding = Array.from({ length: 10 }, () => 'abcdefgh-abcdefgh').join(', ');
    expect(padding.length).toBeLessThan(MAX_ACCEPT_LANGUAGE_LENGTH);
    expect(negotiateLocale(`${padding}, fr`, ALL, 'en')).toBe('fr');
    const long = `${'x'.repeat(MAX_ACCEPT_LANGUAGE_LENGTH)}, fr`;
    expect(negotiateLocale(long, ALL, 'en')).toBe('en');
    // The entry the cut goes through is dropped, not read as a shorter tag.
    const cut = `${'k'.repeat(MAX_ACCEPT_LANGUAGE_LENGTH - 10)},de,frxxxxxxx`;
    expect(negotiateLocale(cut, ALL, 'en')).toBe('de');
  });

  it('reads at most 20 entries', () => {
    const twenty = Array.from({ length: 20 }, () => 'ko').join(',');
    expect(negotiateLocale(`${twenty},fr`, ALL, 'en')).toBe('en');
    const nineteen = Array.from({ length: 19 }, () => 'ko').join(',');
    expect(negotiateLocale(`${nineteen},fr`, ALL, 'en')).toBe('fr');
  });

  it('a huge or hostile header is answered quickly and without throwing', () => {
    const headers = [
      'fr-'.repeat(100_000),
      ','.repeat(1_000_000),
      `${'a'.repeat(8)}-`.repeat(50_000),
      ';q='.repeat(100_000),
    ];
    for (const header of headers) expect(negotiateLocale(header, ALL, 'en')).toBe('en');
    // Bounded work: the parser never looks past the cap, whatever the header's size.
    expect(parseAcceptLanguage(`fr,${'x'.repeat(5_000_000)}`)).toEqual([{ tag: 'fr', q: 1 }]);
  });
});

describe('parseAcceptLanguage', () => {
  it('gives the ranges by weight, stable for equal weights', () => {
    expect(parseAcceptLanguage('da, en-GB;q=0.8, en;q=0.7, fr;q=0.8')).toEqual([
      { tag: 'da', q: 1 },
      { tag: 'en-GB', q: 0.8 },
      { tag: 'fr', q: 0.8 },
      { tag: 'en', q: 0.7 },
    ]);
  });

  it('keeps q=0 ranges (they refuse a language) and skips malformed ones', () => {
    expect(parseAcceptLanguage('fr;q=0, de;q=1.0, it;q=1.5, es;Q=0.3')).toEqual([
      { tag: 'de', q: 1 },
      { tag: 'es', q: 0.3 },
      { tag: 'fr', q: 0 },
    ]);
  });
});

describe('matchLocale', () => {
  it.each([
    ['pt-PT', 'pt-BR'],
    ['fr-CA', 'fr'],
    ['zh-SG', 'zh-CN'],
    ['zh-Hans', 'zh-CN'],
    ['zh-TW', null],
    ['sr', null],
  ])('%p → %p', (range, expected) => {
    expect(matchLocale(range, ALL)).toBe(expected);
  });
});
