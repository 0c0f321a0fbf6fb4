import { request as httpRequest } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib';

/**
 * The browser machinery the scanner simulations share: an HTTP client that never follows a
 * redirect by itself, a per-visit cookie jar, Chromium's navigation and form-submission headers,
 * and an HTML form reader. No scanner knowledge lives here; see `./scanners`.
 */

/** One request a simulated scanner makes. Header names are lower-case. */
export interface ScannerRequest {
  method: 'GET' | 'HEAD' | 'POST';
  url: string;
  headers: Record<string, string>;
  body?: string;
}

/** What came back. Header names are lower-case; repeated headers (but Set-Cookie) joined by `, `. */
export interface ScannerResponse {
  status: number;
  headers: Record<string, string>;
  setCookie: string[];
  /** The decoded body; `''` for HEAD. */
  body: string;
}

/**
 * Makes one HTTP request and returns the answer as it is: it must NOT follow redirects, so the
 * simulation sees (and records) every hop. The default, `nodeScannerHttp`, sends the headers
 * exactly as given; pass your own to target an in-process app or a proxy.
 */
export type ScannerHttp = (request: ScannerRequest) => Promise<ScannerResponse>;

function flatHeaders(raw: IncomingHttpHeaders): {
  headers: Record<string, string>;
  setCookie: string[];
} {
  const headers: Record<string, string> = {};
  let setCookie: string[] = [];
  for (const [name, value] of Object.entries(raw)) {
    if (value === undefined) continue;
    if (name === 'set-cookie') setCookie = Array.isArray(value) ? value : [value];
    else headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return { headers, setCookie };
}

function decode(body: Buffer, encoding: string | undefined): string {
  switch ((encoding ?? '').trim().toLowerCase()) {
    case 'gzip':
    case 'x-gzip':
      return gunzipSync(body).toString('utf8');
    case 'deflate':
      return inflateSync(body).toString('utf8');
    case 'br':
      return brotliDecompressSync(body).toString('utf8');
    default:
      return body.toString('utf8');
  }
}

/**
 * The default `ScannerHttp`: Node's own http/https client. Not `fetch`: Node's fetch (undici)
 * overwrites `Sec-Fetch-Mode` with `cors` on every request, and a scanner that navigates sends
 * `navigate`. Each request uses a fresh connection, so nothing is left open after a test.
 */
export const nodeScannerHttp: ScannerHttp = (req) =>
  new Promise((resolve, reject) => {
    const url = new URL(req.url);
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const headers: Record<string, string> = { ...req.headers };
    if (req.body !== undefined) headers['content-length'] = String(Buffer.byteLength(req.body));
    const outgoing = send(url, { method: req.method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        try {
          const { headers: flat, setCookie } = flatHeaders(res.headers);
          const raw = Buffer.concat(chunks);
          const body = req.method === 'HEAD' ? '' : decode(raw, flat['content-encoding']);
          resolve({ status: res.statusCode ?? 0, headers: flat, setCookie, body });
        } catch (err) {
          reject(err);
        }
      });
    });
    outgoing.on('error', reject);
    outgoing.end(req.body);
  });

/**
 * A `ScannerHttp` on a `fetch` implementation (global `fetch` by default) with
 * `redirect: 'manual'`. Note that Node's fetch replaces `Sec-Fetch-Mode` with `cors`, so prefer
 * `nodeScannerHttp` unless your fetch goes somewhere Node's http client cannot.
 */
export function fetchScannerHttp(fetchImpl: typeof fetch = fetch): ScannerHttp {
  return async (req) => {
    const res = await fetchImpl(req.url, {
      method: req.method,
      headers: req.headers,
      body: req.body ?? null,
      redirect: 'manual',
    });
    const body = req.method === 'HEAD' ? '' : await res.text();
    if (req.method === 'HEAD') await res.body?.cancel();
    const headers: Record<string, string> = {};
    res.headers.forEach((value, name) => {
      if (name !== 'set-cookie') headers[name] = value;
    });
    return { status: res.status, headers, setCookie: res.headers.getSetCookie(), body };
  };
}

interface Cookie {
  name: string;
  value: string;
  host: string;
  /** `Domain=` given: the host and its subdomains. */
  domain: boolean;
  path: string;
}

function defaultPath(url: URL): string {
  const path = url.pathname;
  if (!path.startsWith('/') || path.lastIndexOf('/') === 0) return '/';
  return path.slice(0, path.lastIndexOf('/'));
}

