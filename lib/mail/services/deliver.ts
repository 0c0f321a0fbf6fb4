import { randomUUID } from 'node:crypto';
import { MagicLinkError } from '../../errors';
import { checkMessage, redactAddresses, validateFrom } from '../checks';
import type { MailMessage, Mailer } from '../mailer';

/**
 * What the four service mailers share: option checks, the time limit of each attempt, retries
 * with back-off, the idempotency key, and turning a service's error into `ERR_MAIL_FAILED`.
 * Each service file only says how to call its SDK and how to read its errors.
 */

/** Time limits and retries of a service mailer. Every field is optional. */
export interface ServiceMailerOptions {
  /**
   * The sender: `'no-reply@example.com'` or `'Acme <no-reply@example.com>'`. It must be a
   * sender the service has verified.
   */
  from: string;
  /**
   * How long one call to the service may take, in milliseconds.
   * @default 10_000
   */
  timeoutMs?: number;
  /**
   * How many times a 429, a 5xx or a dropped connection is tried again, 0 to 2.
   * @default 2
   */
  retries?: number;
  /**
   * The first wait before a retry, in milliseconds; doubled for the second, with jitter.
   * @default 500
   */
  backoffMs?: number;
  /**
   * The longest `Retry-After` the mailer waits for; a longer one fails the send at once.
   * @default 10_000
   */
  maxRetryAfterMs?: number;
  /**
   * How long one send may take in all, attempts and waits included, in milliseconds. A message
   * with `expiresAt` also stops at the link's expiry, whichever comes first.
   * @default 45_000
   */
  totalTimeoutMs?: number;
  /**
   * The tag or category the service records on the message, so its dashboard can tell sign-in
   * mail apart. ASCII letters, digits, `_` and `-`.
   * @default 'sign-in'
   */
  tag?: string;
}

/** The defaults of {@link ServiceMailerOptions}. */
export const DEFAULT_SERVICE_MAILER_OPTIONS = Object.freeze({
  timeoutMs: 10_000,
  retries: 2,
  backoffMs: 500,
  maxRetryAfterMs: 10_000,
  totalTimeoutMs: 45_000,
  tag: 'sign-in',
});

/** The most retries any service mailer makes, whatever the options say. */
export const MAX_SERVICE_RETRIES = 2;

/** A service's answer that was not a success, read from whatever its SDK returned or threw. */
export interface ServiceFailure {
  /** The HTTP status, or null when there was none (a dropped connection, a refused one). */
  status: number | null;
  /** The service's own words, e.g. `validation_error: The from address is not verified`. */
  reason: string;
  /** The `Retry-After` header, when the SDK shows it. */
  retryAfter?: string | null;
  /** Set by a service whose own words say to try again whatever the status. */
  retryable?: boolean;
}

/** What one attempt gets: the signal to abort it, and the key that makes a retry a no-op. */
export interface Attempt {
  signal: AbortSignal;
  idempotencyKey: string;
}

/** A service as its mailer sees it. */
export interface ServiceAdapter {
  /** The factory, e.g. `resendMailer`, for messages. */
  factory: string;
  /** The service, e.g. `Resend`. */
  service: string;
  /**
   * True when the SDK retries on its own (the AWS SDK does), so retrying here would multiply
   * the attempts. The time limit then covers the SDK's retries too.
   */
  sdkRetries?: boolean;
  /** Sends once. Resolves on acceptance; rejects with anything, which `describe` reads. */
  send(message: MailMessage, attempt: Attempt): Promise<void>;
  /** Reads an SDK error or a refused answer. */
  describe(error: unknown): ServiceFailure;
  /** What to do about a failure the app can fix (bad key, unverified sender), or undefined. */
  fixFor(failure: ServiceFailure): string | undefined;
}

/** A refusal as `send` rejects with it, when the SDK returns errors instead of throwing them. */
export class ServiceRefusal extends Error {
  constructor(readonly failure: ServiceFailure) {
    super(failure.reason);
    this.name = 'ServiceRefusal';
  }
}

