import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, STATUS_CODES } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { escapeHtml } from '../html';

/** The API key the emulator accepts unless told otherwise. */
export const DEFAULT_EMULATOR_API_KEY = 'sk_test_emulator';
/** The client id the emulator accepts unless told otherwise. */
export const DEFAULT_EMULATOR_CLIENT_ID = 'client_emulator';
/** How long a Magic Link lives when the session does not ask for `expires_in`: 15 minutes. */
export const DEFAULT_EMULATOR_LINK_TTL_MS = 15 * 60 * 1000;
/** How long an authorization code lives: 10 minutes, as on WorkOS. */
export const DEFAULT_EMULATOR_CODE_TTL_MS = 10 * 60 * 1000;
/** How many sessions, codes, emails and logged requests the emulator keeps before evicting the oldest. */
export const DEFAULT_EMULATOR_MAX_ENTRIES = 10_000;
/** Request bodies above this many bytes are answered `413`. */
export const EMULATOR_MAX_BODY_BYTES = 64 * 1024;

/** `expires_in` bounds, in seconds; WorkOS documents no exact range, so the emulator allows up to a day. */
const MAX_EXPIRES_IN_SECONDS = 24 * 60 * 60;
const LINK_PATH = /^\/passwordless\/([A-Za-z0-9_-]{8,128})\/confirm$/;
const SEND_PATH = /^\/passwordless\/sessions\/([^/]+)\/send$/;
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
// Loose on purpose: the emulator refuses obvious garbage, the package under test does the strict checks.
const PLAUSIBLE_EMAIL = /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/;

/** Options for {@link startWorkOSEmulator}. */
export interface WorkOSEmulatorOptions {
  /**
   * The API key the emulator accepts, as `Authorization: Bearer <key>` on the JSON endpoints and as
   * `client_secret` on `POST /sso/token`.
   * @default 'sk_test_emulator'
   */
  apiKey?: string;
  /**
   * The client id `POST /sso/token` accepts.
   * @default 'client_emulator'
   */
  clientId?: string;
  /**
   * The redirect URI used by sessions created without `redirect_uri`, like the default redirect
   * URI configured in the WorkOS dashboard. Without it, such sessions are refused with `422`.
   * @default undefined
   */
  defaultRedirectUri?: string;
  /**
   * The clock, in milliseconds since the epoch. Lets tests expire links and codes without sleeping.
   * @default Date.now
   */
  now?: () => number;
  /**
   * How long a link lives when the session gives no `expires_in`.
   * @default 900_000 (15 minutes)
   */
  linkTtlMs?: number;
  /**
   * How long an authorization code lives.
   * @default 600_000 (10 minutes)
   */
  codeTtlMs?: number;
  /**
   * How many sessions, codes, outbox emails and logged requests are kept; the oldest are evicted
   * first. An evicted link answers `404`, an evicted code `invalid_grant`.
   * @default 10_000
   */
  maxEntries?: number;
}

/** An email the emulator "sent" for `POST /passwordless/sessions/:id/send`. */
export interface EmulatorEmail {
  to: string;
  subject: string;
  text: string;
  html: string;
  /** The Magic Link inside the email. */
  link: string;
  /** The id of the passwordless session the email belongs to. */
  sessionId: string;
  sentAt: Date;
}

/** One request the emulator received, API call or link visit. */
export interface EmulatorRequest {
  method: string;
  /** The path, without the query string. */
  path: string;
}

/** The options to spread into `new WorkOS(apiKey, options)` so the SDK talks to the emulator. */
export interface WorkOSEmulatorSdkOptions {
  apiHostname: string;
  port: number;
  https: false;
  clientId: string;
}

