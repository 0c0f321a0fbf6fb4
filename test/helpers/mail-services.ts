import { SESv2Client } from '@aws-sdk/client-sesv2';
import { Client as SendGridClient } from '@sendgrid/client';
import { MailService } from '@sendgrid/mail';
import { ServerClient } from 'postmark';
import { Resend } from 'resend';
import { postmarkMailer, resendMailer, sendgridMailer, sesMailer } from '../../lib/index';
import type { Mailer, ServiceMailerOptions } from '../../lib/index';
import { startMailService } from '../../lib/testing/mail-services';
import type { MailServiceName, MailServiceServer } from '../../lib/testing/mail-services';

export const SERVICES: readonly MailServiceName[] = ['resend', 'postmark', 'ses', 'sendgrid'];

/** The sender every test uses, on the domain the wire servers verify. */
export const FROM = 'Acme <login@acme.test>';
export const VERIFIED = ['@acme.test'];

/**
 * Options that keep failure tests quick: short back-off. The time limit stays generous, so a
 * busy machine never turns a slow answer into a time-out; the hang tests set their own.
 */
export const QUICK: Omit<ServiceMailerOptions, 'from'> = {
  backoffMs: 10,
  timeoutMs: 20_000,
  maxRetryAfterMs: 2_000,
};

/** The service's real SDK client, pointed at `server`, with `apiKey` (the server's own by default). */
export function sdkClientFor(server: MailServiceServer, apiKey = server.apiKey): unknown {
  switch (server.service) {
    case 'resend':
      return new Resend(apiKey, { baseUrl: server.url });
    case 'postmark':
      return new ServerClient(apiKey, { requestHost: `127.0.0.1:${server.port}`, useHttps: false });
    case 'ses':
      return new SESv2Client({
        endpoint: server.url,
        region: 'us-east-1',
        credentials: { accessKeyId: apiKey, secretAccessKey: 'test-secret' },
      });
    case 'sendgrid': {
      const client = new SendGridClient();
      client.setApiKey(apiKey);
      // setApiKey points the client at SendGrid's own host; this must come after it.
      client.setDefaultRequest('baseUrl', `${server.url}/`);
      const mail = new MailService();
      mail.setClient(client);
      return mail;
    }
  }
}

/** The package's mailer for `server`'s service, on the real SDK pointed at it. */
export function mailerFor(
  server: MailServiceServer,
  options: Partial<ServiceMailerOptions> & { apiKey?: string } = {},
): Mailer {
  const { apiKey, ...rest } = options;
  const client = sdkClientFor(server, apiKey);
  const o = { from: FROM, ...rest };
  switch (server.service) {
    case 'resend':
      return resendMailer({ ...o, resend: client as Resend });
    case 'postmark':
      return postmarkMailer({ ...o, client: client as ServerClient });
    case 'ses':
      return sesMailer({ ...o, client: client as SESv2Client });
    case 'sendgrid':
      return sendgridMailer({ ...o, client: client as MailService });
  }
}

/** Starts a wire server for `service` that knows the test sender. */
export function startService(service: MailServiceName): Promise<MailServiceServer> {
  return startMailService(service, { verifiedSenders: VERIFIED });
}
