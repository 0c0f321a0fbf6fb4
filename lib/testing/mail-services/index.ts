import { DIALECTS } from './dialects';
import { startWireServer } from './server';
import type { MailServiceName, MailServiceServer, MailServiceServerOptions } from './server';

export type {
  MailServiceName,
  MailServiceServer,
  MailServiceServerOptions,
  ServiceEmail,
  ServiceFault,
  ServiceRequest,
} from './server';

/**
 * A local server that speaks one email service's HTTP API (Resend, Postmark, Amazon SES v2 or
 * SendGrid v3), so the service's real SDK can be pointed at it in tests: it checks the
 * credentials, records every request, keeps accepted emails in `outbox` (a repeated
 * `Idempotency-Key` adds none), refuses unverified senders as the service does, and injects
 * faults (`failNext({ status: 429, retryAfter: '1' })`, `{ hang: true }`, `{ drop: true }`).
 * Listens on 127.0.0.1 only.
 *
 * Pointing each SDK at it:
 * - Resend: `new Resend(server.apiKey, { baseUrl: server.url })`
 * - Postmark: `new ServerClient(server.apiKey, { requestHost: `127.0.0.1:${server.port}`, useHttps: false })`
 * - SES: `new SESv2Client({ endpoint: server.url, region: 'us-east-1', credentials: { accessKeyId: server.apiKey, secretAccessKey: 'test' } })`
 * - SendGrid: `client.setApiKey(server.apiKey); client.setDefaultRequest('baseUrl', server.url)`
 *   on a `@sendgrid/client` Client, given to the mail service with `setClient`
 *
 * @example
 * const server = await startMailService('resend', { verifiedSenders: ['@acme.test'] });
 * const mailer = resendMailer({
 *   resend: new Resend(server.apiKey, { baseUrl: server.url }),
 *   from: 'Acme <login@acme.test>',
 * });
 * // … ask for a link …
 * const email = await server.waitForEmail((e) => e.to.includes('ada@example.com'));
 * await server.close();
 */
export function startMailService(
  service: MailServiceName,
  options: MailServiceServerOptions = {},
): Promise<MailServiceServer> {
  const dialect = DIALECTS[service];
  if (dialect === undefined) {
    throw new TypeError(
      `startMailService: service must be 'resend', 'postmark', 'ses' or 'sendgrid'. Fix: e.g. startMailService('resend').`,
    );
  }
  return startWireServer(service, dialect, options);
}
