import type { IncomingMessage, ServerResponse } from 'node:http';
import { MagicLinkError } from './errors';

/**
 * Bodies larger than this are refused with 413 before parsing. The forms here are tiny, but a
 * confirmation form carries a sealed state, so leave room for that and report oversized fields
 * as 400 after parsing.
 */
export const MAX_BODY_BYTES = 32 * 1024;

export type Fields = Record<string, string>;

export interface CookieOptions {
  maxAgeSeconds: number;
  secure: boolean;
}

export function serializeCookie(name: string, value: string, options: CookieOptions): string {
  const parts = [`${name}=${value}`, 'Path=/', 'HttpOnly', 'SameSite=Lax'];
  parts.push(`Max-Age=${Math.max(0, Math.floor(options.maxAgeSeconds))}`);
  if (options.maxAgeSeconds <= 0) parts.push('Expires=Thu, 01 Jan 1970 00:00:00 GMT');
  if (options.secure) parts.push('Secure');
  return parts.join('; ');
}

export function appendSetCookie(res: ServerResponse, cookie: string): void {
  const existing = res.getHeader('Set-Cookie');
  if (existing === undefined) res.setHeader('Set-Cookie', [cookie]);
  else if (Array.isArray(existing)) res.setHeader('Set-Cookie', [...existing, cookie]);
  else res.setHeader('Set-Cookie', [String(existing), cookie]);
}

/** One cookie's value from a `Cookie` header, or `null`. */
export function cookieFromHeader(header: string | undefined, name: string): string | null {
  if (!header) return null;
  for (const pair of header.split(';')) {
    const eq = pair.indexOf('=');
    if (eq === -1) continue;
    if (pair.slice(0, eq).trim() === name) return pair.slice(eq + 1).trim();
  }
  return null;
}

/**
 * Query parameters as single strings. A repeated parameter is an attack on parser
 * disagreement (threat model S3), so it is refused rather than resolved.
 */
export function queryFields(req: IncomingMessage): Fields {
  // The query as `new URL(req.url).searchParams` reads it (up to a fragment, if any), without
  // parsing the rest of the URL: URLSearchParams decodes it to the same strings.
  const url = req.url ?? '/';
  const hash = url.indexOf('#');
  const end = hash === -1 ? url.length : hash;
  const q = url.indexOf('?');
  if (q === -1 || q > end) return {};
  return toFields(new URLSearchParams(url.slice(q + 1, end)));
}

function toFields(params: URLSearchParams): Fields {
  const fields: Fields = {};
  for (const [key, value] of params) {
    if (Object.hasOwn(fields, key)) {
      throw new MagicLinkError('ERR_BAD_REQUEST', `Repeated parameter: ${key}`);
    }
    fields[key] = value;
  }
  return fields;
}

function fromParsedBody(body: unknown): Fields {
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    throw new MagicLinkError('ERR_BAD_REQUEST', 'The body must be a JSON object or a form.');
  }
  const fields: Fields = {};
  for (const [key, value] of Object.entries(body)) {
    if (value === undefined || value === null) continue;
    if (typeof value !== 'string') {
      throw new MagicLinkError('ERR_BAD_REQUEST', `Field ${key} must be a single string.`);
    }
    fields[key] = value;
  }
  return fields;
}

function mediaType(req: IncomingMessage): string {
  const header = req.headers['content-type'] ?? '';
  const semicolon = header.indexOf(';');
  return (semicolon === -1 ? header : header.slice(0, semicolon)).trim().toLowerCase();
}

function readRaw(req: IncomingMessage): Promise<string> | string {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > MAX_BODY_BYTES) {
    return Promise.reject(
      new MagicLinkError('ERR_BODY_TOO_LARGE', 'The request body is too large.'),
    );
  }
  // Every byte of a Content-Length body is already buffered and nothing has read from the stream
  // yet: the usual case for a small form, which comes in the packet that carried the headers.
  // One read() takes it all, without three listeners, a promise and a copy; resume() lets the
  // stream end as it would have.
  if (
    declared > 0 &&
    req.readableLength === declared &&
    req.readableFlowing === null &&
    req.headers['transfer-encoding'] === undefined
  ) {
    const body = req.read() as Buffer | string | null;
    req.resume();
    if (body !== null && body.length === declared) return body.toString('utf8');
    throw new MagicLinkError('ERR_BAD_REQUEST', 'The request body could not be read.');
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (err: Error | null, value?: string) => {
      if (done) return;
      done = true;
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      if (err) {
        // Stop reading; the rest of the oversized body is discarded, not buffered.
        req.resume();
        reject(err);
      } else resolve(value!);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        finish(new MagicLinkError('ERR_BODY_TOO_LARGE', 'The request body is too large.'));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => finish(null, Buffer.concat(chunks).toString('utf8'));
    const onError = (err: Error) =>
      finish(
        new MagicLinkError('ERR_BAD_REQUEST', 'The request body could not be read.', {
          cause: err,
        }),
      );
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  });
}

