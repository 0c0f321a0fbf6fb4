import { createHmac, hkdfSync } from 'node:crypto';
import { serializeCookie } from '../../lib/http';
import { COOKIE_SLACK_MS, createPendingCookie } from '../../lib/router/pending-cookie';

const NONCE = 'AbCdEfGhIjKlMnOpQrSt_A';
const OTHER = 'zyxwvutsrqponmlkjihg0A';
const TTL_MS = 15 * 60 * 1000;
const SECRET = 'a'.repeat(32);
const SECRET_2 = 'b'.repeat(32);

const make = (secure: boolean, secrets: readonly string[] = [SECRET], ttlMs = TTL_MS) =>
  createPendingCookie({ secure, ttlMs, secrets });

/** The MAC as the docs describe it: HMAC-SHA-256 under the HKDF-derived key, 16 bytes. */
function macOf(secret: string, nonce: string): string {
  const key = Buffer.from(hkdfSync('sha256', secret, 'express-magic-link', 'pending-cookie', 32));
  return createHmac('sha256', key).update(nonce).digest().subarray(0, 16).toString('base64url');
}

/** The `name=value` pair of a `Set-Cookie` line. */
const pairOf = (setCookie: string) => setCookie.split(';')[0]!;
/** The value of a `Set-Cookie` line. */
const valueOf = (setCookie: string) => pairOf(setCookie).slice(pairOf(setCookie).indexOf('=') + 1);

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
    expect(make(true).name).toBe('__Host-mlink');
  });

  it('is mlink over plain http', () => {
    expect(make(false).name).toBe('mlink');
  });
});