/** A running emulator. See {@link startWorkOSEmulator}. */
export interface WorkOSEmulator {
  /** The base URL, `http://127.0.0.1:<port>`. */
  readonly url: string;
  readonly port: number;
  readonly apiKey: string;
  readonly clientId: string;
  /** Emails "sent" by `POST /passwordless/sessions/:id/send`, oldest first. */
  readonly outbox: EmulatorEmail[];
  /**
   * Every request received (API calls, injected failures and link visits), oldest first; for
   * asserting that the provider was, or was not, called. Refused connections are not logged.
   */
  readonly requests: EmulatorRequest[];
  /** Options for the real SDK: `new WorkOS(emulator.apiKey, emulator.sdkOptions())`. */
  sdkOptions(): WorkOSEmulatorSdkOptions;
  /**
   * Answer the next `count` API calls (every request except a link visit, whatever its path or
   * API key) with `status` instead of handling them; the failed calls have no effect (no session
   * is created, no code is spent). Link visits are never failed. `body` defaults to `{ message: <status text> }`; a string body is sent as
   * `text/plain`, which the SDKs report as a parse error. A `429` carries `Retry-After: 1`.
   * A new call replaces any pending failures; `count` 0 clears them.
   */
  failNext(count: number, status: number, body?: unknown): void;
  /**
   * Delay every API answer by `ms` (0 to clear). The call takes effect before the wait, so a
   * client that times out has still created its session or spent its code, as with a lost answer.
   * Link visits are not delayed.
   */
  delay(ms: number): void;
  /**
   * While on, every new connection is destroyed as soon as it opens, and a request on an already
   * open (keep-alive) connection destroys that connection; SDK calls fail at once with a network
   * error. Idle connections are left alone, so turning it off again never leaves a pooled socket
   * half-dead.
   */
  refuseConnections(on: boolean): void;
  /**
   * Clear the outbox, the request log and every fault switch. Sessions, links and codes are kept,
   * so a test can clear the log mid-flow.
   */
  reset(): void;
  /** Stop listening and drop every connection. Safe to call twice. */
  close(): Promise<void>;
}

interface StoredSession {
  id: string;
  email: string;
  state: string | null;
  redirectUri: string;
  connectionId: string;
  createdAt: number;
  expiresAt: number;
  token: string;
  link: string;
  used: boolean;
}

interface StoredCode {
  email: string;
  connectionId: string;
  expiresAt: number;
}

interface Answer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

interface FieldError {
  field: string;
  code: string;
}

interface ResolvedOptions {
  apiKey: string;
  clientId: string;
  defaultRedirectUri: string | null;
  now: () => number;
  linkTtlMs: number;
  codeTtlMs: number;
  maxEntries: number;
}

type BodyResult = { kind: 'ok'; raw: Buffer } | { kind: 'too-large' } | { kind: 'aborted' };

/**
 * Start a local WorkOS Passwordless + SSO token API on `127.0.0.1` and a random port, for the real
 * `@workos-inc/node` SDK (v8 and v11). It speaks the WorkOS wire format:
 *
 * - `POST /passwordless/sessions` → `201` passwordless session with a `link`;
 * - `POST /passwordless/sessions/:id/send` → `{ success: true }`, and the email lands in `outbox`;
 * - `GET` or `HEAD` of the link → `302` to `redirect_uri?code=…&state=…`. Either method spends the
 *   link, like the harshest email scanner; a spent or expired link redirects with
 *   `error=access_denied`. A link is valid while `now() < createdAt + ttl`;
 * - `POST /sso/token` → `{ access_token, profile }`. A code is single use, valid while
 *   `now() < issuedAt + codeTtlMs`; a bad one answers `400 invalid_grant`.
 *
 * A wrong API key answers `401`, invalid fields `422 { message, code, errors }`.
 *
 * @example
 * const emulator = await startWorkOSEmulator({ defaultRedirectUri: 'http://localhost:3000/auth/callback' });
 * const workos = new WorkOS(emulator.apiKey, { ...emulator.sdkOptions(), maxRetries: 0 });
 * const session = await workos.passwordless.createSession({ type: 'MagicLink', email: 'a@example.com' });
 * // … fetch(session.link, { redirect: 'manual' }) → 302 with ?code=…
 * await emulator.close();
 */
