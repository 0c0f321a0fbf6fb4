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
  | 'ERR_SIGN_IN_REFUSED'
  | 'ERR_RATE_LIMITED'
  | 'ERR_PROVIDER_UNAVAILABLE'
  | 'ERR_MAIL_FAILED'
  | 'ERR_STORE_UNAVAILABLE'
  | 'ERR_SESSION_FAILED'
  | 'ERR_NOT_FOUND';

const DEFAULT_STATUS: Record<MagicLinkErrorCode, number> = {
  ERR_BAD_REQUEST: 400,
  ERR_BAD_EMAIL: 400,
  ERR_BODY_TOO_LARGE: 413,
  ERR_CROSS_SITE: 403,
  ERR_STATE_INVALID: 400,
  ERR_STATE_EXPIRED: 400,
  ERR_LINK_INVALID: 400,
  ERR_LINK_EXPIRED: 400,
  ERR_CODE_INVALID: 400,
  ERR_CODE_LOCKED: 429,
  ERR_CROSS_DEVICE_DENIED: 403,
  ERR_SIGN_IN_REFUSED: 403,
  ERR_RATE_LIMITED: 429,
  ERR_PROVIDER_UNAVAILABLE: 503,
  ERR_MAIL_FAILED: 503,
  ERR_STORE_UNAVAILABLE: 503,
  ERR_SESSION_FAILED: 503,
  ERR_NOT_FOUND: 404,
};

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

  constructor(
    code: MagicLinkErrorCode,
    message: string,
    options: { cause?: unknown; status?: number; retryAfter?: number } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = options.status ?? DEFAULT_STATUS[code];
    this.retryAfter = options.retryAfter;
  }
}

export function isMagicLinkError(value: unknown): value is MagicLinkError {
  return value instanceof MagicLinkError;
}
