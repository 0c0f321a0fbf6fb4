import { AuthenticateApi } from './authenticate';
import { MagicAuthApi } from './magic-auth';
import { resolveOptions } from './options';
import type { ResolvedOptions, WorkOSEmulatorOptions } from './options';
import { LINK_PATH, PasswordlessApi, SEND_PATH } from './passwordless';
import { EmulatorServer } from './server';
import { SsoApi } from './sso';
import type {
  EmulatorEmail,
  EmulatorMagicAuthEmail,
  EmulatorRequest,
  EmulatorStepUp,
  EmulatorUser,
  WorkOSEmulator,
  WorkOSEmulatorSdkOptions,
} from './types';
import { UserStore } from './users';
import { malformedBody, methodNotAllowed, notFound, parseBody, unauthorized } from './wire';
import type { Answer, ApiRequest } from './wire';

export {
  DEFAULT_EMULATOR_API_KEY,
  DEFAULT_EMULATOR_CLIENT_ID,
  DEFAULT_EMULATOR_CODE_TTL_MS,
  DEFAULT_EMULATOR_LINK_TTL_MS,
  DEFAULT_EMULATOR_MAX_ENTRIES,
  EMULATOR_MAX_BODY_BYTES,
} from './options';
export {
  DEFAULT_EMULATOR_MAGIC_AUTH_ATTEMPTS,
  DEFAULT_EMULATOR_MAGIC_AUTH_TTL_MS,
} from './magic-auth-options';
export type { MagicAuthEmulatorOptions } from './magic-auth-options';
export type { WorkOSEmulatorOptions } from './options';
export type {
  EmulatorEmail,
  EmulatorMagicAuthEmail,
  EmulatorRequest,
  EmulatorStepUp,
  EmulatorUser,
  EmulatorUserSeed,
  WorkOSEmulator,
  WorkOSEmulatorSdkOptions,
} from './types';

/**
 * Start a local WorkOS Passwordless, SSO token and Magic Auth API on `127.0.0.1` and a random
 * port, for the real `@workos-inc/node` SDK (v8.13 and v11). It speaks the WorkOS wire format:
 *
 * - `POST /passwordless/sessions` → `201` passwordless session with a `link`; `expires_in` (seconds)
 *   must be from 900 to 86400;
 * - `POST /passwordless/sessions/:id/send` → `201 { success: true }`, and the email lands in
 *   `outbox`; a spent or expired session answers `422`;
 * - `GET` or `HEAD` of the link → `302` to `redirect_uri?code=…&state=…`. Either method spends the
 *   link, like the harshest email scanner; a spent or expired link redirects with
 *   `error=access_denied`. A link is valid while `now() < createdAt + ttl`;
 * - `POST /sso/token` → `{ access_token, token_type, expires_in, profile }`. A code is single use,
 *   valid while `now() < issuedAt + codeTtlMs`; a bad one answers `400 invalid_grant`, a wrong
 *   `client_id` or `client_secret` `400 invalid_client`;
 * - Magic Auth (User Management): `POST /user_management/magic_auth` → `201` Magic Auth with a
 *   6-digit `code` (signing the email up unless `allowSignUp: false`; the code lands in
 *   `magicAuthOutbox` unless `workosEmails: false`), `GET /user_management/magic_auth/:id`, and
 *   `POST /user_management/authenticate` with the Magic Auth grant → `{ user, access_token,
 *   refresh_token, authentication_method }`; a refused code answers `400 { code, message }`.
 *
 * A wrong Bearer API key answers `401` (the two token endpoints check `client_secret` instead),
 * invalid fields `422 { message, code, errors }`. Every answer carries a UUID `X-Request-ID`.
 *
 * @example
 * const emulator = await startWorkOSEmulator({ defaultRedirectUri: 'http://localhost:3000/auth/callback' });
 * const workos = new WorkOS(emulator.apiKey, { ...emulator.sdkOptions(), maxRetries: 0 });
 * const session = await workos.passwordless.createSession({ type: 'MagicLink', email: 'a@example.com' });
 * // … fetch(session.link, { redirect: 'manual' }) → 302 with ?code=…
 * const { code } = await workos.userManagement.createMagicAuth({ email: 'a@example.com' });
 * const { user } = await workos.userManagement.authenticateWithMagicAuth({ clientId: emulator.clientId, code, email: 'a@example.com' });
 * await emulator.close();
 */
