import fc from 'fast-check';
import { MAX_RETURN_TO_LENGTH, safeReturnTo } from '../../lib/flow/return-to';
import { R1_PAYLOADS } from '../helpers/payloads';

const NUM_RUNS = 20_000;
const ORIGIN = 'https://app.example.com';
const OTHER_ORIGIN = 'https://other.test';
const FALLBACK = '/fallback';

function check(input: unknown): string {
  return safeReturnTo(input, ORIGIN, FALLBACK);
}

/** What a browser would do with `Location: <value>` on a page of ORIGIN. */
function browserOrigin(value: string): string {
  return new URL(value, ORIGIN).origin;
}

describe('safeReturnTo keeps same-origin paths', () => {
  it.each([
    ['/', '/'],
    ['/account', '/account'],
    ['/a/b?c=d#e', '/a/b?c=d#e'],
    ['/account?x=1', '/account?x=1'],
    ['/search?q=a%20b&next=%2Fhome', '/search?q=a%20b&next=%2Fhome'],
    ['/a?x=//evil.com', '/a?x=//evil.com'],
    ['/a#//evil.com', '/a#//evil.com'],
    ['/a//b', '/a//b'],
    ['/caf%C3%A9', '/caf%C3%A9'],
    ['/a/./b/../c', '/a/c'],
    // An empty query or fragment is dropped by the parser; it means nothing to a browser.
    ['/a?', '/a'],
    ['/a#', '/a'],
    // Double-encoded: the path really is `%2f`, and nothing downstream decodes twice.
    ['/%252f%252fevil.com', '/%252f%252fevil.com'],
  ])('%j → %j', (input, expected) => {
    expect(check(input)).toBe(expected);
  });

  it('normalises what it returns with the WHATWG parser', () => {
    expect(check('/a"b')).toBe('/a%22b');
    expect(check('/%2e%2e/x')).toBe('/x');
  });

  it('accepts an origin given with a trailing slash', () => {
    expect(safeReturnTo('/account', `${ORIGIN}/`, FALLBACK)).toBe('/account');
  });
});

describe('safeReturnTo refuses open redirects (threat model R1)', () => {
  it.each([
    ...R1_PAYLOADS,
    // A leading tab or newline, which browsers strip.
    '\t//evil.com',
    '\n//evil.com',
    '\r\n//evil.com',
    '\t/account',
    '\n/account',
    ' /account',
    '/\t/evil.com',
    '/\n/evil.com',
    '/\r/evil.com',
    '/account\u0000',
    '/account\u007f',
    '/account ',
    '/a b',
    // Percent-encoded slashes and backslashes in the path.
    '/%2f%2fevil.com',
    '/%2F%2Fevil.com',
    '/%2f/evil.com',
    '/%5cevil.com',
    '/%5Cevil.com',
    '/%5c%5cevil.com',
    '/a%2fb',
    // Full-width and ideographic look-alikes of '.' and '/'.
    '//evil\u3002com',
    '//evil\uff0ecom',
    '//evil\uff61com',
    '/\uff0fevil.com',
    '/\uff3cevil.com',
    '\uff0f\uff0fevil.com',
    '/account\u3002',
    '/caf\u00e9',
    '/\u2215\u2215evil.com',
    '/\u2044\u2044evil.com',
    // Other schemes and absolute URLs.
    'data:text/html,<script>alert(1)</script>',
    'data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==',
    'vbscript:msgbox(1)',
    'JaVaScRiPt:alert(1)',
    'javascript://%0aalert(1)',
    'https://evil.com',
    'http://app.example.com/ok',
    'https://app.example.com/ok',
    'HTTPS://APP.EXAMPLE.COM/ok',
    'https://app.example.com.evil.com/',
    '///evil.com',
    '////evil.com',
    '/\\\\evil.com',
    'evil.com',
    'account',
    './account',
    '../account',
    '?x=1',
    '#top',
    '',
    // Dot segments that collapse into a protocol-relative path once parsed.
    '/.//evil.com',
    '/./\\evil.com',
    '/a/..//evil.com',
    '/%2e//evil.com',
    '/%2E%2E//evil.com',
    '/a/%2e%2e//evil.com',
    '/././/evil.com',
  ])('%j', (input) => {
    expect(check(input)).toBe(FALLBACK);
  });

  it('refuses non-strings', () => {
    for (const input of [
      undefined,
      null,
      0,
      1,
      true,
      ['/account'],
      { href: '/account' },
      new URL('/a', ORIGIN),
    ]) {
      expect(check(input)).toBe(FALLBACK);
    }
  });

  it('caps the length', () => {
    const longest = `/${'a'.repeat(MAX_RETURN_TO_LENGTH - 1)}`;
    expect(check(longest)).toBe(longest);
    expect(check(`${longest}a`)).toBe(FALLBACK);
    expect(check(`/?q=${'a'.repeat(1_000_000)}`)).toBe(FALLBACK);
  });
});

