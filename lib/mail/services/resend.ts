import type { MailMessage, Mailer } from '../mailer';
import {
  requireMethod,
  requireOptions,
  resolveServiceOptions,
  serviceMailer,
  ServiceRefusal,
} from './deliver';
import type { ServiceFailure, ServiceMailerOptions } from './deliver';

/** The part of the `resend` SDK's client (`new Resend(key)`, resend 6) that the mailer uses. */
export interface ResendClientLike {
  emails: {
    send(
      payload: {
        from: string;
        to: string | string[];
        subject: string;
        text: string;
        html: string;
        headers?: Record<string, string>;
        tags?: { name: string; value: string }[];
      },
      options?: { idempotencyKey?: string; signal?: AbortSignal },
    ): Promise<{
      data: unknown;
      error: { message: string; name: string; statusCode?: number | null } | null;
      headers?: Record<string, string> | null;
    }>;
  };
}

/** Options of {@link resendMailer}. */
export interface ResendMailerOptions extends ServiceMailerOptions {
  /** The Resend client: `new Resend(process.env.RESEND_API_KEY)`. */
  resend: ResendClientLike;
}

const FACTORY = 'resendMailer';

function describe(error: unknown): ServiceFailure {
  const e = (error ?? {}) as { message?: unknown; name?: unknown };
  return { status: null, reason: `${String(e.name ?? 'Error')}: ${String(e.message ?? error)}` };
}

function fixFor({ status }: ServiceFailure): string | undefined {
  if (status === 401 || status === 403) {
    return 'check RESEND_API_KEY (a key with sending access) and that the domain of from is verified in Resend.';
  }
  if (status === 422)
    return "use a from address on a domain verified in Resend, e.g. 'Acme <no-reply@mail.acme.example>'.";
  return undefined;
}

/**
 * A {@link Mailer} on Resend's official SDK. Sends the same subject, text, HTML and headers as
 * `smtpMailer`, tagged `category: sign-in` (the `tag` option). Each message carries one
 * `Idempotency-Key` for all its attempts, so a retry never delivers twice. Resend answers
 * errors instead of throwing them; they become `MagicLinkError('ERR_MAIL_FAILED')` whose cause
 * names Resend's reason and the fix, never the address.
 *
 * @throws TypeError at construction when `resend` is not a Resend client or `from` is unusable.
 * @example
 * import { Resend } from 'resend';
 * const mailer = resendMailer({
 *   resend: new Resend(process.env.RESEND_API_KEY),
 *   from: 'Acme <no-reply@mail.acme.example>',
 * });
 */
export function resendMailer(options: ResendMailerOptions): Mailer {
  const o = requireOptions(
    FACTORY,
    options,
    "resendMailer({ resend: new Resend(process.env.RESEND_API_KEY), from: 'no-reply@example.com' })",
  );
  requireMethod(
    FACTORY,
    'resend',
    o.resend,
    ['emails', 'send'],
    'pass new Resend(process.env.RESEND_API_KEY) from the resend package',
  );
  const resolved = resolveServiceOptions(FACTORY, o);
  const resend = o.resend;
  return serviceMailer(
    {
      factory: FACTORY,
      service: 'Resend',
      async send(message: MailMessage, { signal, idempotencyKey }) {
        const { error, headers } = await resend.emails.send(
          {
            from: resolved.from,
            to: message.to,
            subject: message.subject,
            text: message.text,
            html: message.html,
            ...(message.headers === undefined ? {} : { headers: { ...message.headers } }),
            tags: [{ name: 'category', value: resolved.tag }],
          },
          { idempotencyKey, signal },
        );
        if (error !== null) {
          throw new ServiceRefusal({
            status: typeof error.statusCode === 'number' ? error.statusCode : null,
            reason: `${error.name}: ${error.message}`,
            retryAfter: headers?.['retry-after'] ?? null,
            // A retry that arrives while the first attempt is still being processed (after a
            // dropped connection): Resend says to try again later, and the key keeps it single.
            ...(error.name === 'concurrent_idempotent_requests' ? { retryable: true } : {}),
          });
        }
      },
      describe,
      fixFor,
    },
    resolved,
  );
}