function pathMatches(requestPath: string, cookiePath: string): boolean {
  if (requestPath === cookiePath) return true;
  if (!requestPath.startsWith(cookiePath)) return false;
  return cookiePath.endsWith('/') || requestPath[cookiePath.length] === '/';
}

/**
 * One visit's cookies, as a browser keeps them (RFC 6265, simplified): host-only or `Domain=`
 * cookies, `Path=` matching, deletion by `Max-Age<=0` or a past `Expires`. Cookies are not
 * scoped by port, as in browsers. `Secure` and `SameSite` are not enforced: a simulation sends
 * a cookie where a browser might not, which only makes it harsher.
 */
export class CookieJar {
  private cookies: Cookie[] = [];

  store(requestUrl: string, setCookie: readonly string[]): void {
    const url = new URL(requestUrl);
    for (const line of setCookie) {
      const [pair = '', ...attributes] = line.split(';');
      const eq = pair.indexOf('=');
      if (eq <= 0) continue;
      const cookie: Cookie = {
        name: pair.slice(0, eq).trim(),
        value: pair.slice(eq + 1).trim(),
        host: url.hostname,
        domain: false,
        path: defaultPath(url),
      };
      let expired = false;
      for (const attribute of attributes) {
        const at = attribute.indexOf('=');
        const key = (at === -1 ? attribute : attribute.slice(0, at)).trim().toLowerCase();
        const value = at === -1 ? '' : attribute.slice(at + 1).trim();
        if (key === 'path' && value.startsWith('/')) cookie.path = value;
        else if (key === 'domain' && value) {
          const domain = value.replace(/^\./, '').toLowerCase();
          if (url.hostname !== domain && !url.hostname.endsWith(`.${domain}`)) continue;
          cookie.host = domain;
          cookie.domain = true;
        } else if (key === 'max-age' && /^-?\d+$/.test(value)) expired = Number(value) <= 0;
        else if (key === 'expires' && !attributes.some((a) => /^\s*max-age\s*=/i.test(a)))
          expired = Date.parse(value) <= Date.now();
      }
      this.cookies = this.cookies.filter(
        (c) => !(c.name === cookie.name && c.host === cookie.host && c.path === cookie.path),
      );
      if (!expired) this.cookies.push(cookie);
    }
  }

  /** The `Cookie` header a browser would send to `url`, or undefined when it sends none. */
  header(requestUrl: string): string | undefined {
    const url = new URL(requestUrl);
    const sent = this.cookies
      .filter((c) =>
        c.domain
          ? url.hostname === c.host || url.hostname.endsWith(`.${c.host}`)
          : url.hostname === c.host,
      )
      .filter((c) => pathMatches(url.pathname, c.path))
      .sort((a, b) => b.path.length - a.path.length);
    return sent.length ? sent.map((c) => `${c.name}=${c.value}`).join('; ') : undefined;
  }

  /** Every cookie held, as `name=value`. */
  pairs(): string[] {
    return this.cookies.map((c) => `${c.name}=${c.value}`);
  }
}

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

function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|amp|quot|apos|lt|gt|nbsp);/gi, (_, e: string) => {
    const lower = e.toLowerCase();
    if (lower.startsWith('#x')) return String.fromCodePoint(parseInt(lower.slice(2), 16));
    if (lower.startsWith('#')) return String.fromCodePoint(parseInt(lower.slice(1), 10));
    return { amp: '&', quot: '"', apos: "'", lt: '<', gt: '>', nbsp: '\u00a0' }[lower] ?? '';
  });
}