export async function startWorkOSEmulator(
  options: WorkOSEmulatorOptions = {},
): Promise<WorkOSEmulator> {
  const emulator = new Emulator(resolveOptions(options));
  await emulator.listen();
  return emulator;
}

function resolveOptions(options: WorkOSEmulatorOptions): ResolvedOptions {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('startWorkOSEmulator: options must be an object. Pass {} or nothing.');
  }
  const apiKey = options.apiKey ?? DEFAULT_EMULATOR_API_KEY;
  if (typeof apiKey !== 'string' || apiKey === '') {
    throw new TypeError(
      'startWorkOSEmulator: apiKey must be a non-empty string. Omit it for the default.',
    );
  }
  const clientId = options.clientId ?? DEFAULT_EMULATOR_CLIENT_ID;
  if (typeof clientId !== 'string' || clientId === '') {
    throw new TypeError(
      'startWorkOSEmulator: clientId must be a non-empty string. Omit it for the default.',
    );
  }
  let defaultRedirectUri: string | null = null;
  if (options.defaultRedirectUri !== undefined) {
    const problem = redirectUriProblem(options.defaultRedirectUri);
    if (problem !== null) {
      throw new TypeError(
        `startWorkOSEmulator: defaultRedirectUri is invalid (${problem}). Pass an absolute http(s) URL without query string, fragment or wildcard.`,
      );
    }
    defaultRedirectUri = options.defaultRedirectUri;
  }
  const now = options.now ?? Date.now;
  if (typeof now !== 'function') {
    throw new TypeError(
      'startWorkOSEmulator: now must be a function returning milliseconds. Omit it for Date.now.',
    );
  }
  return {
    apiKey,
    clientId,
    defaultRedirectUri,
    now,
    linkTtlMs: positiveNumber('linkTtlMs', options.linkTtlMs, DEFAULT_EMULATOR_LINK_TTL_MS),
    codeTtlMs: positiveNumber('codeTtlMs', options.codeTtlMs, DEFAULT_EMULATOR_CODE_TTL_MS),
    maxEntries: positiveNumber(
      'maxEntries',
      options.maxEntries,
      DEFAULT_EMULATOR_MAX_ENTRIES,
      true,
    ),
  };
}

function positiveNumber(name: string, value: unknown, fallback: number, integer = false): number {
  if (value === undefined) return fallback;
  if (
    typeof value !== 'number' ||
    !Number.isFinite(value) ||
    value <= 0 ||
    (integer && !Number.isInteger(value))
  ) {
    throw new TypeError(
      `startWorkOSEmulator: ${name} must be a positive ${integer ? 'integer' : 'number'}. Omit it for the default (${fallback}).`,
    );
  }
  return value;
}

class Emulator implements WorkOSEmulator {
  readonly outbox: EmulatorEmail[] = [];
  readonly requests: EmulatorRequest[] = [];
  readonly apiKey: string;
  readonly clientId: string;

  private readonly options: ResolvedOptions;
  private readonly server: Server;
  private readonly sessions = new Map<string, StoredSession>();
  private readonly links = new Map<string, StoredSession>();
  private readonly codes = new Map<string, StoredCode>();
  private readonly sleepers = new Set<{ timer: NodeJS.Timeout; wake: () => void }>();
  private readonly apiKeyDigest: Buffer;
  private readonly defaultConnectionId: string;
  private listeningPort = 0;
  private failures = { remaining: 0, status: 500, body: undefined as unknown };
  private delayMs = 0;
  private refusing = false;
  private closing: Promise<void> | null = null;

