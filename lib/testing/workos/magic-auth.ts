import { randomInt, timingSafeEqual } from 'node:crypto';
import { remember, trim } from './bounded';
import { randomId } from './ids';
import type { ResolvedOptions } from './options';
import { PLAUSIBLE_EMAIL } from './passwordless';
import type { EmulatorMagicAuthEmail } from './types';
import type { StoredUser, UserStore } from './users';
import { field, oauthError, optionalString, safeDecode, validationFailed } from './wire';
import type { Answer, FieldError } from './wire';

interface StoredMagicAuth {
  id: string;
  userId: string;
  email: string;
  code: string;
  createdAt: number;
  expiresAt: number;
  used: boolean;
  failedAttempts: number;
}

/** Codes kept per user when a new code does not void the earlier ones. */
const MAX_LIVE_CODES_PER_USER = 10;

/** Why a Magic Auth code was refused, as the `code` of WorkOS's `400 { code, message }`. */
export type OneTimeCodeProblem =
  | 'invalid_one_time_code'
  | 'one_time_code_expired'
  | 'one_time_code_previously_used'
  | 'one_time_code_too_many_attempts';

const PROBLEM_MESSAGES: Record<OneTimeCodeProblem, string> = {
  invalid_one_time_code: 'The code is invalid.',
  one_time_code_expired: 'The code has expired. Request a new one.',
  one_time_code_previously_used: 'The code has already been used. Request a new one.',
  one_time_code_too_many_attempts: 'Too many attempts with this code. Request a new one.',
};

export function oneTimeCodeError(problem: OneTimeCodeProblem): Answer {
  return { status: 400, body: { code: problem, message: PROBLEM_MESSAGES[problem] } };
}

export function magicAuthNotAllowed(): Answer {
  return oauthError(
    'authentication_method_not_allowed',
    'Magic Auth is not enabled for this environment.',
  );
}

/** `POST /user_management/magic_auth`, `GET /user_management/magic_auth/:id`, and code checks. */
export class MagicAuthApi {
  private readonly byId = new Map<string, StoredMagicAuth>();
  /**
   * Each user's codes that may still work, oldest first: only the newest when a new code voids
   * the earlier ones (`magicAuthVoidsEarlierCode`, WorkOS's behaviour), else all of them.
   */
  private readonly codesByUser = new Map<string, StoredMagicAuth[]>();

  constructor(
    private readonly options: ResolvedOptions,
    private readonly users: UserStore,
    private readonly outbox: EmulatorMagicAuthEmail[],
  ) {}

  create(body: Record<string, unknown>): Answer {
    const settings = this.options.magicAuth;
    if (!settings.enabled) return magicAuthNotAllowed();
    const errors: FieldError[] = [];
    const email = field(body, 'email');
    if (email === undefined || email === '') {
      errors.push({ field: 'email', code: 'email_required' });
    } else if (typeof email !== 'string' || email.length > 320 || !PLAUSIBLE_EMAIL.test(email)) {
      errors.push({ field: 'email', code: 'email_invalid' });
    }
    for (const name of ['invitation_token', 'ip_address', 'user_agent']) {
      const value = field(body, name);
      if (value !== undefined && typeof value !== 'string') {
        errors.push({ field: name, code: `${name}_must_be_string` });
      }
    }
    if (errors.length > 0) return validationFailed(errors);

    const address = email as string;
    const domain = address.slice(address.lastIndexOf('@') + 1).toLowerCase();
    if (settings.undeliverableDomains.has(domain)) {
      return {
        status: 400,
        body: {
          code: 'email_domain_not_deliverable',
          message: `The email domain '${domain}' cannot receive email.`,
        },
      };
    }
    let user = this.users.get(address);
    if (!user) {
      if (!settings.allowSignUp) {
        return oauthError('sign_up_not_allowed', 'Sign up is not allowed for this environment.');
      }
      user = this.users.create({ email: address });
    }
    const magicAuth = this.issue(user);
    if (settings.workosEmails) {
      this.outbox.push({
        to: user.email,
        code: magicAuth.code,
        magicAuthId: magicAuth.id,
        userId: user.id,
        ipAddress: optionalString(body, 'ip_address'),
        userAgent: optionalString(body, 'user_agent'),
        sentAt: new Date(magicAuth.createdAt),
      });
      trim(this.outbox, this.options.maxEntries);
    }
    return { status: 201, body: wireMagicAuth(magicAuth) };
  }

  get(encodedId: string): Answer {
    const id = safeDecode(encodedId) ?? encodedId;
    const magicAuth = this.byId.get(id);
    if (!magicAuth) {
      return {
        status: 404,
        body: { message: `MagicAuth not found: '${id}'.`, code: 'entity_not_found', entity_id: id },
      };
    }
    return { status: 200, body: wireMagicAuth(magicAuth) };
  }

  /**
   * Check `code` against the user's latest Magic Auth code and spend it if right; a wrong code
   * counts as an attempt. Returns the problem, or `null` when the code was right.
   */
  verify(user: StoredUser | undefined, code: string): OneTimeCodeProblem | null {
    const codes = user && this.codesByUser.get(user.id);
    const latest = codes?.[codes.length - 1];
    if (!codes || !latest) return 'invalid_one_time_code';
    if (latest.failedAttempts >= this.options.magicAuth.attempts) {
      return 'one_time_code_too_many_attempts';
    }
    const magicAuth = codes.find((candidate) => sameCode(code, candidate.code));
    if (!magicAuth) {
      latest.failedAttempts += 1;
      return 'invalid_one_time_code';
    }
    if (magicAuth.failedAttempts >= this.options.magicAuth.attempts) {
      return 'one_time_code_too_many_attempts';
    }
    if (magicAuth.used) return 'one_time_code_previously_used';
    if (this.options.now() >= magicAuth.expiresAt) return 'one_time_code_expired';
    // Checked and spent with no await in between: concurrent attempts cannot both win.
    magicAuth.used = true;
    return null;
  }

  private issue(user: StoredUser): StoredMagicAuth {
    const createdAt = this.options.now();
    const magicAuth: StoredMagicAuth = {
      id: `magic_auth_${randomId()}`,
      userId: user.id,
      email: user.email,
      code: String(randomInt(0, 1_000_000)).padStart(6, '0'),
      createdAt,
      expiresAt: createdAt + this.options.magicAuth.codeTtlMs,
      used: false,
      failedAttempts: 0,
    };
    remember(this.byId, magicAuth.id, magicAuth, this.options.maxEntries);
    const now = this.options.now();
    const earlier = this.options.magicAuth.voidsEarlierCode
      ? []
      : (this.codesByUser.get(user.id) ?? []).filter((c) => !c.used && now < c.expiresAt);
    // Delete first, so the map's eviction order follows the latest code.
    this.codesByUser.delete(user.id);
    remember(
      this.codesByUser,
      user.id,
      [...earlier.slice(-(MAX_LIVE_CODES_PER_USER - 1)), magicAuth],
      this.options.maxEntries,
    );
    return magicAuth;
  }
}

function sameCode(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function wireMagicAuth(magicAuth: StoredMagicAuth): Record<string, unknown> {
  const created = new Date(magicAuth.createdAt).toISOString();
  return {
    object: 'magic_auth',
    id: magicAuth.id,
    user_id: magicAuth.userId,
    email: magicAuth.email,
    code: magicAuth.code,
    expires_at: new Date(magicAuth.expiresAt).toISOString(),
    created_at: created,
    updated_at: created,
  };
}
