import { COOKIE_SLACK_MS, createPendingCookie } from '../../lib/router/pending-cookie';

const NONCE = 'AbCdEfGhIjKlMnOpQrSt_-';
const OTHER = 'zyxwvutsrqponmlkjihg09';
const TTL_MS = 15 * 60 * 1000;

/** The cookie's attributes, lower-cased names, as a map. */
function attributes(setCookie: string): Map<string, string> {
  const [, ...rest] = setCookie.split(';').map((part) => part.trim());
  return new Map(
    rest.map((part) => {
      const eq = part.indexOf('=');
      return eq === -1
        ? [part.toLowerCase(), '']
        : [part.slice(0, eq).toLowerCase(), part.slice(eq + 1)];
    }),
  );
}

describe('createPendingCookie names', () => {
  it('is __Host-mlink when secure', () => {
    expect(createPendingCookie({ secure: true, ttlMs: TTL_MS }).name).toBe('__Host-mlink');
  });

  it('is mlink over plain http', () => {
    expect(createPendingCookie({ secure: false, ttlMs: TTL_MS }).name).toBe('mlink');
  });
});

describe('createPendingCookie set', () => {
  it('secure: __Host- rules (Secure, Path=/, no Domain), HttpOnly, SameSite=Lax', () => {
    const line = createPendingCookie({ secure: true, ttlMs: TTL_MS }).set(NONCE);
    expect(line.startsWith(`__Host-mlink=${NONCE};`)).toBe(true);
    const attrs = attributes(line);
    expect(attrs.has('secure')).toBe(true);
    expect(attrs.get('path')).toBe('/');
    expect(attrs.has('domain')).toBe(false);
    expect(attrs.has('httponly')).toBe(true);
    expect(attrs.get('samesite')).toBe('Lax');
    expect(attrs.has('expires')).toBe(false);
  });

  it('insecure: no Secure attribute, the rest the same', () => {
    const line = createPendingCookie({ secure: false, ttlMs: TTL_MS }).set(NONCE);
    expect(line.startsWith(`mlink=${NONCE};`)).toBe(true);
    const attrs = attributes(line);
    expect(attrs.has('secure')).toBe(false);
    expect(attrs.has('httponly')).toBe(true);
    expect(attrs.get('samesite')).toBe('Lax');
    expect(attrs.get('path')).toBe('/');
  });

  it('Max-Age is the link lifetime plus the slack, in whole seconds', () => {
    expect(COOKIE_SLACK_MS).toBe(10 * 60 * 1000);
    const line = createPendingCookie({ secure: true, ttlMs: TTL_MS }).set(NONCE);
    expect(attributes(line).get('max-age')).toBe(String((TTL_MS + COOKIE_SLACK_MS) / 1000));
    const odd = createPendingCookie({ secure: true, ttlMs: 60_500 }).set(NONCE);
    expect(attributes(odd).get('max-age')).toBe('660');
  });

  it('what it sets, it reads back', () => {
    for (const secure of [true, false]) {
      const cookie = createPendingCookie({ secure, ttlMs: TTL_MS });
      const pair = cookie.set(NONCE).split(';')[0]!;
      expect(cookie.read(pair)).toBe(NONCE);
      expect(cookie.read(`a=b; ${pair}; c=d`)).toBe(NONCE);
    }
  });
});

describe('createPendingCookie clear', () => {
  it.each([true, false])(
    'secure %p: empty value, Max-Age=0 and an Expires in the past',
    (secure) => {
      const cookie = createPendingCookie({ secure, ttlMs: TTL_MS });
      const line = cookie.clear();
      expect(line.startsWith(`${cookie.name}=;`)).toBe(true);
      const attrs = attributes(line);
      expect(attrs.get('max-age')).toBe('0');
      expect(new Date(attrs.get('expires')!).getTime()).toBe(0);
      expect(attrs.get('path')).toBe('/');
      expect(attrs.has('httponly')).toBe(true);
      expect(attrs.has('secure')).toBe(secure);
      expect(cookie.read(line.split(';')[0])).toBeNull();
    },
  );
});

describe('createPendingCookie read', () => {
  const secure = createPendingCookie({ secure: true, ttlMs: TTL_MS });
  const plain = createPendingCookie({ secure: false, ttlMs: TTL_MS });

  it.each<[string, string | undefined, string | null]>([
    ['no header', undefined, null],
    ['an empty header', '', null],
    ['the cookie alone', `__Host-mlink=${NONCE}`, NONCE],
    ['among others', `sid=abc; __Host-mlink=${NONCE}; theme=dark`, NONCE],
    ['with spaces around', `  __Host-mlink = ${NONCE}  `, NONCE],
    ['the first of two', `__Host-mlink=${NONCE}; __Host-mlink=${OTHER}`, NONCE],
    ['only the insecure name', `mlink=${NONCE}`, null],
    ['a name that only ends like it', `x__Host-mlink=${NONCE}`, null],
    ['a name in another case', `__host-mlink=${NONCE}`, null],
    ['an empty value', '__Host-mlink=', null],
    ['one character short', `__Host-mlink=${NONCE.slice(1)}`, null],
    ['one character long', `__Host-mlink=${NONCE}x`, null],
    ['a character outside base64url', `__Host-mlink=${NONCE.slice(1)}+`, null],
    ['padding', `__Host-mlink=${NONCE.slice(2)}==`, null],
    ['percent-encoded', `__Host-mlink=${NONCE.slice(3)}%41`, null],
    ['quoted', `__Host-mlink="${NONCE}"`, null],
    ['a signed cookie-parser value', `__Host-mlink=s:${NONCE}.sig`, null],
    ['no equals sign', '__Host-mlink', null],
  ])('secure, %s', (_, header, expected) => {
    expect(secure.read(header)).toBe(expected);
  });

  it('insecure reads mlink, not __Host-mlink', () => {
    expect(plain.read(`mlink=${NONCE}`)).toBe(NONCE);
    expect(plain.read(`__Host-mlink=${NONCE}`)).toBeNull();
  });

  it("prefers cookie-parser's parsed object when it holds a string", () => {
    expect(secure.read(`__Host-mlink=${OTHER}`, { '__Host-mlink': NONCE })).toBe(NONCE);
    expect(secure.read(undefined, { '__Host-mlink': NONCE })).toBe(NONCE);
  });

  it('a malformed string in the parsed object is refused, not replaced by the header', () => {
    expect(secure.read(`__Host-mlink=${NONCE}`, { '__Host-mlink': 'short' })).toBeNull();
  });

  it.each<[string, unknown]>([
    ['undefined', undefined],
    ['null', null],
    ['a number', 42],
    ['an array', [NONCE]],
    ['an object', { value: NONCE }],
    ['a JSON cookie object', { j: NONCE }],
  ])('falls back to the header when the parsed value is %s', (_, value) => {
    expect(secure.read(`__Host-mlink=${NONCE}`, { '__Host-mlink': value })).toBe(NONCE);
    expect(secure.read(undefined, { '__Host-mlink': value })).toBeNull();
  });

  it('ignores other names in the parsed object', () => {
    expect(secure.read(undefined, { mlink: NONCE })).toBeNull();
    expect(secure.read(`__Host-mlink=${NONCE}`, {})).toBe(NONCE);
  });
});
