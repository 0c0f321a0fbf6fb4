import type { MailMessage, Mailer } from '../mailer';
import { requireMethod, requireOptions, resolveServiceOptions, serviceMailer } from './deliver';
import type { ServiceFailure, ServiceMailerOptions } from './deliver';

/** The part of `@sendgrid/mail`'s `MailService` (the default export, v7 and v8) the mailer uses. */
export interface SendGridClientLike {
  send(data: {
    from: string;
    to: string;
    subject: string;
    text: string;
    html: string;
    headers?: Record<string, string>;
    categories?: string[];
    customArgs?: Record<string, string>;
    trackingSettings?: {
      clickTracking?: { enable?: boolean; enableText?: boolean };
      openTracking?: { enable?: boolean };
    };
  }): Promise<unknown>;
}

/** Options of {@link sendgridMailer}. */
export interface SendGridMailerOptions extends ServiceMailerOptions {
  /** The SendGrid mail client, after `sgMail.setApiKey(process.env.SENDGRID_API_KEY)`. */
  client: SendGridClientLike;
}

const FACTORY = 'sendgridMailer';

function describe(error: unknown): ServiceFailure {
  const e = (error ?? {}) as {
    message?: unknown;
    name?: unknown;
    code?: unknown;
    response?: { headers?: Record<string, unknown>; body?: { errors?: { message?: unknown }[] } };
  };
  const status = typeof e.code === 'number' ? e.code : null;
  const said = (e.response?.body?.errors ?? [])
    .map((entry) => (typeof entry.message === 'string' ? entry.message : ''))
    .filter(Boolean)
    .join('; ');
  const retryAfter = e.response?.headers?.['retry-after'];
  const name = typeof e.code === 'string' ? e.code : String(e.name ?? 'Error');
  return {
    status,
    reason: `${name}: ${said === '' ? String(e.message ?? error) : said}`,
    retryAfter: typeof retryAfter === 'string' ? retryAfter : null,
  };
}

function fixFor({ status }: ServiceFailure): string | undefined {
  if (status === 401 || status === 403) {
    return 'call sgMail.setApiKey(process.env.SENDGRID_API_KEY) with a key allowed Mail Send, and verify the from address (Single Sender or domain authentication) in SendGrid.';
  }
  if (status === 400 || status === 422) {
    return 'use a from address verified in SendGrid (Single Sender Verification or an authenticated domain).';
  }
  return undefined;
}

/** True when the client can never authenticate: no API key was set on it. */
function hasNoKey(client: object): boolean {
  const inner = (
    client as { client?: { auth?: unknown; defaultHeaders?: Record<string, unknown> } }
  ).client;
  return (
    inner !== undefined &&
    inner.auth === '' &&
    inner.defaultHeaders?.['Authorization'] === undefined
  );
}

/**
 * A {@link Mailer} on SendGrid's official SDK (`@sendgrid/mail`). Sends the same subject, text,
 * HTML and headers as `smtpMailer`, with the category and the custom arg `category` set to the
 * `tag` option, and click and open tracking off (a tracked link would be rewritten through
 * SendGrid). SendGrid takes no idempotency key: a retry after a 5xx or a dropped connection may,
 * rarely, deliver the same email twice, with the same link. Errors become
 * `MagicLinkError('ERR_MAIL_FAILED')` whose cause names SendGrid's reason and the fix.
 *
 * @throws TypeError at construction when `client` is not the SendGrid client, has no API key,
 * or `from` is unusable.
 * @example
 * import sgMail from '@sendgrid/mail';
 * sgMail.setApiKey(process.env.SENDGRID_API_KEY!);
 * const mailer = sendgridMailer({ client: sgMail, from: 'Acme <no-reply@acme.example>' });
 */
export function sendgridMailer(options: SendGridMailerOptions): Mailer {
  const o = requireOptions(
    FACTORY,
    options,
    "sendgridMailer({ client: sgMail, from: 'no-reply@example.com' }), after sgMail.setApiKey(process.env.SENDGRID_API_KEY)",
  );
  requireMethod(
    FACTORY,
    'client',
    o.client,
    ['send'],
    "pass the default export of @sendgrid/mail (import sgMail from '@sendgrid/mail')",
  );
  if (hasNoKey(o.client)) {
    throw new TypeError(
      `${FACTORY}: client has no API key. Fix: call sgMail.setApiKey(process.env.SENDGRID_API_KEY) before sendgridMailer().`,
    );
  }
  const resolved = resolveServiceOptions(FACTORY, o);
  const client = o.client;
  return serviceMailer(
    {
      factory: FACTORY,
      service: 'SendGrid',
      async send(message: MailMessage) {
        // @sendgrid/mail takes no per-request signal; the race in deliver.ts bounds the wait.
        await client.send({
          from: resolved.from,
          to: message.to,
          subject: message.subject,
          text: message.text,
          html: message.html,
          ...(message.headers === undefined ? {} : { headers: { ...message.headers } }),
          categories: [resolved.tag],
          customArgs: { category: resolved.tag },
          trackingSettings: {
            clickTracking: { enable: false, enableText: false },
            openTracking: { enable: false },
          },
        });
      },
      describe,
      fixFor,
    },
    resolved,
  );
}
