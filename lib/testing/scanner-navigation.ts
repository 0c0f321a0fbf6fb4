import { attributesOf } from './scanner-forms';
import type { ScannerRequest, ScannerResponse } from './scanner-http';

// Chromium's navigation and form-submission headers, for the scanner simulations.

/** Chromium's `Accept` for a navigation. */
export const NAVIGATION_ACCEPT =
  'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7';

function site(url: URL): string {
  const host = url.hostname;
  const labels = host.split('.');
  const registrable =
    /^[\d.]+$/.test(host) || host.includes(':') || labels.length <= 2
      ? host
      : labels.slice(-2).join('.');
  return `${url.protocol}//${registrable}`;
}

/** A page's referrer policy: its `Referrer-Policy` header, then a `<meta name="referrer">`. */
export function referrerPolicyOf(response: ScannerResponse): string {
  const known = new Set([
    'no-referrer',
    'no-referrer-when-downgrade',
    'same-origin',
    'origin',
    'strict-origin',
    'origin-when-cross-origin',
    'strict-origin-when-cross-origin',
    'unsafe-url',
  ]);
  let policy = 'strict-origin-when-cross-origin';
  const meta = /<meta\b[^>]*\bname\s*=\s*["']?referrer["']?[^>]*>/i.exec(response.body)?.[0];
  const candidates = [
    ...(response.headers['referrer-policy'] ?? '').split(','),
    ...(meta ? [attributesOf(meta).content ?? ''] : []),
  ];
  // The last policy the browser understands wins.
  for (const candidate of candidates) {
    const token = candidate.trim().toLowerCase();
    if (known.has(token)) policy = token;
  }
  return policy;
}

function referrer(page: URL, target: URL, policy: string): string | undefined {
  const full = new URL(page.href);
  full.hash = '';
  const sameOrigin = page.origin === target.origin;
  const downgrade = page.protocol === 'https:' && target.protocol !== 'https:';
  switch (policy) {
    case 'no-referrer':
      return undefined;
    case 'same-origin':
      return sameOrigin ? full.href : undefined;
    case 'origin':
      return `${page.origin}/`;
    case 'strict-origin':
      return downgrade ? undefined : `${page.origin}/`;
    case 'origin-when-cross-origin':
      return sameOrigin ? full.href : `${page.origin}/`;
    case 'no-referrer-when-downgrade':
      return downgrade ? undefined : full.href;
    case 'unsafe-url':
      return full.href;
    default:
      if (downgrade) return undefined;
      return sameOrigin ? full.href : `${page.origin}/`;
  }
}

/** Where a navigation came from: nothing (the link in the email) or a page's form. */
export interface Initiator {
  page: string;
  referrerPolicy: string;
}

/**
 * The headers Chromium sends on a top-level navigation to `url`: a typed or clicked link when
 * `initiator` is null (`Sec-Fetch-Site: none`), a form submission otherwise. `chain` is every
 * URL of the navigation so far (redirects included), for `Sec-Fetch-Site` and `Origin`.
 */
export function navigationHeaders(options: {
  method: ScannerRequest['method'];
  chain: readonly string[];
  initiator: Initiator | null;
  userAgent: string;
  contentType?: string;
}): Record<string, string> {
  const { method, chain, initiator, userAgent } = options;
  const target = new URL(chain[chain.length - 1]!);
  const headers: Record<string, string> = {
    'user-agent': userAgent,
    accept: NAVIGATION_ACCEPT,
    'accept-language': 'en-US,en;q=0.9',
    'accept-encoding': 'gzip, deflate, br',
    'upgrade-insecure-requests': '1',
    'sec-fetch-dest': 'document',
    'sec-fetch-mode': 'navigate',
    'sec-fetch-user': '?1',
  };
  if (initiator === null) {
    headers['sec-fetch-site'] = 'none';
  } else {
    const page = new URL(initiator.page);
    const urls = chain.map((u) => new URL(u));
    headers['sec-fetch-site'] = urls.every((u) => u.origin === page.origin)
      ? 'same-origin'
      : urls.every((u) => site(u) === site(page))
        ? 'same-site'
        : 'cross-site';
    const referer = referrer(page, target, initiator.referrerPolicy);
    if (referer !== undefined) headers.referer = referer;
    if (method === 'POST') {
      // Fetch's "serializing a request origin": `null` under no-referrer, or once a redirect
      // crossed origins; the page's origin otherwise. GET navigations send no Origin.
      const tainted = urls.some((u, i) => i > 0 && u.origin !== urls[i - 1]!.origin);
      headers.origin = initiator.referrerPolicy === 'no-referrer' || tainted ? 'null' : page.origin;
      headers['cache-control'] = 'max-age=0';
    }
  }
  if (options.contentType) headers['content-type'] = options.contentType;
  return headers;
}