const TAG = /^[A-Za-z0-9_-]{1,64}$/;
const MAX_REASON_LENGTH = 300;

interface Resolved {
  timeoutMs: number;
  retries: number;
  backoffMs: number;
  maxRetryAfterMs: number;
  totalTimeoutMs: number;
  tag: string;
  from: string;
}

function checkMs(factory: string, name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new TypeError(
      `${factory}: ${name} must be a number of milliseconds, 0 or more. Fix: leave it out for ${fallback}.`,
    );
  }
  return value;
}

/** Checks the options every service mailer takes; throws a TypeError naming the fix. */
export function resolveServiceOptions(factory: string, options: ServiceMailerOptions): Resolved {
  const d = DEFAULT_SERVICE_MAILER_OPTIONS;
  const retries = options.retries ?? d.retries;
  if (!Number.isInteger(retries) || retries < 0 || retries > MAX_SERVICE_RETRIES) {
    throw new TypeError(
      `${factory}: retries must be 0, 1 or 2. Fix: leave it out for ${d.retries}.`,
    );
  }
  const tag = options.tag ?? d.tag;
  if (typeof tag !== 'string' || !TAG.test(tag)) {
    throw new TypeError(
      `${factory}: tag must be 1 to 64 ASCII letters, digits, '_' or '-'. Fix: e.g. tag: 'sign-in'.`,
    );
  }
  const timeoutMs = checkMs(factory, 'timeoutMs', options.timeoutMs, d.timeoutMs);
  if (timeoutMs === 0) {
    throw new TypeError(`${factory}: timeoutMs must be more than 0. Fix: e.g. timeoutMs: 10_000.`);
  }
  return {
    from: validateFrom(options.from, factory),
    timeoutMs,
    retries,
    backoffMs: checkMs(factory, 'backoffMs', options.backoffMs, d.backoffMs),
    maxRetryAfterMs: checkMs(
      factory,
      'maxRetryAfterMs',
      options.maxRetryAfterMs,
      d.maxRetryAfterMs,
    ),
    totalTimeoutMs: checkMs(factory, 'totalTimeoutMs', options.totalTimeoutMs, d.totalTimeoutMs),
    tag,
  };
}

/** The options object itself, or a TypeError showing how to call `factory`. */
export function requireOptions<T>(factory: string, options: T, example: string): NonNullable<T> {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`${factory}: options are required. Fix: ${example}.`);
  }
  return options as NonNullable<T>;
}