  constructor(options: ResolvedOptions) {
    this.options = options;
    this.apiKey = options.apiKey;
    this.clientId = options.clientId;
    this.apiKeyDigest = sha256(options.apiKey);
    this.defaultConnectionId = `conn_${crockfordDigest(`connection:${options.clientId}`)}`;
    this.server = createServer((req, res) => {
      // Pooled keep-alive sockets were opened before the refusal; reset them at their next request.
      if (this.refusing) {
        req.socket.destroy();
        return;
      }
      this.handle(req, res).catch(() => {
        if (res.headersSent) res.destroy();
        else writeJson(res, { status: 500, body: { message: 'Internal Server Error' } });
      });
    });
    this.server.on('connection', (socket: Socket) => {
      if (this.refusing) socket.destroy();
    });
    this.server.on('clientError', (_err: Error, socket: Socket) => {
      if (socket.writable) {
        const body = JSON.stringify({ message: 'Bad Request' });
        socket.end(
          `HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
        );
      }
      socket.destroy();
    });
  }

  get port(): number {
    return this.listeningPort;
  }

  get url(): string {
    return `http://127.0.0.1:${this.listeningPort}`;
  }

  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => {
        this.server.off('error', reject);
        this.listeningPort = (this.server.address() as AddressInfo).port;
        resolve();
      });
    });
  }

  sdkOptions(): WorkOSEmulatorSdkOptions {
    return { apiHostname: '127.0.0.1', port: this.port, https: false, clientId: this.clientId };
  }

  failNext(count: number, status: number, body?: unknown): void {
    if (!Number.isInteger(count) || count < 0) {
      throw new TypeError('failNext: count must be a non-negative integer. Pass 0 to clear.');
    }
    if (!Number.isInteger(status) || status < 200 || status > 599) {
      throw new TypeError(
        'failNext: status must be an HTTP status from 200 to 599. Pass e.g. 500.',
      );
    }
    this.failures = { remaining: count, status, body };
  }

