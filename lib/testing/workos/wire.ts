import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { EMULATOR_MAX_BODY_BYTES } from './options';

/** What a handler answers; `writeJson` puts it on the wire. */
export interface Answer {
  status: number;
  /** JSON-encoded unless a string (sent as `text/plain`) or `null` (no body). */
  body: unknown;
  headers?: Record<string, string>;
}

/** An API request whose body has been read in full. */
export interface ApiRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  raw: Buffer;
}

/** One entry of a `422` answer's `errors` list. */
export interface FieldError {
  field: string;
  code: string;
}

export type BodyResult = { kind: 'ok'; raw: Buffer } | { kind: 'too-large' } | { kind: 'aborted' };

/** The request body, up to {@link EMULATOR_MAX_BODY_BYTES}; never rejects. */
export function readBody(req: IncomingMessage): Promise<BodyResult> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > EMULATOR_MAX_BODY_BYTES) {
    // Node drains the unread body after the answer; nothing of it is kept.
    return Promise.resolve({ kind: 'too-large' });
  }
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (result: BodyResult): void => {
      if (settled) return;
      settled = true;
      resolve(result);
    };
    req.on('data', (chunk: Buffer) => {
      if (settled) return;
      size += chunk.length;
      if (size > EMULATOR_MAX_BODY_BYTES) {
        chunks.length = 0;
        settle({ kind: 'too-large' });
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => settle({ kind: 'ok', raw: Buffer.concat(chunks) }));
    req.on('error', () => settle({ kind: 'aborted' }));
    req.on('close', () => {
      if (!req.complete) settle({ kind: 'aborted' });
    });
  });
}

/** A JSON or form body as a plain object; `null` when it is neither. */
export function parseBody(req: ApiRequest): Record<string, unknown> | null {
  const text = req.raw.toString('utf8');
  const contentType = req.headers['content-type'] ?? '';
  if (contentType.toLowerCase().includes('application/x-www-form-urlencoded')) {
    return Object.fromEntries(new URLSearchParams(text));
  }
  if (text.trim() === '') return {};
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
      return parsed as Record<string, unknown>;
    }
    return null;
  } catch {
    return null;
  }
}

/** An own property, with JSON `null` read as absent, the way the WorkOS API treats it. */
export function field(body: Record<string, unknown>, name: string): unknown {
  if (!Object.hasOwn(body, name)) return undefined;
  const value = body[name];
  return value === null ? undefined : value;
}

/** A string field, or `null` when absent or not a string. */
export function optionalString(body: Record<string, unknown>, name: string): string | null {
  const value = field(body, name);
  return typeof value === 'string' ? value : null;
}

/** A UUID, like WorkOS's; the SDKs copy it into the `requestID` of the errors they throw. */
export function requestId(): string {
  return randomUUID();
}

export function writeJson(res: ServerResponse, answer: Answer): void {
  if (res.headersSent || res.destroyed) return;
  const headers: Record<string, string | number> = {
    'Cache-Control': 'no-store',
    'X-Request-ID': requestId(),
  };
  let payload = '';
  if (typeof answer.body === 'string') {
    payload = answer.body;
    headers['Content-Type'] = 'text/plain; charset=utf-8';
  } else if (answer.body !== null) {
    payload = JSON.stringify(answer.body);
    headers['Content-Type'] = 'application/json; charset=utf-8';
  }
  headers['Content-Length'] = Buffer.byteLength(payload);
  res.writeHead(answer.status, { ...headers, ...answer.headers });
  res.end(payload);
}

/** The raw HTTP answer to a request Node could not parse. */
export function badRequestReply(): string {
  const body = JSON.stringify({ message: 'Bad Request' });
  return `HTTP/1.1 400 Bad Request\r\nConnection: close\r\nX-Request-ID: ${requestId()}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
}

export function methodNotAllowed(allow = 'POST'): Answer {
  return { status: 405, body: { message: 'Method Not Allowed' }, headers: { Allow: allow } };
}

export function notFound(): Answer {
  return { status: 404, body: { message: 'Not Found' } };
}

export function unauthorized(): Answer {
  return { status: 401, body: { message: 'Unauthorized' } };
}

export function malformedBody(): Answer {
  return {
    status: 400,
    body: { message: 'The request body is not valid JSON.', code: 'invalid_json' },
  };
}

export function tooLarge(): Answer {
  return {
    status: 413,
    body: { message: 'Request body too large.', code: 'payload_too_large' },
    headers: { Connection: 'close' },
  };
}

/** WorkOS's validation failure: `422 { message, code: 'invalid_request_parameters', errors }`. */
export function validationFailed(errors: FieldError[]): Answer {
  return {
    status: 422,
    body: { message: 'Validation failed', code: 'invalid_request_parameters', errors },
  };
}

/** An OAuth-shaped `400 { error, error_description }`, which both SDKs throw as `OauthException`. */
export function oauthError(error: string, description: string): Answer {
  return { status: 400, body: { error, error_description: description } };
}

/** A wrong `client_id` or `client_secret`, on `/sso/token` and `/user_management/authenticate`. */
export function invalidClient(): Answer {
  return oauthError('invalid_client', 'Invalid client ID or secret.');
}

export function pathOf(url: string | undefined): string {
  try {
    return new URL(url ?? '/', 'http://127.0.0.1').pathname;
  } catch {
    return '/';
  }
}

export function safeDecode(value: string): string | null {
  try {
    return decodeURIComponent(value);
  } catch {
    return null;
  }
}
