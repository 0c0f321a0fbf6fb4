import { resolveOptions } from './options';
import type { ResolvedOptions, WorkOSEmulatorOptions } from './options';
import { LINK_PATH, PasswordlessApi, SEND_PATH } from './passwordless';
import { EmulatorServer } from './server';
import { SsoApi } from './sso';
import type {
  EmulatorEmail,
  EmulatorRequest,
  WorkOSEmulator,
  WorkOSEmulatorSdkOptions,
} from './types';
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
export type { WorkOSEmulatorOptions } from './options';
export type {
  EmulatorEmail,
  EmulatorRequest,
  WorkOSEmulator,
  WorkOSEmulatorSdkOptions,
} from './types';

/**
 * Start a local WorkOS Passwordless + SSO token API on `127.0.0.1` and a random port, for the real
 * `@workos-inc/node` SDK (v8 and v11). It speaks the WorkOS wire format:
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
 *   `client_id` or `client_secret` `400 invalid_client`.
 *
 * A wrong API key answers `401`, invalid fields `422 { message, code, errors }`. Every answer
 * carries a UUID `X-Request-ID`.
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

class Emulator implements WorkOSEmulator {
  readonly outbox: EmulatorEmail[] = [];
  readonly apiKey: string;
  readonly clientId: string;

  private readonly server: EmulatorServer;
  private readonly sso: SsoApi;
  private readonly passwordless: PasswordlessApi;

  constructor(options: ResolvedOptions) {
    this.apiKey = options.apiKey;
    this.clientId = options.clientId;
    this.sso = new SsoApi(options);
    this.passwordless = new PasswordlessApi(options, this.sso, this.outbox, () => this.url);
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

  reset(): void {
    this.outbox.length = 0;
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
    if (path === '/sso/token') {
      if (method !== 'POST') return methodNotAllowed();
      return this.sso.exchangeCode(parseBody(req));
    }
    const bearer = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '');
    if (bearer === null || !this.sso.isApiKey(bearer[1])) return unauthorized();
    if (path === '/passwordless/sessions') {
      if (method !== 'POST') return methodNotAllowed();
      const body = parseBody(req);
      if (body === null) return malformedBody();
      return this.passwordless.createSession(body);
    }
    const send = SEND_PATH.exec(path);
    if (send) {
      if (method !== 'POST') return methodNotAllowed();
      return this.passwordless.sendSession(send[1]!);
    }
    return notFound();
  }
}