  delay(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) {
      throw new TypeError('delay: ms must be a non-negative number. Pass 0 to clear.');
    }
    this.delayMs = ms;
  }

  refuseConnections(on: boolean): void {
    this.refusing = on;
  }

  reset(): void {
    this.outbox.length = 0;
    this.requests.length = 0;
    this.failures = { remaining: 0, status: 500, body: undefined };
    this.delayMs = 0;
    this.refusing = false;
  }

  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      for (const sleeper of this.sleepers) {
        clearTimeout(sleeper.timer);
        sleeper.wake();
      }
      this.sleepers.clear();
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    return this.closing;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const path = pathOf(req.url);
    this.log({ method, path });

    const link = LINK_PATH.exec(path);
    if (link) {
      req.resume();
      writeJson(res, this.visitLink(method, link[1]!));
      return;
    }

    const body = await readBody(req);
    if (body.kind === 'aborted') return;
    let answer: Answer;
    if (this.failures.remaining > 0) {
      this.failures.remaining -= 1;
      answer = this.injectedFailure();
    } else if (body.kind === 'too-large') {
      answer = {
        status: 413,
        body: { message: 'Request body too large.', code: 'payload_too_large' },
        headers: { Connection: 'close' },
      };
    } else {
      answer = this.route(req, method, path, body.raw);
    }
    if (this.delayMs > 0) await this.sleep(this.delayMs);
    writeJson(res, answer);
  }

  private route(req: IncomingMessage, method: string, path: string, raw: Buffer): Answer {
    if (path === '/sso/token') {
      if (method !== 'POST') return methodNotAllowed();
      return this.exchangeCode(parseBody(raw, req.headers['content-type']));
    }
    if (!this.hasValidBearer(req.headers.authorization)) {
      return { status: 401, body: { message: 'Unauthorized' } };
    }
    if (path === '/passwordless/sessions') {
      if (method !== 'POST') return methodNotAllowed();
      const body = parseBody(raw, req.headers['content-type']);
      if (body === null) return malformedBody();
      return this.createSession(body);
    }
    const send = SEND_PATH.exec(path);
    if (send) {
      if (method !== 'POST') return methodNotAllowed();
      return this.sendSession(send[1]!);
    }
    return { status: 404, body: { message: 'Not Found' } };
  }

  private createSession(body: Record<string, unknown>): Answer {
    const errors: FieldError[] = [];
    const type = field(body, 'type');
    if (type === undefined) errors.push({ field: 'type', code: 'type_required' });
    else if (type !== 'MagicLink') errors.push({ field: 'type', code: 'type_must_be_magic_link' });

    const email = field(body, 'email');
    if (email === undefined || email === '') {
      errors.push({ field: 'email', code: 'email_required' });
    } else if (typeof email !== 'string' || email.length > 320 || !PLAUSIBLE_EMAIL.test(email)) {
      errors.push({ field: 'email', code: 'email_invalid' });
    }

    const state = field(body, 'state');
    if (state !== undefined && typeof state !== 'string') {
      errors.push({ field: 'state', code: 'state_must_be_string' });
    }

    const connection = field(body, 'connection');
    if (connection !== undefined && (typeof connection !== 'string' || connection === '')) {
      errors.push({ field: 'connection', code: 'connection_invalid' });
    }

    const expiresIn = field(body, 'expires_in');
    if (
      expiresIn !== undefined &&
      (typeof expiresIn !== 'number' ||
        !Number.isInteger(expiresIn) ||
        expiresIn < 1 ||
        expiresIn > MAX_EXPIRES_IN_SECONDS)
    ) {
      errors.push({ field: 'expires_in', code: 'expires_in_invalid' });
    }

    const given = field(body, 'redirect_uri');
    let redirectUri = this.options.defaultRedirectUri;
    if (given !== undefined) {
      const problem = redirectUriProblem(given);
      if (problem === null) redirectUri = given as string;
      else errors.push({ field: 'redirect_uri', code: problem });
    } else if (redirectUri === null) {
      errors.push({ field: 'redirect_uri', code: 'redirect_uri_required' });
    }

    if (errors.length > 0 || redirectUri === null) {
      return {
        status: 422,
        body: { message: 'Validation failed', code: 'invalid_request_parameters', errors },
      };
    }

    const createdAt = this.options.now();
    const ttl = typeof expiresIn === 'number' ? expiresIn * 1000 : this.options.linkTtlMs;
    const token = randomBytes(18).toString('base64url');
    const session: StoredSession = {
      id: `passwordless_session_${randomId()}`,
      email: email as string,
      state: typeof state === 'string' ? state : null,
      redirectUri,
      connectionId: typeof connection === 'string' ? connection : this.defaultConnectionId,
      createdAt,
      expiresAt: createdAt + ttl,
      token,
      link: `${this.url}/passwordless/${token}/confirm`,
      used: false,
    };
    this.sessions.set(session.id, session);
    this.links.set(token, session);
    if (this.sessions.size > this.options.maxEntries) {
      const oldest = this.sessions.values().next().value;
      if (oldest) {
        this.sessions.delete(oldest.id);
        this.links.delete(oldest.token);
      }
    }
    return {
      status: 201,
      body: {
        object: 'passwordless_session',
        id: session.id,
        email: session.email,
        expires_at: new Date(session.expiresAt).toISOString(),
        link: session.link,
      },
    };
  }

  private sendSession(encodedId: string): Answer {
    const id = safeDecode(encodedId);
    const session = id === null ? undefined : this.sessions.get(id);
    if (!session) {
      return {
        status: 404,
        body: { message: 'Not Found', code: 'entity_not_found', entity_id: id ?? encodedId },
      };
    }
    const minutes = Math.max(1, Math.round((session.expiresAt - session.createdAt) / 60_000));
    const text = [
      'Hello,',
      '',
      `Click the link below to sign in. It expires in ${minutes} minutes and can be used once.`,
      '',
      session.link,
      '',
      'If you did not try to sign in, you can ignore this email.',
      '',
    ].join('\n');
    const href = escapeHtml(session.link);
    const html =
      `<!doctype html><html><body><p>Hello,</p>` +
      `<p>Click the link below to sign in. It expires in ${minutes} minutes and can be used once.</p>` +
      `<p><a href="${href}">Sign in</a></p><p>Or paste this link into your browser: ${href}</p>` +
      `<p>If you did not try to sign in, you can ignore this email.</p></body></html>`;
    this.outbox.push({
      to: session.email,
      subject: 'Your Magic Link',
      text,
      html,
      link: session.link,
      sessionId: session.id,
      sentAt: new Date(this.options.now()),
    });
    trim(this.outbox, this.options.maxEntries);
    return { status: 200, body: { success: true } };
  }

  private visitLink(method: string, token: string): Answer {
    if (method !== 'GET' && method !== 'HEAD') return methodNotAllowed('GET, HEAD');
    const session = this.links.get(token);
    if (!session) return { status: 404, body: { message: 'Not Found' } };

    const target = new URL(session.redirectUri);
    const now = this.options.now();
    if (session.used || now >= session.expiresAt) {
      target.searchParams.set('error', 'access_denied');
      target.searchParams.set(
        'error_description',
        'The Magic Link has expired or has already been used.',
      );
    } else {
      session.used = true;
      const code = randomId();
      this.codes.set(code, {
        email: session.email,
        connectionId: session.connectionId,
        expiresAt: now + this.options.codeTtlMs,
      });
      if (this.codes.size > this.options.maxEntries) {
        const oldest = this.codes.keys().next().value;
        if (oldest !== undefined) this.codes.delete(oldest);
      }
      target.searchParams.set('code', code);
    }
    if (session.state !== null) target.searchParams.set('state', session.state);
    return { status: 302, body: null, headers: { Location: target.toString() } };
  }

  private exchangeCode(body: Record<string, unknown> | null): Answer {
    if (body === null) {
      return oauthError('invalid_request', 'The request body could not be parsed.');
    }
    const secret = field(body, 'client_secret');
    if (typeof secret !== 'string' || !timingSafeEqual(sha256(secret), this.apiKeyDigest)) {
      return { status: 401, body: { message: 'Unauthorized' } };
    }
    if (field(body, 'client_id') !== this.clientId) {
      return oauthError('invalid_client', 'Invalid client ID.');
    }
    const grantType = field(body, 'grant_type');
    if (grantType !== 'authorization_code') {
      return oauthError('unsupported_grant_type', `Unsupported grant type '${String(grantType)}'.`);
    }
    const code = field(body, 'code');
    if (typeof code !== 'string' || code === '') {
      return oauthError('invalid_request', 'The code parameter is required.');
    }
    // Look up and delete with no await in between: concurrent exchanges cannot both win.
    const stored = this.codes.get(code);
    this.codes.delete(code);
    if (!stored || this.options.now() >= stored.expiresAt) {
      return oauthError('invalid_grant', `The code '${code}' has expired or is invalid.`);
    }
    const canonical = stored.email.toLowerCase();
    return {
      status: 200,
      body: {
        access_token: randomBytes(32).toString('base64url'),
        profile: {
          object: 'profile',
          id: `prof_${crockfordDigest(`profile:${canonical}`)}`,
          idp_id: crockfordDigest(`idp:${canonical}`),
          organization_id: null,
          connection_id: stored.connectionId,
          connection_type: 'MagicLink',
          email: stored.email,
          first_name: null,
          last_name: null,
          raw_attributes: {},
        },
      },
    };
  }

  private injectedFailure(): Answer {
    const { status, body } = this.failures;
    const headers: Record<string, string> = status === 429 ? { 'Retry-After': '1' } : {};
    return {
      status,
      body: body === undefined ? { message: STATUS_CODES[status] ?? 'Error' } : body,
      headers,
    };
  }

  private hasValidBearer(header: string | undefined): boolean {
    const match = /^Bearer (.+)$/i.exec(header ?? '');
    return match !== null && timingSafeEqual(sha256(match[1]!), this.apiKeyDigest);
  }

  private log(entry: EmulatorRequest): void {
    this.requests.push(entry);
    trim(this.requests, this.options.maxEntries);
  }

  private sleep(ms: number): Promise<void> {
    if (this.closing) return Promise.resolve();
    return new Promise((resolve) => {
      const sleeper = {
        timer: setTimeout(() => {
          this.sleepers.delete(sleeper);
          resolve();
        }, ms),
        wake: resolve,
      };
      this.sleepers.add(sleeper);
    });
  }
}

