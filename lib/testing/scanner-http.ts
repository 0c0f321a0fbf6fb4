import { request as httpRequest } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib';

// The scanner simulations' HTTP client: it never follows a redirect by itself, so every hop is
// seen. No scanner knowledge lives here; see `./scanners`.

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
