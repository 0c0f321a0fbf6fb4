import { defaultEmailTemplate, smtpMailer } from '../../../lib/index';
import type { MailMessage } from '../../../lib/index';
import type { MailServiceServer } from '../../../lib/testing/mail-services';
import { mailerFor, SERVICES, startService } from '../../helpers/mail-services';
import { startSmtpServer } from '../../helpers/smtp';

/** What the template makes for one sign-in, plus a custom header, as the router hands it over. */
function signInMessage(to = 'ada@example.com'): MailMessage {
  const parts = defaultEmailTemplate({
    to,
    link: 'https://app.example.test/auth/callback?token=abc&state=xyz',
    code: '123456',
    expiresAt: new Date(Date.now() + 15 * 60_000),
    now: new Date(),
    branding: { appName: 'Acme' },
    locale: 'fr',
  });
  return { to, ...parts, headers: { 'X-Entity-Ref-ID': 'sign-in-1' } };
}

/** What each SDK must put on the wire: method, path, credentials, idempotency. */
const WIRE = {
  resend: {
    method: 'POST',
    path: '/emails',
    auth: (key: string, h: Record<string, unknown>) => h['authorization'] === `Bearer ${key}`,
    idempotent: true,
  },
  postmark: {
    method: 'POST',
    path: '/email',
    auth: (key: string, h: Record<string, unknown>) => h['x-postmark-server-token'] === key,
    idempotent: false,
  },
  ses: {
    method: 'POST',
    path: '/v2/email/outbound-emails',
    auth: (key: string, h: Record<string, unknown>) =>
      String(h['authorization']).startsWith(`AWS4-HMAC-SHA256 Credential=${key}/`),
    idempotent: false,
  },
  sendgrid: {
    method: 'POST',
    path: '/v3/mail/send',
    auth: (key: string, h: Record<string, unknown>) => h['authorization'] === `Bearer ${key}`,
    idempotent: false,
  },
} as const;

/** Where each service records the sign-in tag. */
const TAGS = {
  resend: { category: 'sign-in' },
  postmark: { Tag: 'sign-in', category: 'sign-in' },
  ses: { category: 'sign-in' },
  sendgrid: { 'category:sign-in': '', category: 'sign-in' },
} as const;

describe.each(SERVICES)('%s mailer on the real SDK: what goes over the wire', (service) => {
  let server: MailServiceServer;
  beforeEach(async () => {
    server = await startService(service);
  });
  afterEach(async () => {
    await server.close();
  });

  it('sends one request with the method, path and credentials the service expects', async () => {
    await mailerFor(server).send(signInMessage());
    expect(server.requests).toHaveLength(1);
    const [req] = server.requests;
    expect(req!.method).toBe(WIRE[service].method);
    expect(req!.path).toBe(WIRE[service].path);
    expect(WIRE[service].auth(server.apiKey, req!.headers)).toBe(true);
  });

  it('sends the same subject, text, HTML and headers as smtpMailer', async () => {
    const smtp = await startSmtpServer();
    const viaSmtp = smtpMailer({ transport: smtp.url, from: 'Acme <login@acme.test>' });
    try {
      const message = signInMessage();
      await viaSmtp.send(message);
      await mailerFor(server).send(message);
      const mail = await smtp.waitForMessage(() => true);
      const [email] = server.outbox;
      expect(email).toBeDefined();
      expect(email!.from).toBe('Acme <login@acme.test>');
      expect(email!.to).toEqual(['ada@example.com']);
      expect(email!.subject).toBe(mail.subject);
      expect(email!.subject).toBe(message.subject);
      expect(email!.text).toBe(message.text);
      expect(email!.html).toBe(message.html);
      // What SMTP delivers is the same text and HTML, after MIME encoding and back.
      expect(mail.text?.trim()).toBe(email!.text.trim());
      expect(typeof mail.html === 'string' && mail.html.trim()).toBe(email!.html.trim());
      expect(email!.headers).toEqual({ 'X-Entity-Ref-ID': 'sign-in-1' });
      expect(mail.headers.get('x-entity-ref-id')).toBe('sign-in-1');
    } finally {
      viaSmtp.close();
      await smtp.close();
    }
  });

  it('tags the message as a sign-in email', async () => {
    await mailerFor(server).send(signInMessage());
    expect(server.outbox[0]!.tags).toEqual(TAGS[service]);
  });

  it('takes the tag option', async () => {
    await mailerFor(server, { tag: 'login_v2' }).send(signInMessage());
    expect(
      Object.values(server.outbox[0]!.tags).concat(Object.keys(server.outbox[0]!.tags)),
    ).toContain(service === 'sendgrid' ? 'category:login_v2' : 'login_v2');
  });

  it(`${WIRE[service].idempotent ? 'sends' : 'cannot send'} an idempotency key`, async () => {
    await mailerFor(server).send(signInMessage());
    const key = server.requests[0]!.headers['idempotency-key'];
    if (WIRE[service].idempotent) expect(key).toMatch(/^magic-link-[0-9a-f-]{36}$/);
    else expect(key).toBeUndefined();
  });
});

describe('tracking that would rewrite the sign-in link is off', () => {
  it('postmark: TrackLinks None, TrackOpens false, the outbound stream', async () => {
    const server = await startService('postmark');
    try {
      await mailerFor(server).send(signInMessage());
      expect(server.outbox[0]!.extra).toEqual({
        MessageStream: 'outbound',
        TrackOpens: false,
        TrackLinks: 'None',
      });
    } finally {
      await server.close();
    }
  });

  it('sendgrid: click tracking (HTML and text) and open tracking disabled', async () => {
    const server = await startService('sendgrid');
    try {
      await mailerFor(server).send(signInMessage());
      expect(server.outbox[0]!.extra['tracking_settings']).toEqual({
        click_tracking: { enable: false, enable_text: false },
        open_tracking: { enable: false },
      });
    } finally {
      await server.close();
    }
  });

  it('ses: UTF-8 parts and no configuration set unless asked', async () => {
    const server = await startService('ses');
    try {
      await mailerFor(server).send(signInMessage());
      expect(server.outbox[0]!.extra).toEqual({
        ConfigurationSetName: undefined,
        Charset: 'UTF-8',
      });
    } finally {
      await server.close();
    }
  });
});
