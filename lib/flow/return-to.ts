/** Longest returnTo accepted; longer values fall back rather than bloat the signed state. */
export const MAX_RETURN_TO_LENGTH = 2048;

/**
 * Printable ASCII other than space and backslash. Browsers strip tabs and newlines anywhere in a
 * URL and treat `\` as `/` (WHATWG URL, "special" schemes), which is how `/\evil.com` and
 * `/\t/evil.com` become `//evil.com`; Express CVE-2024-29041 was this class of bug. Non-ASCII is
 * refused too, because full-width and ideographic look-alikes of `/` and `.` (U+FF0F, U+FF3C,
 * U+3002, U+FF0E, U+FF61) are normalised into real ones by some parsers.
 */
const SAFE_CHARS = /^[\x21-\x5b\x5d-\x7e]+$/;

/** `%2f` and `%5c` in the path are decoded back into separators by some proxies and frameworks. */
const ENCODED_SEPARATOR = /%(?:2f|5c)/i;

/**
 * Returns `input` as a same-origin path, query and fragment, normalised by the WHATWG URL parser
 * and never an absolute URL; or `fallback` if `input` is anything else. Follows the OWASP
 * Unvalidated Redirects cheat sheet and ASVS v5 3.7.2: an allow-list (same origin), resolved with
 * the same parser browsers use, against the configured origin and never the Host header.
 *
 * `input` must already look like a path: one `/` followed by anything but `/`. Absolute URLs are
 * refused even when they are same-origin, so there is a single shape to reason about. Control
 * characters, whitespace, backslashes, non-ASCII characters and percent-encoded slashes or
 * backslashes in the path are refused rather than cleaned up: a returnTo that needs repair was
 * not produced by our own pages.
 *
 * `fallback` is returned as is; it is configuration, not user input.
 *
 * @param origin The app's configured origin, such as `https://app.example.com`.
 * @throws {TypeError} If `origin` is not an absolute http(s) URL.
 * @example
 * safeReturnTo('/account?tab=1#top', 'https://app.example.com', '/'); // '/account?tab=1#top'
 * safeReturnTo('/\\evil.com', 'https://app.example.com', '/'); // '/'
 * safeReturnTo('https://evil.com', 'https://app.example.com', '/'); // '/'
 */
export function safeReturnTo(input: unknown, origin: string, fallback: string): string {
  const expectedOrigin = parseOrigin(origin);
  if (typeof input !== 'string') return fallback;
  if (input.length === 0 || input.length > MAX_RETURN_TO_LENGTH) return fallback;
  if (!SAFE_CHARS.test(input)) return fallback;
  if (input[0] !== '/' || input[1] === '/') return fallback;
  if (ENCODED_SEPARATOR.test(input.split(/[?#]/, 1)[0]!)) return fallback;
  // A path of plain segments (no dots, no encoding, no query) is already what URL would return.
  if (PLAIN_PATH.test(input)) return input;

  let url: URL;
  try {
    url = new URL(input, expectedOrigin);
  } catch {
    return fallback;
  }
  if (url.origin !== expectedOrigin) return fallback;

  const result = url.pathname + url.search + url.hash;
  // Dot segments can collapse into a protocol-relative path: `/.//evil.com` parses to the
  // pathname `//evil.com`, which a browser would read as another host.
  if (!result.startsWith('/') || result.startsWith('//') || result.includes('\\')) return fallback;
  return result;
}

/** Origins seen so far: an app has one, and parsing it on every request is wasted work. */
const parsedOrigins = new Map<string, string>();
const PLAIN_PATH = /^(?:\/[A-Za-z0-9_~-]+)*\/?$/;

function parseOrigin(origin: string): string {
  const known = parsedOrigins.get(origin);
  if (known !== undefined) return known;
  let url: URL | undefined;
  try {
    url = new URL(origin);
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
    throw new TypeError(
      `safeReturnTo: origin ${JSON.stringify(origin)} is not an absolute http(s) URL. ` +
        `Pass the configured app origin, such as 'https://app.example.com', never the Host header.`,
    );
  }
  if (parsedOrigins.size < 16) parsedOrigins.set(origin, url.origin);
  return url.origin;
}
