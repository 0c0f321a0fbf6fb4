import { createTransport } from 'nodemailer';
import type Mail from 'nodemailer/lib/mailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport';
import { MagicLinkError } from '../errors';
import { checkMessage, redactAddresses as redact, validateFrom } from './checks';
import type { MailMessage, Mailer } from './mailer';

/**
 * An existing nodemailer transporter (what `nodemailer.createTransport()` returns), or anything
 * with the same `sendMail`.
 */
export interface MailTransporter {
  sendMail(message: Mail.Options): Promise<unknown>;
  verify?(): Promise<unknown>;
  close?(): void;
}

/** Options of {@link smtpMailer}. */
export interface SmtpMailerOptions {
  /**
   * Where to send: a URL (`smtp://user:pass@smtp.example.com:587`, `smtps://…:465`), nodemailer
   * SMTP options, or an existing nodemailer transporter. For a URL or options, the timeouts
   * default to {@link DEFAULT_SMTP_TIMEOUTS}; an existing transporter is used exactly as it is.
   */
  transport: string | SMTPTransport.Options | MailTransporter;
  /** The sender: `'no-reply@example.com'` or `'Acme <no-reply@example.com>'`. One address, one line. */
  from: string;
}

/** An SMTP {@link Mailer} that can also check its connection and release it. */
export interface SmtpMailer extends Mailer {
  /**
   * Connects and authenticates without sending, e.g. at start-up. Rejects with
   * `MagicLinkError('ERR_MAIL_FAILED')`. Resolves at once for a transporter with no `verify`.
   */
  verify(): Promise<void>;
  /** Closes pooled connections. A transporter the app passed in is left for the app to close. */
  close(): void;
}

/**
 * Time limits in milliseconds, so that a mail server that is down or silent fails the request in
 * seconds instead of nodemailer's minutes. The app's own values win.
 *
 * @default { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 20_000, dnsTimeout: 10_000 }
 */
export const DEFAULT_SMTP_TIMEOUTS = Object.freeze({
  connectionTimeout: 10_000,
  greetingTimeout: 10_000,
  socketTimeout: 20_000,
  dnsTimeout: 10_000,
});

function isTransporter(value: unknown): value is MailTransporter {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { sendMail?: unknown }).sendMail === 'function'
  );
}

function resolveTransport(transport: SmtpMailerOptions['transport']): {
  transporter: MailTransporter;
  owned: boolean;
} {
  if (isTransporter(transport)) return { transporter: transport, owned: false };
  if (typeof transport === 'string') {
    if (!/^smtps?:\/\//i.test(transport)) {
      throw new TypeError(
        "smtpMailer: transport must be an smtp:// or smtps:// URL, nodemailer options, or a nodemailer transporter. Fix: e.g. transport: 'smtp://user:pass@smtp.example.com:587'.",
      );
    }
    // The query string of the URL may still set the timeouts; nodemailer lets the URL win.
    return {
      transporter: createTransport({ ...DEFAULT_SMTP_TIMEOUTS, url: transport }),
      owned: true,
    };
  }
  if (typeof transport !== 'object' || transport === null || Array.isArray(transport)) {
    throw new TypeError(
      "smtpMailer: transport is required. Fix: pass an smtp:// URL, nodemailer SMTP options, or nodemailer.createTransport(…), e.g. transport: 'smtp://localhost:1025'.",
    );
  }
  return { transporter: createTransport({ ...DEFAULT_SMTP_TIMEOUTS, ...transport }), owned: true };
}

/**
 * nodemailer's errors name the recipient (`rejected`, `rejectedErrors`, and the server's reply in
 * `message` and `response`), and the cause travels on to logs and `onEvent`, which must never
 * carry a full address. So the cause is a copy without them; the codes a caller can act on stay.
 */
function withoutAddresses(cause: unknown): Error {
  const fields: Record<string, unknown> =
    typeof cause === 'object' && cause !== null
      ? (cause as Record<string, unknown>)
      : { message: String(cause) };
  const copy = new Error(redact(String(fields['message'] ?? ''))) as Error &
    Record<string, unknown>;
  if (typeof fields['name'] === 'string') copy.name = fields['name'];
  if (typeof fields['stack'] === 'string') copy.stack = redact(fields['stack']);
  for (const key of ['code', 'errno', 'syscall', 'responseCode', 'command', 'response']) {
    const value = fields[key];
    if (typeof value === 'number') copy[key] = value;
    else if (typeof value === 'string') copy[key] = redact(value);
  }
  return copy;
}

function hasRejections(info: unknown): boolean {
  const rejected = (info as { rejected?: unknown } | null)?.rejected;
  return Array.isArray(rejected) && rejected.length > 0;
}

/**
 * A {@link Mailer} on nodemailer. `send` resolves once the server has accepted the message and
 * rejects with `MagicLinkError('ERR_MAIL_FAILED')` (the server's error is the `cause`) when it
 * is down, times out or refuses the message. Values with line breaks are refused before any
 * connection is made: a bad `to` as `ERR_BAD_EMAIL`, anything else as `ERR_MAIL_FAILED`.
 * Messages never read files or URLs (`disableFileAccess`, `disableUrlAccess`).
 *
 * @throws TypeError at construction when `from` or `transport` is unusable.
 * @example
 * const mailer = smtpMailer({
 *   transport: process.env.SMTP_URL!, // 'smtp://user:pass@smtp.example.com:587'
 *   from: 'Acme <no-reply@acme.example>',
 * });
 * await mailer.verify(); // optional: fail at start-up if the server is unreachable
 */
export function smtpMailer(options: SmtpMailerOptions): SmtpMailer {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(
      "smtpMailer: options are required. Fix: smtpMailer({ transport: 'smtp://…', from: 'no-reply@example.com' }).",
    );
  }
  const from = validateFrom(options.from, 'smtpMailer');
  const { transporter, owned } = resolveTransport(options.transport);

  return {
    async send(message: MailMessage): Promise<void> {
      const refused = checkMessage(message, 'smtpMailer');
      if (refused !== null) throw refused;
      let info: unknown;
      try {
        info = await transporter.sendMail({
          from,
          to: message.to,
          subject: message.subject,
          text: message.text,
          html: message.html,
          ...(message.headers === undefined ? {} : { headers: { ...message.headers } }),
          disableFileAccess: true,
          disableUrlAccess: true,
        });
      } catch (cause) {
        throw new MagicLinkError('ERR_MAIL_FAILED', 'The email could not be sent.', {
          cause: withoutAddresses(cause),
        });
      }
      if (hasRejections(info)) {
        throw new MagicLinkError('ERR_MAIL_FAILED', 'The email could not be sent.', {
          cause: new Error(`smtpMailer: the server rejected the recipient.`),
        });
      }
    },

    async verify(): Promise<void> {
      if (typeof transporter.verify !== 'function') return;
      try {
        await transporter.verify();
      } catch (cause) {
        throw new MagicLinkError('ERR_MAIL_FAILED', 'The email could not be sent.', {
          cause: withoutAddresses(cause),
        });
      }
    },

    close(): void {
      if (owned) transporter.close?.();
    },
  };
}
