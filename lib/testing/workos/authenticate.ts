import { randomToken, randomId } from './ids';
import { magicAuthNotAllowed, oneTimeCodeError } from './magic-auth';
import type { MagicAuthApi } from './magic-auth';
import type { ResolvedOptions } from './options';
import type { SsoApi } from './sso';
import type { EmulatorStepUp } from './types';
import type { StoredUser, UserStore } from './users';
import { wireUser } from './users';
import { field, invalidClient, oauthError, optionalString, validationFailed } from './wire';
import type { Answer, FieldError } from './wire';

export const MAGIC_AUTH_GRANT = 'urn:workos:oauth:grant-type:magic-auth:code';
/** WorkOS access tokens live 5 minutes. */
const ACCESS_TOKEN_TTL_SECONDS = 5 * 60;

/** `POST /user_management/authenticate` with the Magic Auth grant. */
export class AuthenticateApi {
  stepUp: EmulatorStepUp | null = null;

  constructor(
    private readonly options: ResolvedOptions,
    private readonly sso: SsoApi,
    private readonly users: UserStore,
    private readonly magicAuth: MagicAuthApi,
    private readonly issuer: () => string,
  ) {}

  authenticate(body: Record<string, unknown> | null): Answer {
    if (body === null) {
      return oauthError('invalid_request', 'The request body could not be parsed.');
    }
    if (
      !this.sso.isApiKey(field(body, 'client_secret')) ||
      field(body, 'client_id') !== this.options.clientId
    ) {
      return invalidClient();
    }
    const grantType = field(body, 'grant_type');
    if (grantType !== MAGIC_AUTH_GRANT) {
      return oauthError('unsupported_grant_type', `Unsupported grant type '${String(grantType)}'.`);
    }
    if (!this.options.magicAuth.enabled) return magicAuthNotAllowed();

    const errors: FieldError[] = [];
    const code = field(body, 'code');
    const email = field(body, 'email');
    if (typeof code !== 'string' || code === '')
      errors.push({ field: 'code', code: 'code_required' });
    if (typeof email !== 'string' || email === '') {
      errors.push({ field: 'email', code: 'email_required' });
    }
    if (errors.length > 0) return validationFailed(errors);

    const user = this.users.get(email as string);
    const problem = this.magicAuth.verify(user, code as string);
    if (problem !== null || !user) return oneTimeCodeError(problem ?? 'invalid_one_time_code');
    if (this.stepUp !== null) return this.stepUpAnswer(this.stepUp, user);

    this.users.signedIn(
      user,
      optionalString(body, 'ip_address'),
      optionalString(body, 'user_agent'),
    );
    return {
      status: 200,
      body: {
        user: wireUser(user),
        ...(user.organizationId !== null && { organization_id: user.organizationId }),
        access_token: this.accessToken(user),
        refresh_token: randomToken(24),
        authentication_method: 'MagicAuth',
      },
    };
  }

  /** A JWT-shaped access token; its signature is random, so nothing can verify it. */
  private accessToken(user: StoredUser): string {
    const iat = Math.floor(this.options.now() / 1000);
    const header = { alg: 'RS256', kid: 'sso_oidc_key_pair_emulator', typ: 'JWT' };
    const payload = {
      iss: this.issuer(),
      sub: user.id,
      sid: `session_${randomId()}`,
      jti: randomId(),
      ...(user.organizationId !== null && { org_id: user.organizationId }),
      iat,
      exp: iat + ACCESS_TOKEN_TTL_SECONDS,
    };
    const encode = (part: object) => Buffer.from(JSON.stringify(part)).toString('base64url');
    return `${encode(header)}.${encode(payload)}.${randomToken(64)}`;
  }

  private stepUpAnswer(kind: EmulatorStepUp, user: StoredUser): Answer {
    const now = this.options.now();
    const common = {
      code: kind,
      pending_authentication_token: randomToken(24),
      user: wireUser(user),
    };
    if (kind === 'organization_selection_required') {
      return {
        status: 403,
        body: {
          ...common,
          message: 'The user must choose an organization to finish their authentication.',
          organizations: [
            { id: user.organizationId ?? `org_${randomId()}`, name: 'Emulator Organization' },
          ],
        },
      };
    }
    const at = new Date(now).toISOString();
    const factorId = `auth_factor_${randomId()}`;
    return {
      status: 403,
      body: {
        ...common,
        message: 'The user must complete an MFA challenge to finish authenticating.',
        authentication_factors: [
          {
            object: 'authentication_factor',
            id: factorId,
            type: 'totp',
            user_id: user.id,
            created_at: at,
            updated_at: at,
          },
        ],
        authentication_challenge: {
          object: 'authentication_challenge',
          id: `auth_challenge_${randomId()}`,
          authentication_factor_id: factorId,
          expires_at: new Date(now + 5 * 60 * 1000).toISOString(),
          created_at: at,
          updated_at: at,
        },
      },
    };
  }
}