/** Why `value` is not an acceptable redirect URI, as a WorkOS-style error code, or `null`. */
function redirectUriProblem(value: unknown): string | null {
  if (typeof value !== 'string' || value === '' || value.length > 2048) {
    return 'redirect_uri_invalid';
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'redirect_uri_invalid';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'redirect_uri_invalid';
  if (url.username !== '' || url.password !== '') return 'redirect_uri_invalid';
  // Test the raw string too: `https://a.test/cb?` parses to an empty search but still has a query.
  if (value.includes('?')) return 'redirect_uri_query_not_allowed';
  if (value.includes('#')) return 'redirect_uri_fragment_not_allowed';
  if (url.hostname.includes('*') || /^[a-z]+:\/\/[^/]*\*/i.test(value)) {
    return 'redirect_uri_wildcard_not_allowed';
  }
  return null;
}

function readBody(req: IncomingMessage): Promise<BodyResult> {
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
function parseBody(raw: Buffer, contentType: string | undefined): Record<string, unknown> | null {
  const text = raw.toString('utf8');
  if ((contentType ?? '').toLowerCase().includes('application/x-www-form-urlencoded')) {
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
function field(body: Record<string, unknown>, name: string): unknown {
  if (!Object.hasOwn(body, name)) return undefined;
  const value = body[name];
  return value === null ? undefined : value;
}

function writeJson(res: ServerResponse, answer: Answer): void {
  if (res.headersSent || res.destroyed) return;
  const headers: Record<string, string | number> = {
    'Cache-Control': 'no-store',
    // The SDKs copy this into the `requestID` of the errors they throw.
    'X-Request-ID': randomBytes(8).toString('hex'),
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

function methodNotAllowed(allow = 'POST'): Answer {
  return { status: 405, body: { message: 'Method Not Allowed' }, headers: { Allow: allow } };
}

function malformedBody(): Answer {
  return {
    status: 400,
    body: { message: 'The request body is not valid JSON.', code: 'invalid_json' },
  };
}

function oauthError(error: string, description: string): Answer {
  return { status: 400, body: { error, error_description: description } };
}

function pathOf(url: string | undefined): string {
  try {
    return new URL(url ?? '/', 'http://127.0.0.1').pathname;
  } catch {
    return '/';
  }
}

function safeDecode(value: string): string | null {
  try {
    return decodeURIComponent(value);
  } catch {
    return null;
  }
}

function trim<T>(list: T[], max: number): void {
  if (list.length > max) list.splice(0, list.length - max);
}

function sha256(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/** 26 random Crockford base32 characters, the shape of a WorkOS ULID. */
function randomId(): string {
  return toCrockford(randomBytes(26));
}

/** 26 Crockford base32 characters derived from `value`, so the same input gets the same id. */
function crockfordDigest(value: string): string {
  return toCrockford(sha256(value).subarray(0, 26));
}

function toCrockford(bytes: Buffer): string {
  // 32 divides 256, so masking a byte keeps every character equally likely.
  let out = '';
  for (const byte of bytes) out += CROCKFORD[byte & 31];
  return out;
}