export async function startWorkOSEmulator(
  options: WorkOSEmulatorOptions = {},
): Promise<WorkOSEmulator> {
  const emulator = new Emulator(resolveOptions(options));
  await emulator.listen();
  return emulator;
}

const MAGIC_AUTH_PATH = /^\/user_management\/magic_auth\/([^/]+)$/;

class Emulator implements WorkOSEmulator {
  readonly outbox: EmulatorEmail[] = [];
  readonly magicAuthOutbox: EmulatorMagicAuthEmail[] = [];
  readonly apiKey: string;
  readonly clientId: string;

  private readonly server: EmulatorServer;
  private readonly sso: SsoApi;
  private readonly passwordless: PasswordlessApi;
  private readonly users: UserStore;
  private readonly magicAuth: MagicAuthApi;
  private readonly authentication: AuthenticateApi;

  constructor(options: ResolvedOptions) {
    this.apiKey = options.apiKey;
    this.clientId = options.clientId;
    this.sso = new SsoApi(options);
    this.passwordless = new PasswordlessApi(options, this.sso, this.outbox, () => this.url);
    this.users = new UserStore(options.magicAuth.users, options.now, options.maxEntries);
    this.magicAuth = new MagicAuthApi(options, this.users, this.magicAuthOutbox);
    this.authentication = new AuthenticateApi(
      options,
      this.sso,
      this.users,
      this.magicAuth,
      () => `${this.url}/user_management/${this.clientId}`,
    );
    this.server = new EmulatorServer(
      { visit: (method, path) => this.visit(method, path), api: (req) => this.route(req) },
      options.maxEntries,
    );
  }

  get requests(): EmulatorRequest[] {
    return this.server.requests;
  }

  get port(): number {
    return this.server.port;
  }

  get url(): string {
    return this.server.url;
  }

  listen(): Promise<void> {
    return this.server.listen();
  }

  sdkOptions(): WorkOSEmulatorSdkOptions {
    return { apiHostname: '127.0.0.1', port: this.port, https: false, clientId: this.clientId };
  }

  failNext(count: number, status: number, body?: unknown): void {
    this.server.failNext(count, status, body);
  }

  delay(ms: number): void {
    this.server.delay(ms);
  }

  refuseConnections(on: boolean): void {
    this.server.refuseConnections(on);
  }

  requireStepUp(kind: EmulatorStepUp | null): void {
    if (kind !== null && kind !== 'organization_selection_required' && kind !== 'mfa_challenge') {
      throw new TypeError(
        "requireStepUp: kind must be 'organization_selection_required', 'mfa_challenge' or null.",
      );
    }
    this.authentication.stepUp = kind;
  }

  findUser(email: string): EmulatorUser | undefined {
    return this.users.snapshot(email);
  }

  reset(): void {
    this.outbox.length = 0;
    this.magicAuthOutbox.length = 0;
    this.authentication.stepUp = null;
    this.server.reset();
  }

  close(): Promise<void> {
    return this.server.close();
  }

  private visit(method: string, path: string): Answer | null {
    const link = LINK_PATH.exec(path);
    return link ? this.passwordless.visitLink(method, link[1]!) : null;
  }

  private route(req: ApiRequest): Answer {
    const { method, path } = req;
    // The OAuth-style endpoints authenticate with client_id and client_secret in the body.
    if (path === '/sso/token' || path === '/user_management/authenticate') {
      if (method !== 'POST') return methodNotAllowed();
      const body = parseBody(req);
      return path === '/sso/token'
        ? this.sso.exchangeCode(body)
        : this.authentication.authenticate(body);
    }
    const bearer = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '');
    if (bearer === null || !this.sso.isApiKey(bearer[1])) return unauthorized();
    if (path === '/passwordless/sessions' || path === '/user_management/magic_auth') {
      if (method !== 'POST') return methodNotAllowed();
      const body = parseBody(req);
      if (body === null) return malformedBody();
      return path === '/passwordless/sessions'
        ? this.passwordless.createSession(body)
        : this.magicAuth.create(body);
    }
    const send = SEND_PATH.exec(path);
    if (send) {
      if (method !== 'POST') return methodNotAllowed();
      return this.passwordless.sendSession(send[1]!);
    }
    const magicAuth = MAGIC_AUTH_PATH.exec(path);
    if (magicAuth) {
      if (method !== 'GET') return methodNotAllowed('GET');
      return this.magicAuth.get(magicAuth[1]!);
    }
    return notFound();
  }
}
