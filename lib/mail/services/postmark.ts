import type { MailMessage, Mailer } from '../mailer';
import { requireMethod, requireOptions, resolveServiceOptions, serviceMailer } from './deliver';
import type { ServiceFailure, ServiceMailerOptions } from './deliver';

/** The part of the `postmark` SDK's `ServerClient` (postmark 4 and 5) that the mailer uses. */
export interface PostmarkClientLike {
  sendEmail(message: {
    From: string;
    To?: string;
    Subject: string;
    TextBody?: string;
    HtmlBody?: string;
    Headers?: { Name: string; Value: string }[];
    Tag?: string;
    Metadata?: Record<string, string>;
    MessageStream?: string;
    TrackOpens?: boolean;
    TrackLinks?: string;
  }): Promise<unknown>;
}

/** Options of {@link postmarkMailer}. */
export interface PostmarkMailerOptions extends ServiceMailerOptions {
  /** The Postmark client: `new ServerClient(process.env.POSTMARK_SERVER_TOKEN)`. */
  client: PostmarkClientLike;
  /**
   * The message stream: a transactional stream, never a broadcast one.
   * @default 'outbound'
   */
  messageStream?: string;
}

const FACTORY = 'postmarkMailer';

function describe(error: unknown): ServiceFailure {
  const e = (error ?? {}) as {
    message?: unknown;
    name?: unknown;
    statusCode?: unknown;
    code?: unknown;
  };
  const status = typeof e.statusCode === 'number' && e.statusCode > 0 ? e.statusCode : null;
  const code = typeof e.code === 'number' && e.code > 0 ? ` (Postmark error ${e.code})` : '';
  return { status, reason: `${String(e.name ?? 'Error')}${code}: ${String(e.message ?? error)}` };
}

function fixFor({ status }: ServiceFailure): string | undefined {
  if (status === 401)
    return 'set POSTMARK_SERVER_TOKEN to the Server API token of the server that sends (not the Account token).';
  if (status === 422)
    return 'use a from address with a confirmed Sender Signature or a verified domain in Postmark, and a transactional messageStream.';
  return undefined;
}

/**
 * A {@link Mailer} on Postmark's official SDK. Sends the same subject, text, HTML and headers as
 * `smtpMailer` on the `messageStream`, with `Tag` and `Metadata.category` set to the `tag`
 * option, and open and link tracking off (a tracked link would be rewritten through Postmark).
 * Postmark takes no idempotency key: a retry after a 5xx or a dropped connection may, rarely,
 * deliver the same email twice, with the same link. Errors become
 * `MagicLinkError('ERR_MAIL_FAILED')` whose cause names Postmark's reason and the fix.
 *
 * @throws TypeError at construction when `client` is not a Postmark client or `from` is unusable.
 * @example
 * import { ServerClient } from 'postmark';
 * const mailer = postmarkMailer({
 *   client: new ServerClient(process.env.POSTMARK_SERVER_TOKEN!),
 *   from: 'Acme <no-reply@acme.example>',
 * });
 */
export function postmarkMailer(options: PostmarkMailerOptions): Mailer {
  const o = requireOptions(
    FACTORY,
    options,
    "postmarkMailer({ client: new ServerClient(process.env.POSTMARK_SERVER_TOKEN), from: 'no-reply@example.com' })",
  );
  requireMethod(
    FACTORY,
    'client',
    o.client,
    ['sendEmail'],
    'pass new ServerClient(process.env.POSTMARK_SERVER_TOKEN) from the postmark package',
  );
  const resolved = resolveServiceOptions(FACTORY, o);
  const messageStream = o.messageStream ?? 'outbound';
  if (typeof messageStream !== 'string' || !/^[a-z0-9-]{1,30}$/i.test(messageStream)) {
    throw new TypeError(
      `${FACTORY}: messageStream must be a stream ID such as 'outbound'. Fix: copy the ID of a transactional stream from Postmark.`,
    );
  }
  const client = o.client;
  return serviceMailer(
    {
      factory: FACTORY,
      service: 'Postmark',
      async send(message: MailMessage) {
        // The SDK takes no signal (it has its own `timeout`, 180 s by default); the race in
        // deliver.ts bounds the wait.
        await client.sendEmail({
          From: resolved.from,
          To: message.to,
          Subject: message.subject,
          TextBody: message.text,
          HtmlBody: message.html,
          ...(message.headers === undefined
            ? {}
            : {
                Headers: Object.entries(message.headers).map(([Name, Value]) => ({ Name, Value })),
              }),
          Tag: resolved.tag,
          Metadata: { category: resolved.tag },
          MessageStream: messageStream,
          TrackOpens: false,
          TrackLinks: 'None',
        });
      },
      describe,
      fixFor,
    },
    resolved,
  );
}