describe('safeReturnTo refuses a bad origin at the call site', () => {
  it.each([
    '',
    'app.example.com',
    '/relative',
    'javascript:alert(1)',
    'file:///etc/passwd',
    'data:,x',
  ])('%j throws a TypeError that says the fix', (origin) => {
    expect(() => safeReturnTo('/account', origin, FALLBACK)).toThrow(
      /^safeReturnTo: origin .* is not an absolute http\(s\) URL\. Pass the configured app origin/,
    );
  });
});

const PIECES = [
  '/',
  '//',
  '\\',
  '.',
  '..',
  './',
  '../',
  '%2e',
  '%2E',
  '%2f',
  '%2F',
  '%5c',
  '%5C',
  '%25',
  '%0a',
  '%09',
  '%00',
  '\t',
  '\n',
  '\r',
  ' ',
  '\u0000',
  '\u007f',
  '\u00a0',
  '\u2028',
  '\u3002',
  '\uff0e',
  '\uff61',
  '\uff0f',
  '\uff3c',
  '\u2215',
  '@',
  ':',
  '?',
  '#',
  '&',
  '=',
  'evil.com',
  'app.example.com',
  'https:',
  'http:',
  'javascript:',
  'data:',
  'vbscript:',
  'file:',
  'a',
  'account',
  '"',
  "'",
  '<',
  '>',
  '`',
  '{',
  '}',
  '|',
  '^',
  '~',
  '[',
  ']',
];

const pieceStringArb = fc
  .array(fc.constantFrom(...PIECES), { maxLength: 12 })
  .map((p) => p.join(''));
const slashLedArb = pieceStringArb.map((s) => `/${s}`);
const anyInputArb: fc.Arbitrary<unknown> = fc.oneof(
  pieceStringArb,
  slashLedArb,
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.string({ unit: 'binary-ascii', maxLength: 200 }),
  fc.webUrl({ withQueryParameters: true, withFragments: true }),
  fc.webPath(),
  fc.anything(),
);

describe('safeReturnTo properties', () => {
  it('returns the fallback or a path that stays on the origin under any base', () => {
    fc.assert(
      fc.property(anyInputArb, (input) => {
        const result = check(input);
        if (result === FALLBACK) return;
        expect(result.startsWith('/')).toBe(true);
        expect(result.startsWith('//')).toBe(false);
        expect(result).not.toContain('\\');
        expect(result).toMatch(/^[\x21-\x7e]+$/);
        expect(result.length).toBeLessThanOrEqual(MAX_RETURN_TO_LENGTH * 3);
        expect(browserOrigin(result)).toBe(ORIGIN);
        // Resolving against another origin proves it is a path, not an absolute URL.
        expect(new URL(result, OTHER_ORIGIN).origin).toBe(OTHER_ORIGIN);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('is idempotent: a returned path comes back unchanged', () => {
    fc.assert(
      fc.property(fc.oneof(slashLedArb, fc.webPath()), (input) => {
        const result = check(input);
        fc.pre(result !== FALLBACK);
        expect(check(result)).toBe(result);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('keeps plain paths, queries and fragments exactly', () => {
    const segmentArb = fc.string({
      unit: fc.constantFrom(...'abcXYZ019-_~'),
      minLength: 1,
      maxLength: 8,
    });
    const wordArb = fc.string({
      unit: fc.constantFrom(...'abcXYZ019-_~=&/?'),
      minLength: 1,
      maxLength: 12,
    });
    fc.assert(
      fc.property(
        fc.array(segmentArb, { maxLength: 5 }),
        fc.option(wordArb, { nil: undefined }),
        fc.option(wordArb, { nil: undefined }),
        (segments, query, fragment) => {
          const input =
            `/${segments.join('/')}` +
            (query === undefined ? '' : `?${query}`) +
            (fragment === undefined ? '' : `#${fragment}`);
          expect(check(input)).toBe(input);
        },
      ),
      { numRuns: NUM_RUNS },
    );
  });

  it('never leaves the origin whatever `/`-led input follows it', () => {
    fc.assert(
      fc.property(slashLedArb, (input) => {
        const result = check(input);
        expect(browserOrigin(result)).toBe(ORIGIN);
        expect(new URL(result, OTHER_ORIGIN).origin).toBe(OTHER_ORIGIN);
      }),
      { numRuns: NUM_RUNS },
    );
  });
});
