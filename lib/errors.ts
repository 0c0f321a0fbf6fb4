import { en } from './i18n/locales/en';
import type { MessageKey } from './i18n/locales/en';

/**
 * Every runtime failure the package knows about. The code is exact (for logs and `onEvent`);
 * what the visitor sees is deliberately vaguer, so that expired, used, tampered and unknown
 * credentials all look alike.
 */
export type MagicLinkErrorCode =
  | 'ERR_BAD_REQUEST'
  | 'ERR_BAD_EMAIL'
  | 'ERR_BODY_TOO_LARGE'
  | 'ERR_CROSS_SITE'
  | 'ERR_STATE_INVALID'
  | 'ERR_STATE_EXPIRED'
  | 'ERR_LINK_INVALID'
  | 'ERR_LINK_EXPIRED'
  | 'ERR_CODE_INVALID'
  | 'ERR_CODE_LOCKED'
  | 'ERR_CROSS_DEVICE_DENIED'
  | 'ERR_RESEND_ELSEWHERE'
  | 'ERR_SIGN_IN_REFUSED'
  | 'ERR_RATE_LIMITED'
  | 'ERR_PROVIDER_UNAVAILABLE'
  | 'ERR_PROVIDER_MISCONFIGURED'
  | 'ERR_MAIL_FAILED'
  | 'ERR_STORE_UNAVAILABLE'
  | 'ERR_SESSION_FAILED'
  | 'ERR_HUMAN_CHECK_FAILED'
  | 'ERR_HUMAN_CHECK_UNAVAILABLE'
  | 'ERR_HUMAN_CHECK_MISCONFIGURED'
  | 'ERR_NOT_FOUND'
  | 'ERR_INTERNAL'
  | 'ERR_PASSKEY_INVALID'
  | 'ERR_UNAUTHENTICATED'
  | 'ERR_REAUTHENTICATION_REQUIRED';

/** Which page a failure shows a browser. */
export type ErrorPage = 'expired' | 'sign-in' | 'sent' | 'denied' | 'error';

/** One row per code: everything the package says or does about it, in one place. */
export interface ErrorRow {
  status: number;
  /** What the visitor reads, in English: deliberately vague where detail would help an attacker. */
  message: string;
  /** The same message's key in the locale catalogues (lib/i18n/locales), for other languages. */
  messageKey: MessageKey;
  page: ErrorPage;
  /** The event `onEvent` receives; `null` where a more specific event was already emitted. */
  event: 'sign_in_failed' | 'provider_error' | null;
}

/** A row's message, in English (for logs and tests) and by key (for every other language). */
function says(key: MessageKey): { message: string; messageKey: MessageKey } {
  return { message: en[key], messageKey: key };
}

const EXPIRED = says('errExpired');
const TRY_AGAIN = says('errTryAgain');