/** The attributes of one start tag, names lower-cased, values unescaped. */
export function attributesOf(tag: string): Record<string, string> {
  const attributes: Record<string, string> = {};
  const inner = tag.replace(/^<\s*[\w-]+/, '').replace(/\/?>$/, '');
  for (const m of inner.matchAll(/([^\s"'>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+)))?/g)) {
    const name = m[1]!.toLowerCase();
    if (name in attributes) continue;
    attributes[name] = decodeEntities(m[2] ?? m[3] ?? m[4] ?? '');
  }
  return attributes;
}

/** A form as a browser would submit it with its first submit button. */
export interface SubmittedForm {
  method: 'GET' | 'POST';
  /** Absolute. For GET, the query is already the form's fields. */
  url: string;
  enctype: 'application/x-www-form-urlencoded' | 'multipart/form-data' | 'text/plain';
  fields: [string, string][];
}

/** Every `<form>` of a page, each as its default submission (HTML's form-submission algorithm, simplified). */
export function formsOf(html: string, pageUrl: string): SubmittedForm[] {
  const forms: SubmittedForm[] = [];
  const base = /<base\b[^>]*>/i.exec(html);
  const baseHref = base ? attributesOf(base[0]).href : undefined;
  const baseUrl = baseHref ? new URL(baseHref, pageUrl).href : pageUrl;
  for (const m of html.matchAll(/<form\b[^>]*>([\s\S]*?)<\/form\s*>/gi)) {
    const formTag = /^<form\b[^>]*>/i.exec(m[0])![0];
    const form = attributesOf(formTag);
    const body = m[1]!;
    const fields: [string, string][] = [];
    let submitter: Record<string, string> | null = null;
    const controls = body.matchAll(
      /<(input|button|select|textarea)\b[^>]*>(?:([\s\S]*?)<\/\1\s*>)?/gi,
    );
    for (const c of controls) {
      const kind = c[1]!.toLowerCase();
      const tag = /^<[^>]*>/.exec(c[0])![0];
      const a = attributesOf(tag);
      if ('disabled' in a) continue;
      const type = (a.type ?? (kind === 'button' ? 'submit' : 'text')).toLowerCase();
      if ((kind === 'button' || kind === 'input') && (type === 'submit' || type === 'image')) {
        submitter ??= a;
        continue;
      }
      if (a.name === undefined || a.name === '') continue;
      if (kind === 'button' || ['button', 'reset', 'file'].includes(type)) continue;
      if (kind === 'textarea') fields.push([a.name, decodeEntities(c[2] ?? '')]);
      else if (kind === 'select') {
        const options = [...(c[2] ?? '').matchAll(/<option\b[^>]*>([^<]*)/gi)];
        const chosen =
          options.find((o) => 'selected' in attributesOf(/^<[^>]*>/.exec(o[0])![0])) ?? options[0];
        if (chosen) {
          const oa = attributesOf(/^<[^>]*>/.exec(chosen[0])![0]);
          fields.push([a.name, oa.value ?? decodeEntities(chosen[1]!.trim())]);
        }
      } else if (type === 'checkbox' || type === 'radio') {
        if ('checked' in a) fields.push([a.name, a.value ?? 'on']);
      } else fields.push([a.name, a.value ?? '']);
    }
    if (submitter?.name) fields.push([submitter.name, submitter.value ?? '']);
    const actionAttr = submitter?.formaction ?? form.action ?? '';
    const method = (submitter?.formmethod ?? form.method ?? 'get').toLowerCase();
    const enctypeAttr = (submitter?.formenctype ?? form.enctype ?? '').toLowerCase();
    const enctype =
      enctypeAttr === 'multipart/form-data' || enctypeAttr === 'text/plain'
        ? enctypeAttr
        : 'application/x-www-form-urlencoded';
    const url = new URL(actionAttr === '' ? pageUrl : actionAttr, baseUrl);
    url.hash = '';
    if (method === 'post') {
      forms.push({ method: 'POST', url: url.href, enctype, fields });
    } else {
      url.search = new URLSearchParams(fields).toString();
      forms.push({ method: 'GET', url: url.href, enctype, fields });
    }
  }
  return forms;
}

/** A form's body and content type, as a browser encodes it. */
export function encodeForm(form: SubmittedForm): { body: string; contentType: string } {
  if (form.enctype === 'multipart/form-data') {
    const boundary = '----WebKitFormBoundaryScannerKit0000';
    const parts = form.fields.map(
      ([name, value]) =>
        `--${boundary}\r\nContent-Disposition: form-data; name="${name.replace(/"/g, '%22')}"\r\n\r\n${value}\r\n`,
    );
    return {
      body: `${parts.join('')}--${boundary}--\r\n`,
      contentType: `multipart/form-data; boundary=${boundary}`,
    };
  }
  if (form.enctype === 'text/plain') {
    return {
      body: form.fields.map(([n, v]) => `${n}=${v}\r\n`).join(''),
      contentType: 'text/plain',
    };
  }
  return {
    body: new URLSearchParams(form.fields).toString(),
    contentType: 'application/x-www-form-urlencoded',
  };
}
