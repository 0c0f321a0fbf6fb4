import { timingSafeEqual } from 'node:crypto';
import { remember } from './bounded';
import { crockfordDigest, randomId, randomToken, sha256 } from './ids';
import type { ResolvedOptions } from './options';
import { field, invalidClient, oauthError } from './wire';
import type { Answer } from './wire';

/** The `expires_in` of an SSO access token; WorkOS does not document it, so this is a guess. */
const SSO_ACCESS_TOKEN_EXPIRES_IN_SECONDS = 600;

interface StoredCode {
  email: string;
  connectionId: string;
  expiresAt: number;
}

/** `POST /sso/token`: the authorization codes a Magic Link yields, and their exchange. */
export class SsoApi {
  private readonly codes = new Map<string, StoredCode>();
  private readonly apiKeyDigest: Buffer;

  constructor(private readonly options: ResolvedOptions) {
    this.apiKeyDigest = sha256(options.apiKey);
  }

  /** A new single-use code for `email`, valid for `codeTtlMs` from now. */
  issueCode(email: string, connectionId: string, now: number): string {
    const code = randomId();
    remember(
      this.codes,
      code,
      { email, connectionId, expiresAt: now + this.options.codeTtlMs },
      this.options.maxEntries,
    );
    return code;
  }

  /** Whether `secret` is the API key, compared in constant time. */
  isApiKey(secret: unknown): boolean {
    return typeof secret === 'string' && timingSafeEqual(sha256(secret), this.apiKeyDigest);
  }

  exchangeCode(body: Record<string, unknown> | null): Answer {
    if (body === null) {
      return oauthError('invalid_request', 'The request body could not be parsed.');
    }
    if (
      !this.isApiKey(field(body, 'client_secret')) ||
      field(body, 'client_id') !== this.options.clientId
    ) {
      return invalidClient();
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
        access_token: randomToken(32),
        token_type: 'Bearer',
        expires_in: SSO_ACCESS_TOKEN_EXPIRES_IN_SECONDS,
        profile: {
          object: 'profile',
          id: `prof_${crockfordDigest(`profile:${canonical}`)}`,
          idp_id: crockfordDigest(`idp:${canonical}`),
          organization_id: null,
          connection_id: stored.connectionId,
          connection_type: 'MagicLink',
          email: stored.email,
          name: null,
          first_name: null,
          last_name: null,
          raw_attributes: {},
        },
      },
    };
  }
}