describe('createPendingCookie set', () => {
  it('the value is <nonce>.<22-char base64url MAC>', () => {
    const value = valueOf(make(true).set(NONCE));
    expect(value).toMatch(/^[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{22}$/);
    expect(value).toBe(`${NONCE}.${macOf(SECRET, NONCE)}`);
  });

  it.each([true, false])('is the whole line serializeCookie writes (secure: %s)', (secure) => {
    const cookie = make(secure);
    expect(cookie.set(NONCE)).toBe(
      serializeCookie(cookie.name, `${NONCE}.${macOf(SECRET, NONCE)}`, {
        maxAgeSeconds: (TTL_MS + COOKIE_SLACK_MS) / 1000,
        secure,
      }),
    );
  });

  it('the MAC depends on the nonce and on the secret', () => {
    expect(valueOf(make(true).set(OTHER))).toBe(`${OTHER}.${macOf(SECRET, OTHER)}`);
    expect(macOf(SECRET, NONCE)).not.toBe(macOf(SECRET, OTHER));
    expect(valueOf(make(true, [SECRET_2]).set(NONCE))).not.toBe(valueOf(make(true).set(NONCE)));
  });

  it('secure: __Host- rules (Secure, Path=/, no Domain), HttpOnly, SameSite=Lax', () => {
    const line = make(true).set(NONCE);
    expect(line.startsWith(`__Host-mlink=${NONCE}.`)).toBe(true);
    const attrs = attributes(line);
    expect(attrs.has('secure')).toBe(true);
    expect(attrs.get('path')).toBe('/');
    expect(attrs.has('domain')).toBe(false);
    expect(attrs.has('httponly')).toBe(true);
    expect(attrs.get('samesite')).toBe('Lax');
    expect(attrs.has('expires')).toBe(false);
  });

  it('insecure: no Secure attribute, the rest the same', () => {
    const line = make(false).set(NONCE);
    expect(line.startsWith(`mlink=${NONCE}.`)).toBe(true);
    const attrs = attributes(line);
    expect(attrs.has('secure')).toBe(false);
    expect(attrs.has('httponly')).toBe(true);
    expect(attrs.get('samesite')).toBe('Lax');
    expect(attrs.get('path')).toBe('/');
  });

  it('Max-Age is the link lifetime plus the slack, in whole seconds', () => {
    expect(COOKIE_SLACK_MS).toBe(10 * 60 * 1000);
    expect(attributes(make(true).set(NONCE)).get('max-age')).toBe(
      String((TTL_MS + COOKIE_SLACK_MS) / 1000),
    );
    expect(attributes(make(true, [SECRET], 60_000).set(NONCE)).get('max-age')).toBe('660');
  });
});

describe('createPendingCookie round trip', () => {
  it.each([true, false])('secure %p: what it sets, it reads back', (secure) => {
    const cookie = make(secure);
    const pair = pairOf(cookie.set(NONCE));
    expect(cookie.read(pair)).toBe(NONCE);
    expect(cookie.read(`a=b; ${pair}; c=d`)).toBe(NONCE);
    expect(cookie.read(`  ${pair}  `)).toBe(NONCE);
  });

  it('another instance with the same secret reads it (no per-process state)', () => {
    expect(make(true).read(pairOf(make(true).set(NONCE)))).toBe(NONCE);
  });
});

describe('createPendingCookie refuses what it did not issue (cookie tossing, A7)', () => {
  const cookie = make(true);
  const value = valueOf(cookie.set(NONCE));
  const [nonce, mac] = value.split('.') as [string, string];

  it('a bare 22-char nonce', () => {
    expect(cookie.read(`__Host-mlink=${NONCE}`)).toBeNull();
    expect(cookie.read(undefined, { '__Host-mlink': NONCE })).toBeNull();
  });

  it.each([0, 7, 15])('a MAC with byte %i flipped', (index) => {
    const bytes = Buffer.from(mac, 'base64url');
    bytes[index] = bytes[index]! ^ 0x01;
    expect(cookie.read(`__Host-mlink=${nonce}.${bytes.toString('base64url')}`)).toBeNull();
  });

  it('a MAC made under another secret', () => {
    expect(cookie.read(`__Host-mlink=${NONCE}.${macOf(SECRET_2, NONCE)}`)).toBeNull();
    expect(cookie.read(pairOf(make(true, [SECRET_2]).set(NONCE)))).toBeNull();
  });

  it("another nonce's MAC", () => {
    expect(cookie.read(`__Host-mlink=${OTHER}.${mac}`)).toBeNull();
  });

  it('a valid value under the insecure name, and the reverse', () => {
    expect(cookie.read(`mlink=${value}`)).toBeNull();
    expect(make(false).read(`__Host-mlink=${value}`)).toBeNull();
  });

  it.each<[string, string]>([
    ['an empty value', ''],
    ['the nonce and a dot', `${nonce}.`],
    ['a dot and the MAC', `.${mac}`],
    ['a MAC one character short', `${nonce}.${mac.slice(1)}`],
    ['a MAC one character long', `${nonce}.${mac}A`],
    ['a nonce one character short', `${nonce.slice(1)}.${mac}`],
    ['two dots', `${nonce}..${mac}`],
    ['a trailing character', `${value}x`],
    ['a standard-base64 MAC', `${nonce}.${mac.replace(/-/g, '+').replace(/_/g, '/')}+`],
    ['a padded MAC', `${nonce}.${mac}==`],
    ['quoted', `"${value}"`],
    ['percent-encoded dot', `${nonce}%2E${mac}`],
    ['a signed cookie-parser value', `s:${value}`],
    ['a MAC of zeros', `${nonce}.${Buffer.alloc(16).toString('base64url')}`],
  ])('%s', (_, bad) => {
    expect(cookie.read(`__Host-mlink=${bad}`)).toBeNull();
  });

  it('a forged cookie ahead of the genuine one wins the lookup and is refused', () => {
    // The first cookie of the name is the one read; a planted one makes the browser ask again,
    // it is never adopted.
    expect(cookie.read(`__Host-mlink=${OTHER}; __Host-mlink=${value}`)).toBeNull();
    expect(cookie.read(`__Host-mlink=${value}; __Host-mlink=${OTHER}`)).toBe(NONCE);
  });
});

describe('createPendingCookie secret rotation', () => {
  it('the first secret signs; any secret verifies', () => {
    const rotated = make(true, [SECRET_2, SECRET]);
    expect(valueOf(rotated.set(NONCE))).toBe(`${NONCE}.${macOf(SECRET_2, NONCE)}`);
    expect(rotated.read(pairOf(make(true, [SECRET]).set(NONCE)))).toBe(NONCE);
    expect(rotated.read(pairOf(rotated.set(NONCE)))).toBe(NONCE);
  });

  it('a secret dropped from the list no longer verifies', () => {
    const old = pairOf(make(true, [SECRET]).set(NONCE));
    expect(make(true, [SECRET_2]).read(old)).toBeNull();
  });

  it('the old instance reads cookies from the new one only while it knows the new secret', () => {
    const fresh = pairOf(make(true, [SECRET_2, SECRET]).set(NONCE));
    expect(make(true, [SECRET]).read(fresh)).toBeNull();
    expect(make(true, [SECRET, SECRET_2]).read(fresh)).toBe(NONCE);
  });
});

describe('createPendingCookie clear', () => {
  it.each([true, false])(
    'secure %p: empty value, Max-Age=0 and an Expires in the past',
    (secure) => {
      const cookie = make(secure);
      const line = cookie.clear();
      expect(line.startsWith(`${cookie.name}=;`)).toBe(true);
      const attrs = attributes(line);
      expect(attrs.get('max-age')).toBe('0');
      expect(new Date(attrs.get('expires')!).getTime()).toBe(0);
      expect(attrs.get('path')).toBe('/');
      expect(attrs.has('httponly')).toBe(true);
      expect(attrs.has('secure')).toBe(secure);
      expect(cookie.read(pairOf(line))).toBeNull();
    },
  );
});

describe('createPendingCookie read: the header', () => {
  const cookie = make(true);
  const value = valueOf(cookie.set(NONCE));

  it.each<[string, string | undefined, string | null]>([
    ['no header', undefined, null],
    ['an empty header', '', null],
    ['the cookie alone', `__Host-mlink=${value}`, NONCE],
    ['among others', `sid=abc; __Host-mlink=${value}; theme=dark`, NONCE],
    ['with spaces around', `  __Host-mlink = ${value}  `, NONCE],
    ['a name that only ends like it', `x__Host-mlink=${value}`, null],
    ['a name in another case', `__host-mlink=${value}`, null],
    ['no equals sign', '__Host-mlink', null],
  ])('%s', (_, header, expected) => {
    expect(cookie.read(header)).toBe(expected);
  });
});

describe("createPendingCookie read: cookie-parser's parsed object", () => {
  const cookie = make(true);
  const value = valueOf(cookie.set(NONCE));
  const other = valueOf(cookie.set(OTHER));

  it('is used when it holds a string, ahead of the header', () => {
    expect(cookie.read(`__Host-mlink=${other}`, { '__Host-mlink': value })).toBe(NONCE);
    expect(cookie.read(undefined, { '__Host-mlink': value })).toBe(NONCE);
  });

  it('a string that does not verify is refused, not replaced by the header', () => {
    expect(cookie.read(`__Host-mlink=${value}`, { '__Host-mlink': 'short' })).toBeNull();
    expect(cookie.read(`__Host-mlink=${value}`, { '__Host-mlink': NONCE })).toBeNull();
  });

  it.each<[string, unknown]>([
    ['undefined', undefined],
    ['null', null],
    ['a number', 42],
    ['an array', [value]],
    ['an object', { value }],
    ['a JSON cookie object', { j: value }],
  ])('is ignored when the value is %s: the header decides', (_, parsed) => {
    expect(cookie.read(`__Host-mlink=${value}`, { '__Host-mlink': parsed })).toBe(NONCE);
    expect(cookie.read(undefined, { '__Host-mlink': parsed })).toBeNull();
  });

  it('other names in it are ignored', () => {
    expect(cookie.read(undefined, { mlink: value })).toBeNull();
    expect(cookie.read(`__Host-mlink=${value}`, {})).toBe(NONCE);
  });
});
