import { isSameOrigin } from '../../lib/router/same-origin';
import type { OriginHeaders } from '../../lib/router/same-origin';

const ORIGIN = 'https://app.example.com';

describe('isSameOrigin', () => {
  it.each<[string, OriginHeaders, boolean]>([
    // No headers at all: not a browser that could carry the victim's cookies.
    ['no headers at all', {}, true],

    // Origin decides when present.
    ['Origin matches', { origin: ORIGIN }, true],
    ['Origin of another site', { origin: 'https://evil.example' }, false],
    ['Origin of a sibling subdomain', { origin: 'https://evil.app.example.com' }, false],
    ['Origin with another scheme', { origin: 'http://app.example.com' }, false],
    ['Origin with another port', { origin: 'https://app.example.com:8443' }, false],
    ['Origin with a trailing slash', { origin: `${ORIGIN}/` }, false],
    ['Origin in another case', { origin: 'https://APP.example.com' }, false],
    ['an empty Origin', { origin: '' }, false],
    [
      'Origin matches, Referer of another site',
      { origin: ORIGIN, referer: 'https://evil.example/' },
      true,
    ],
    [
      'Origin of another site, Referer matches',
      { origin: 'https://evil.example', referer: `${ORIGIN}/x` },
      false,
    ],

    // Origin: null (Referrer-Policy: no-referrer form posts, sandboxed frames, file: pages).
    ['Origin: null alone', { origin: 'null' }, false],
    [
      'Origin: null with Sec-Fetch-Site: same-origin',
      { origin: 'null', 'sec-fetch-site': 'same-origin' },
      true,
    ],
    [
      'Origin: null with Sec-Fetch-Site: same-site',
      { origin: 'null', 'sec-fetch-site': 'same-site' },
      false,
    ],
    [
      'Origin: null with Sec-Fetch-Site: cross-site',
      { origin: 'null', 'sec-fetch-site': 'cross-site' },
      false,
    ],
    ['Origin: null with Sec-Fetch-Site: none', { origin: 'null', 'sec-fetch-site': 'none' }, false],
    [
      'Origin: null with a same-origin Referer',
      { origin: 'null', referer: `${ORIGIN}/sign-in` },
      false,
    ],

    // Sec-Fetch-Site: anything but same-origin refuses, whatever else is sent.
    ['Sec-Fetch-Site: same-origin alone', { 'sec-fetch-site': 'same-origin' }, true],
    [
      'Sec-Fetch-Site: same-origin with a matching Origin',
      { origin: ORIGIN, 'sec-fetch-site': 'same-origin' },
      true,
    ],
    [
      'Sec-Fetch-Site: same-origin with another Origin',
      { origin: 'https://evil.example', 'sec-fetch-site': 'same-origin' },
      false,
    ],
    [
      'Sec-Fetch-Site: cross-site with a matching Origin',
      { origin: ORIGIN, 'sec-fetch-site': 'cross-site' },
      false,
    ],
    [
      'Sec-Fetch-Site: same-site with a matching Origin',
      { origin: ORIGIN, 'sec-fetch-site': 'same-site' },
      false,
    ],
    [
      'Sec-Fetch-Site: none with a matching Origin',
      { origin: ORIGIN, 'sec-fetch-site': 'none' },
      false,
    ],
    ['Sec-Fetch-Site: cross-site alone', { 'sec-fetch-site': 'cross-site' }, false],
    ['Sec-Fetch-Site: same-site alone', { 'sec-fetch-site': 'same-site' }, false],
    ['Sec-Fetch-Site: none alone', { 'sec-fetch-site': 'none' }, false],
    [
      'Sec-Fetch-Site: cross-site with a same-origin Referer',
      { 'sec-fetch-site': 'cross-site', referer: `${ORIGIN}/` },
      false,
    ],
    ['Sec-Fetch-Site in another case', { origin: ORIGIN, 'sec-fetch-site': 'Same-Origin' }, false],
    ['Sec-Fetch-Site empty', { origin: ORIGIN, 'sec-fetch-site': '' }, false],
    [
      'Sec-Fetch-Site repeated (an array)',
      { origin: ORIGIN, 'sec-fetch-site': ['same-origin', 'same-origin'] },
      false,
    ],
    [
      'Sec-Fetch-Site: same-origin with a Referer of another site',
      { 'sec-fetch-site': 'same-origin', referer: 'https://evil.example/' },
      true,
    ],

    // Referer is the fallback when neither Origin nor Sec-Fetch-Site is sent.
    ['Referer on the origin', { referer: `${ORIGIN}/auth/magic-link?x=1` }, true],
    ['Referer of the bare origin', { referer: `${ORIGIN}/` }, true],
    [
      'Referer with the default port spelled out',
      { referer: 'https://app.example.com:443/x' },
      true,
    ],
    ['Referer of another site', { referer: 'https://evil.example/' }, false],
    [
      'Referer that starts with the origin',
      { referer: 'https://app.example.com.evil.example/' },
      false,
    ],
    ['Referer with the origin in its path', { referer: `https://evil.example/${ORIGIN}` }, false],
    [
      'Referer with credentials before another host',
      { referer: 'https://app.example.com@evil.example/' },
      false,
    ],
    ['Referer with another scheme', { referer: 'http://app.example.com/' }, false],
    ['malformed Referer', { referer: 'not a url' }, false],
    ['relative Referer', { referer: '/auth/magic-link' }, false],
    ['empty Referer', { referer: '' }, false],
    ['Referer: about:blank', { referer: 'about:blank' }, false],
  ])('%s → %p', (_, headers, expected) => {
    expect(isSameOrigin(headers, ORIGIN)).toBe(expected);
  });

  it('never reads the Host header', () => {
    const headers = { host: 'evil.example', referer: `${ORIGIN}/` } as OriginHeaders;
    expect(isSameOrigin(headers, ORIGIN)).toBe(true);
    expect(isSameOrigin({ referer: 'https://evil.example/' }, 'https://evil.example')).toBe(true);
  });

  it('compares against the configured origin, whichever it is', () => {
    expect(isSameOrigin({ origin: 'http://localhost:3000' }, 'http://localhost:3000')).toBe(true);
    expect(isSameOrigin({ origin: 'http://localhost:3000' }, 'http://localhost:3001')).toBe(false);
  });
});