/**
 * Milliseconds to wait from a `Retry-After` value (seconds or an HTTP date), or null when it is
 * missing or unreadable.
 */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | null {
  if (typeof value !== 'string' || value.trim() === '') return null;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  // An HTTP date (RFC 9110 §5.6.7) ends in GMT; anything else (e.g. '-1') is unreadable.
  if (!/ GMT$/.test(trimmed)) return null;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

function retryable(failure: ServiceFailure): boolean {
  if (failure.retryable !== undefined) return failure.retryable;
  return failure.status === null || failure.status === 429 || failure.status >= 500;
}

class TimedOut extends Error {
  constructor(ms: number) {
    super(`no answer within ${ms} ms`);
    this.name = 'TimeoutError';
  }
}

/**
 * One attempt, bounded: the SDK gets the signal where it takes one, and the race ends the wait
 * where it does not (its request is then left to finish or fail on its own).
 */
async function bounded(
  adapter: ServiceAdapter,
  message: MailMessage,
  idempotencyKey: string,
  ms: number,
): Promise<void> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      const error = new TimedOut(ms);
      controller.abort(error);
      reject(error);
    }, ms);
  });
  const sending = adapter.send(message, { signal: controller.signal, idempotencyKey });
  sending.catch(() => undefined);
  try {
    await Promise.race([sending, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function failed(
  adapter: ServiceAdapter,
  failure: ServiceFailure,
  attempts: number,
  why?: string,
): MagicLinkError {
  const status = failure.status === null ? 'no answer' : `answered ${failure.status}`;
  const reason = redactAddresses(failure.reason).slice(0, MAX_REASON_LENGTH);
  const fix = adapter.fixFor(failure);
  const text = [
    `${adapter.factory}: ${adapter.service} ${status} (${reason})`,
    attempts > 1 ? ` after ${attempts} attempts` : '',
    why === undefined ? '' : `; ${why}`,
    '.',
    fix === undefined ? '' : ` Fix: ${fix}`,
  ].join('');
  const cause = Object.assign(new Error(text), {
    service: adapter.service,
    status: failure.status,
    attempts,
  });
  cause.name = 'MailServiceError';
  return new MagicLinkError('ERR_MAIL_FAILED', 'The email could not be sent.', { cause });
}

function describeThrown(adapter: ServiceAdapter, error: unknown): ServiceFailure {
  if (error instanceof TimedOut) return { status: null, reason: error.message };
  if (error instanceof ServiceRefusal) return error.failure;
  return adapter.describe(error);
}

/**
 * A {@link Mailer} around one service: checks the message as `smtpMailer` does, then tries the
 * service at most `1 + retries` times within the time budget and the link's lifetime. A time-out
 * is not retried: the service may still be working on it, and the budget is spent.
 */
export function serviceMailer(adapter: ServiceAdapter, options: Resolved): Mailer {
  const retries = adapter.sdkRetries ? 0 : options.retries;
  return {
    async send(message: MailMessage): Promise<void> {
      const refused = checkMessage(message, adapter.factory);
      if (refused !== null) throw refused;
      const started = Date.now();
      const expiry = message.expiresAt instanceof Date ? message.expiresAt.getTime() : Infinity;
      const deadline = Math.min(started + options.totalTimeoutMs, expiry);
      const limit =
        expiry <= started + options.totalTimeoutMs ? 'the link expires' : 'totalTimeoutMs';
      // One key for every attempt of this message, so the service keeps at most one of them.
      const idempotencyKey = `magic-link-${randomUUID()}`;
      for (let attempt = 1; ; attempt += 1) {
        const left = deadline - Date.now();
        if (left <= 0) {
          throw new MagicLinkError('ERR_MAIL_FAILED', 'The email could not be sent.', {
            cause: new Error(
              `${adapter.factory}: not sent to ${adapter.service}: ${limit === 'totalTimeoutMs' ? 'totalTimeoutMs ran out' : 'the link has expired'}.`,
            ),
          });
        }
        let failure: ServiceFailure;
        try {
          await bounded(adapter, message, idempotencyKey, Math.min(options.timeoutMs, left));
          return;
        } catch (error) {
          failure = describeThrown(adapter, error);
          if (error instanceof TimedOut || attempt > retries || !retryable(failure)) {
            throw failed(adapter, failure, attempt);
          }
        }
        const asked = parseRetryAfter(failure.retryAfter);
        if (asked !== null && asked > options.maxRetryAfterMs) {
          throw failed(adapter, failure, attempt, `Retry-After asked for ${asked} ms`);
        }
        const wait = asked ?? options.backoffMs * 2 ** (attempt - 1) * (0.5 + Math.random() / 2);
        if (Date.now() + wait >= deadline) {
          throw failed(adapter, failure, attempt, `no time left to retry before ${limit}`);
        }
        await sleep(wait);
      }
    },
  };
}

/** Throws a TypeError unless `value` has a method `path` (e.g. `emails.send`). */
export function requireMethod(
  factory: string,
  option: string,
  value: unknown,
  path: readonly string[],
  fix: string,
): void {
  let here: unknown = value;
  for (const key of path.slice(0, -1)) {
    here =
      typeof here === 'object' && here !== null
        ? (here as Record<string, unknown>)[key]
        : undefined;
  }
  const last = path[path.length - 1]!;
  const method =
    typeof here === 'object' && here !== null ? (here as Record<string, unknown>)[last] : undefined;
  if (typeof method !== 'function') {
    throw new TypeError(
      `${factory}: ${option} must be the service's client (it has no ${path.join('.')}()). Fix: ${fix}.`,
    );
  }
}