/** The error table. Adding a code touches one row here and one in docs/errors-and-events.md. */
export const ERRORS: Readonly<Record<MagicLinkErrorCode, Readonly<ErrorRow>>> = {
  ERR_BAD_REQUEST: {
    status: 400,
    ...says('errBadRequest'),
    page: 'error',
    event: 'sign_in_failed',
  },
  ERR_BAD_EMAIL: {
    status: 400,
    ...says('errBadEmail'),
    page: 'sign-in',
    event: 'sign_in_failed',
  },
  ERR_BODY_TOO_LARGE: {
    status: 413,
    ...says('errBodyTooLarge'),
    page: 'error',
    event: 'sign_in_failed',
  },
  ERR_CROSS_SITE: {
    status: 403,
    ...says('errCrossSite'),
    page: 'error',
    event: 'sign_in_failed',
  },
  ERR_STATE_INVALID: {
    status: 400,
    ...says('errStateInvalid'),
    page: 'expired',
    event: 'sign_in_failed',
  },
  ERR_STATE_EXPIRED: { status: 400, ...EXPIRED, page: 'expired', event: 'sign_in_failed' },
  ERR_LINK_INVALID: { status: 400, ...EXPIRED, page: 'expired', event: 'sign_in_failed' },
  ERR_LINK_EXPIRED: { status: 400, ...EXPIRED, page: 'expired', event: 'sign_in_failed' },
  ERR_CODE_INVALID: {
    status: 400,
    ...says('errCodeInvalid'),
    page: 'sent',
    event: 'sign_in_failed',
  },
  ERR_CODE_LOCKED: {
    status: 429,
    ...says('errCodeLocked'),
    page: 'error',
    event: 'sign_in_failed',
  },
  ERR_CROSS_DEVICE_DENIED: {
    status: 403,
    ...says('errCrossDeviceDenied'),
    page: 'denied',
    event: 'sign_in_failed',
  },
  // "Email me a new link" from a browser that does not hold the old link's binding: the
  // sign-in form, where a person types the address (hardening round 2, G01).
  ERR_RESEND_ELSEWHERE: { status: 400, ...EXPIRED, page: 'sign-in', event: 'sign_in_failed' },
  ERR_SIGN_IN_REFUSED: {
    status: 403,
    ...says('errSignInRefused'),
    page: 'error',
    event: 'sign_in_failed',
  },
  ERR_RATE_LIMITED: {
    status: 429,
    ...says('errRateLimited'),
    page: 'error',
    event: null,
  },
  ERR_PROVIDER_UNAVAILABLE: {
    status: 503,
    ...says('errProviderUnavailable'),
    page: 'error',
    event: 'provider_error',
  },
  ERR_PROVIDER_MISCONFIGURED: {
    status: 503,
    ...TRY_AGAIN,
    page: 'error',
    event: 'provider_error',
  },
  ERR_MAIL_FAILED: {
    status: 503,
    ...says('errMailFailed'),
    page: 'error',
    event: 'provider_error',
  },
  ERR_STORE_UNAVAILABLE: {
    status: 503,
    ...TRY_AGAIN,
    page: 'error',
    event: 'provider_error',
  },
  ERR_SESSION_FAILED: { status: 503, ...TRY_AGAIN, page: 'error', event: 'provider_error' },
  // `human_check_failed` is emitted where the check failed, with the verifier's reason.
  ERR_HUMAN_CHECK_FAILED: {
    status: 400,
    ...says('errHumanCheckFailed'),
    page: 'sign-in',
    event: null,
  },
  ERR_HUMAN_CHECK_UNAVAILABLE: {
    status: 503,
    ...says('errHumanCheckUnavailable'),
    page: 'error',
    event: 'provider_error',
  },
  ERR_HUMAN_CHECK_MISCONFIGURED: {
    status: 503,
    ...TRY_AGAIN,
    page: 'error',
    event: 'provider_error',
  },
  ERR_NOT_FOUND: { status: 404, ...says('errNotFound'), page: 'error', event: 'sign_in_failed' },
  // Anything else that failed on one of our routes: a bug in an app callback (onSignIn
  // throwing or returning no user, a custom page), in an adapter, or in the package. The
  // visitor gets the generic page and never a stack; the event carries the error.
  ERR_INTERNAL: { status: 500, ...TRY_AGAIN, page: 'error', event: 'provider_error' },
  // `passkey_failed` is emitted where the ceremony failed, with the exact reason.
  ERR_PASSKEY_INVALID: {
    status: 400,
    ...says('errPasskeyInvalid'),
    page: 'error',
    event: null,
  },
  ERR_UNAUTHENTICATED: {
    status: 401,
    ...says('errUnauthenticated'),
    page: 'sign-in',
    event: null,
  },
  ERR_REAUTHENTICATION_REQUIRED: {
    status: 401,
    ...says('errReauthenticationRequired'),
    page: 'error',
    event: null,
  },
};

/** What an error's page needs, gathered where the error happened, so nothing re-reads the request. */
export interface ErrorContext {
  /** A genuine (possibly expired) state, for the expired page's one-click resend. */
  resendState?: string;
  /** The visitor's safe returnTo, for the sign-in page shown again after a bad address. */
  returnTo?: string;
}

/**
 * The one error class thrown (or passed to `next`) at run time. Switch on `code`.
 *
 * @example
 * if (err instanceof MagicLinkError && err.code === 'ERR_RATE_LIMITED') res.set('Retry-After', String(err.retryAfter));
 */
export class MagicLinkError extends Error {
  override readonly name = 'MagicLinkError';
  readonly code: MagicLinkErrorCode;
  readonly status: number;
  /** Seconds until a retry may succeed; set on `ERR_RATE_LIMITED` and `ERR_CODE_LOCKED`. */
  readonly retryAfter: number | undefined;
  /** What the failure's page needs; filled in by the flow where it knows it. */
  context: ErrorContext = {};

  constructor(
    code: MagicLinkErrorCode,
    message: string,
    options: { cause?: unknown; status?: number; retryAfter?: number } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = options.status ?? ERRORS[code].status;
    this.retryAfter = options.retryAfter;
  }
}

export function isMagicLinkError(value: unknown): value is MagicLinkError {
  return value instanceof MagicLinkError;
}
