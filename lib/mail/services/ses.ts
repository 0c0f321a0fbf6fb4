import type { SendEmailCommand } from '@aws-sdk/client-sesv2';
import type { MailMessage, Mailer } from '../mailer';
import { requireMethod, requireOptions, resolveServiceOptions, serviceMailer } from './deliver';
import type { ServiceFailure, ServiceMailerOptions } from './deliver';

/** The part of `@aws-sdk/client-sesv2`'s `SESv2Client` that the mailer uses. */
export interface SESv2ClientLike {
  send(command: object, options?: { abortSignal?: AbortSignal }): Promise<unknown>;
}

/** Options of {@link sesMailer}. */
export interface SesMailerOptions extends ServiceMailerOptions {
  /** The SES v2 client: `new SESv2Client({ region: process.env.AWS_REGION })`. */
  client: SESv2ClientLike;
  /** A configuration set to send with (event publishing, IP pool, tracking), if any. */
  configurationSetName?: string;
}

const FACTORY = 'sesMailer';

type SendEmailCommandClass = typeof SendEmailCommand;
let commandClass: Promise<SendEmailCommandClass> | null = null;

/**
 * `SendEmailCommand`, imported the first time an SES mailer is built, so that an app that never
 * calls sesMailer() never loads the AWS SDK. It resolves to the app's own copy (a peer).
 */
function loadSendEmailCommand(): Promise<SendEmailCommandClass> {
  commandClass ??= import('@aws-sdk/client-sesv2').then(
    (sdk) => sdk.SendEmailCommand,
    (cause: unknown) => {
      commandClass = null;
      throw new Error(
        `${FACTORY}: @aws-sdk/client-sesv2 could not be loaded. Fix: npm install @aws-sdk/client-sesv2.`,
        { cause },
      );
    },
  );
  return commandClass;
}

function describe(error: unknown): ServiceFailure {
  const e = (error ?? {}) as {
    message?: unknown;
    name?: unknown;
    code?: unknown;
    $metadata?: { httpStatusCode?: unknown };
    $response?: { headers?: Record<string, string | undefined> };
  };
  const status = e.$metadata?.httpStatusCode;
  const name =
    typeof e.code === 'string' && e.name === 'Error' ? e.code : String(e.name ?? 'Error');
  return {
    status: typeof status === 'number' && status > 0 ? status : null,
    reason: `${name}: ${String(e.message ?? error)}`,
    retryAfter: e.$response?.headers?.['retry-after'] ?? null,
  };
}

function fixFor({ status, reason }: ServiceFailure): string | undefined {
  if (/Region is missing/i.test(reason)) {
    return 'give the client a region: new SESv2Client({ region: process.env.AWS_REGION }), with AWS_REGION set to the region where the sender is verified.';
  }
  if (status === 401 || status === 403 || reason.startsWith('CredentialsProviderError')) {
    return 'give the client AWS credentials (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, a profile or a role) allowed ses:SendEmail, and set AWS_REGION to the region where the sender is verified.';
  }
  if (status === 400) {
    return 'verify the from address or its domain in SES in this region; in the SES sandbox, recipients must be verified too.';
  }
  return undefined;
}

/**
 * A {@link Mailer} on Amazon SES through the official AWS SDK v3 (`SESv2Client`). Sends the same
 * subject, text, HTML and headers as `smtpMailer` as a Simple message, with the EmailTag
 * `category` set to the `tag` option. The AWS SDK retries throttling, 5xx and dropped
 * connections itself (`maxAttempts`, 3 by default), so this mailer adds no retries of its own;
 * `timeoutMs` bounds the SDK's attempts together, through its `abortSignal`. SES takes no
 * idempotency key. Errors become `MagicLinkError('ERR_MAIL_FAILED')` whose cause names the
 * SES error and the fix.
 *
 * @throws TypeError at construction when `client` is not an SDK client or `from` is unusable.
 * @example
 * import { SESv2Client } from '@aws-sdk/client-sesv2';
 * const mailer = sesMailer({
 *   client: new SESv2Client({ region: process.env.AWS_REGION }),
 *   from: 'Acme <no-reply@acme.example>',
 * });
 */
export function sesMailer(options: SesMailerOptions): Mailer {
  const o = requireOptions(
    FACTORY,
    options,
    "sesMailer({ client: new SESv2Client({ region: process.env.AWS_REGION }), from: 'no-reply@example.com' })",
  );
  requireMethod(
    FACTORY,
    'client',
    o.client,
    ['send'],
    'pass new SESv2Client({ region }) from @aws-sdk/client-sesv2',
  );
  const resolved = resolveServiceOptions(FACTORY, o);
  const configurationSetName = o.configurationSetName;
  if (
    configurationSetName !== undefined &&
    (typeof configurationSetName !== 'string' ||
      !/^[A-Za-z0-9_-]{1,64}$/.test(configurationSetName))
  ) {
    throw new TypeError(
      `${FACTORY}: configurationSetName must be the name of an SES configuration set. Fix: leave it out, or copy the name from the SES console.`,
    );
  }
  const client = o.client;
  // Started now so the first send does not wait for it; a failure surfaces on that send.
  loadSendEmailCommand().catch(() => undefined);
  return serviceMailer(
    {
      factory: FACTORY,
      service: 'Amazon SES',
      sdkRetries: true,
      async send(message: MailMessage, { signal }) {
        const SendEmailCommand = await loadSendEmailCommand();
        const charset = 'UTF-8';
        const command = new SendEmailCommand({
          FromEmailAddress: resolved.from,
          Destination: { ToAddresses: [message.to] },
          Content: {
            Simple: {
              Subject: { Data: message.subject, Charset: charset },
              Body: {
                Text: { Data: message.text, Charset: charset },
                Html: { Data: message.html, Charset: charset },
              },
              ...(message.headers === undefined
                ? {}
                : {
                    Headers: Object.entries(message.headers).map(([Name, Value]) => ({
                      Name,
                      Value,
                    })),
                  }),
            },
          },
          EmailTags: [{ Name: 'category', Value: resolved.tag }],
          ...(configurationSetName === undefined
            ? {}
            : { ConfigurationSetName: configurationSetName }),
        });
        await client.send(command, { abortSignal: signal });
      },
      describe,
      fixFor,
    },
    resolved,
  );
}