/**
 * The body of a form (urlencoded) or JSON POST as single strings. Bodies that an app-level
 * parser (express.json(), express.urlencoded()) already read are accepted, with the same rules.
 */
export async function bodyFields(req: IncomingMessage): Promise<Fields> {
  const parsed = (req as { body?: unknown; _body?: boolean }).body;
  if (parsed !== undefined && ((req as { _body?: boolean })._body || req.readableEnded)) {
    return fromParsedBody(parsed);
  }
  const type = mediaType(req);
  if (type !== 'application/x-www-form-urlencoded' && type !== 'application/json') {
    if (!req.readableEnded) req.resume();
    throw new MagicLinkError(
      'ERR_BAD_REQUEST',
      'Send a form (application/x-www-form-urlencoded) or JSON.',
      { status: 415 },
    );
  }
  const pending = readRaw(req);
  const raw = typeof pending === 'string' ? pending : await pending;
  if (type === 'application/json') return fromParsedBody(parseJson(raw));
  return toFields(new URLSearchParams(raw));
}

/** A JSON body's text, parsed, with a repeated top-level key refused. */
function parseJson(raw: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw new MagicLinkError('ERR_BAD_REQUEST', 'The JSON body could not be parsed.');
  }
  // JSON.parse keeps the last of two equal keys; a form would be refused (threat model A9).
  const repeated = repeatedTopLevelKey(raw);
  if (repeated !== null)
    throw new MagicLinkError('ERR_BAD_REQUEST', `Repeated parameter: ${repeated.slice(0, 40)}`);
  return value;
}

/**
 * A JSON object body that may nest (a WebAuthn response), under the same size limit, with the
 * same refusal of a repeated top-level key. Bodies an app-level parser already read are accepted.
 */
export async function bodyJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const parsed = (req as { body?: unknown; _body?: boolean }).body;
  let value: unknown = parsed;
  if (parsed === undefined || !((req as { _body?: boolean })._body || req.readableEnded)) {
    if (mediaType(req) !== 'application/json') {
      if (!req.readableEnded) req.resume();
      throw new MagicLinkError('ERR_BAD_REQUEST', 'Send JSON.', { status: 415 });
    }
    const pending = readRaw(req);
    value = parseJson(typeof pending === 'string' ? pending : await pending);
  }
  if (!value || typeof value !== 'object' || Array.isArray(value))
    throw new MagicLinkError('ERR_BAD_REQUEST', 'The body must be a JSON object.');
  return value as Record<string, unknown>;
}

/** True when the client asked for JSON rather than a page. */
export function wantsJson(req: IncomingMessage): boolean {
  const accept = (req.headers.accept ?? '').toLowerCase();
  if (accept.includes('text/html')) return false;
  if (accept.includes('application/json')) return true;
  return mediaType(req) === 'application/json';
}

export function sendHtml(res: ServerResponse, status: number, html: string): void {
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(html));
  res.end(html);
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const json = JSON.stringify(body);
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(json));
  res.end(json);
}

export function redirect(res: ServerResponse, location: string): void {
  res.statusCode = 303;
  res.setHeader('Location', location);
  res.setHeader('Content-Length', 0);
  res.end();
}

/** The client address, as Express computed it (so `trust proxy` applies), else the socket's. */
export function clientIp(req: IncomingMessage): string {
  const ip = (req as { ip?: unknown }).ip;
  if (typeof ip === 'string' && ip) return ip;
  return req.socket.remoteAddress ?? 'unknown';
}

/**
 * The first key that appears twice in the top-level object of a JSON text already known to be
 * valid, or `null`. Nested objects need no check: every field must be a single string.
 */
export function repeatedTopLevelKey(json: string): string | null {
  const seen = new Set<string>();
  let depth = 0;
  let expectKey = false;
  for (let i = 0; i < json.length; i++) {
    const ch = json[i];
    if (ch === '"') {
      let end = i + 1;
      while (json[end] !== '"') end += json[end] === '\\' ? 2 : 1;
      if (depth === 1 && expectKey) {
        const key = JSON.parse(json.slice(i, end + 1)) as string;
        if (seen.has(key)) return key;
        seen.add(key);
        expectKey = false;
      }
      i = end;
    } else if (ch === '{' || ch === '[') {
      depth++;
      expectKey = ch === '{' && depth === 1;
    } else if (ch === '}' || ch === ']') {
      depth--;
    } else if (ch === ',' && depth === 1) {
      expectKey = true;
    }
  }
  return null;
}
