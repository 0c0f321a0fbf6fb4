import { html } from '../../html';
import { remember, trim } from './bounded';
import { crockfordDigest, randomId, randomToken } from './ids';
import type { ResolvedOptions } from './options';
import { redirectUriProblem } from './redirect-uri';
import type { SsoApi } from './sso';
import type { EmulatorEmail } from './types';
import { field, methodNotAllowed, notFound, safeDecode, validationFailed } from './wire';
import type { Answer, FieldError } from './wire';

/** `expires_in` bounds, in seconds: 15 minutes to a day, as WorkOS documents. */
const MIN_EXPIRES_IN_SECONDS = 15 * 60;
const MAX_EXPIRES_IN_SECONDS = 24 * 60 * 60;
// Loose on purpose: the emulator refuses obvious garbage, the package under test does the strict checks.
export const PLAUSIBLE_EMAIL = /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/;
export const LINK_PATH = /^\/passwordless\/([A-Za-z0-9_-]{8,128})\/confirm$/;
export const SEND_PATH = /^\/passwordless\/sessions\/([^/]+)\/send$/;

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

/** What `POST /passwordless/sessions` asked for, once valid. */
interface SessionRequest {
  email: string;
  state: string | null;
  connection: string | null;
  expiresIn: number | null;
  redirectUri: string;
}

/** Passwordless sessions: create, send (into the outbox) and the link visit that yields a code. */
export class PasswordlessApi {
  private readonly sessions = new Map<string, StoredSession>();
  private readonly links = new Map<string, StoredSession>();
  private readonly defaultConnectionId: string;

  constructor(
    private readonly options: ResolvedOptions,
    private readonly sso: SsoApi,
    private readonly outbox: EmulatorEmail[],
    private readonly baseUrl: () => string,
  ) {
    this.defaultConnectionId = `conn_${crockfordDigest(`connection:${options.clientId}`)}`;
  }

  createSession(body: Record<string, unknown>): Answer {
    const errors: FieldError[] = [];
    const request = this.validate(body, errors);
    if (request === null) return validationFailed(errors);

    const createdAt = this.options.now();
    const ttl = request.expiresIn === null ? this.options.linkTtlMs : request.expiresIn * 1000;
    const token = randomToken(18);
    const session: StoredSession = {
      id: `passwordless_session_${randomId()}`,
      email: request.email,
      state: request.state,
      redirectUri: request.redirectUri,
      connectionId: request.connection ?? this.defaultConnectionId,
      createdAt,
      expiresAt: createdAt + ttl,
      token,
      link: `${this.baseUrl()}/passwordless/${token}/confirm`,
      used: false,
    };
    this.links.set(token, session);
    const evicted = remember(this.sessions, session.id, session, this.options.maxEntries);
    if (evicted) this.links.delete(evicted.token);
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

  sendSession(encodedId: string): Answer {
    const id = safeDecode(encodedId);
    const session = id === null ? undefined : this.sessions.get(id);
    if (!session) {
      return {
        status: 404,
        body: { message: 'Not Found', code: 'entity_not_found', entity_id: id ?? encodedId },
      };
    }
    if (session.used || this.options.now() >= session.expiresAt) {
      return {
        status: 422,
        body: { message: `The passwordless session '${session.id}' has expired or is invalid.` },
      };
    }
    const minutes = Math.max(1, Math.round((session.expiresAt - session.createdAt) / 60_000));
    this.outbox.push({
      to: session.email,
      subject: 'Your Magic Link',
      ...magicLinkEmail(session.link, minutes),
      link: session.link,
      sessionId: session.id,
      sentAt: new Date(this.options.now()),
    });
    trim(this.outbox, this.options.maxEntries);
    return { status: 201, body: { success: true } };
  }

  /** `GET`/`HEAD` of a link: spend it and redirect with a code, or with `access_denied`. */
  visitLink(method: string, token: string): Answer {
    if (method !== 'GET' && method !== 'HEAD') return methodNotAllowed('GET, HEAD');
    const session = this.links.get(token);
    if (!session) return notFound();

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
      target.searchParams.set('code', this.sso.issueCode(session.email, session.connectionId, now));
    }
    const denied = target.searchParams.has('error');
    if (session.state !== null && !(denied && this.options.omitStateOnAccessDenied)) {
      target.searchParams.set('state', session.state);
    }
    return { status: 302, body: null, headers: { Location: target.toString() } };
  }

  private validate(body: Record<string, unknown>, errors: FieldError[]): SessionRequest | null {
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
    if (expiresIn === undefined) {
      // The default lifetime applies.
    } else if (typeof expiresIn !== 'number' || !Number.isInteger(expiresIn)) {
      errors.push({ field: 'expires_in', code: 'expires_in_invalid' });
    } else if (expiresIn < MIN_EXPIRES_IN_SECONDS || expiresIn > MAX_EXPIRES_IN_SECONDS) {
      errors.push({ field: 'expires_in', code: 'expires_in_out_of_range' });
    }

    const redirectUri = this.redirectUri(field(body, 'redirect_uri'), errors);
    if (errors.length > 0 || redirectUri === null) return null;
    return {
      email: email as string,
      state: typeof state === 'string' ? state : null,
      connection: typeof connection === 'string' ? connection : null,
      expiresIn: typeof expiresIn === 'number' ? expiresIn : null,
      redirectUri,
    };
  }

  private redirectUri(given: unknown, errors: FieldError[]): string | null {
    if (given === undefined) {
      if (this.options.defaultRedirectUri === null) {
        errors.push({ field: 'redirect_uri', code: 'redirect_uri_required' });
      }
      return this.options.defaultRedirectUri;
    }
    const problem = redirectUriProblem(given);
    if (problem !== null) {
      errors.push({ field: 'redirect_uri', code: problem });
      return null;
    }
    const allowed = this.options.allowedRedirectUris;
    if (allowed !== null && !allowed.has(given as string)) {
      errors.push({ field: 'redirect_uri', code: 'redirect_uri_not_allowed' });
      return null;
    }
    return given as string;
  }
}

function magicLinkEmail(link: string, minutes: number): { text: string; html: string } {
  const text = [
    'Hello,',
    '',
    `Click the link below to sign in. It expires in ${minutes} minutes and can be used once.`,
    '',
    link,
    '',
    'If you did not try to sign in, you can ignore this email.',
    '',
  ].join('\n');
  const body = html`<!doctype html>
    <html>
      <body>
        <p>Hello,</p>
        <p>
          Click the link below to sign in. It expires in ${minutes} minutes and can be used once.
        </p>
        <p><a href="${link}">Sign in</a></p>
        <p>Or paste this link into your browser: ${link}</p>
        <p>If you did not try to sign in, you can ignore this email.</p>
      </body>
    </html>`;
  return { text, html: body.value };
}
