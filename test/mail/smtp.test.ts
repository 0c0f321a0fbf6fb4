import { createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import * as nodemailer from 'nodemailer';
import { createTransport } from 'nodemailer';
import { MagicLinkError } from '../../lib/errors';
import type { MailMessage } from '../../lib/mail/mailer';
import { DEFAULT_SMTP_TIMEOUTS, smtpMailer } from '../../lib/mail/smtp';
import { defaultEmailTemplate } from '../../lib/mail/templates';
import { codeIn, linksIn, startSmtpServer } from '../helpers/smtp';
import type { TestSmtpServer } from '../helpers/smtp';

const FROM = 'Acme <no-reply@acme.example>';
const LINK = 'http://127.0.0.1:3000/auth/callback?code=tok_abc&state=st.xyz';

function message(overrides: Partial<MailMessage> = {}): MailMessage {
  const now = new Date('2026-01-01T00:00:00Z');
  return {
    to: 'ada@example.com',
    ...defaultEmailTemplate({
      to: overrides.to ?? 'ada@example.com',
      link: LINK,
      code: '654321',
      expiresAt: new Date(now.getTime() + 15 * 60_000),
      now,
      branding: { appName: 'Acme' },
    }),
    ...overrides,
  };
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function expectMailFailed(promise: Promise<unknown>): Promise<MagicLinkError> {
  const err: unknown = await promise.then(
    () => new Error('expected a rejection'),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(MagicLinkError);
  const mle = err as MagicLinkError;
  expect(mle.code).toBe('ERR_MAIL_FAILED');
  expect(mle.status).toBe(503);
  expect(mle.message).toBe('The email could not be sent.');
  // Node's socket errors come from another realm under Jest, so no toBeInstanceOf(Error) here.
  expect(mle.cause).toHaveProperty('message', expect.any(String));
  return mle;
}

describe('smtpMailer: delivery over real SMTP', () => {
  let smtp: TestSmtpServer;
  beforeAll(async () => {
    smtp = await startSmtpServer();
  });
  afterAll(() => smtp.close());

  it('delivers subject, text, html, from and to intact', async () => {
    const mailer = smtpMailer({ transport: smtp.url, from: FROM });
    const sent = message();
    await mailer.send(sent);
    const mail = await smtp.waitForMessage((m) => m.subject === 'Sign in to Acme');
    const index = smtp.messages.indexOf(mail);

    expect(mail.from?.value).toEqual([{ name: 'Acme', address: 'no-reply@acme.example' }]);
    expect(mail.to).toMatchObject({ value: [{ address: 'ada@example.com' }] });
    expect(mail.text?.trim()).toBe(sent.text.trim());
    expect(mail.html).toBe(sent.html);
    expect(linksIn(mail)).toEqual([LINK]);
    expect(codeIn(mail)).toBe('654321');
    expect(smtp.envelopes[index]).toEqual({
      from: 'no-reply@acme.example',
      to: ['ada@example.com'],
    });
    mailer.close();
  });

  it('accepts a URL with credentials and a nodemailer options object', async () => {
    const withAuth = smtpMailer({
      transport: `smtp://user:secret@127.0.0.1:${smtp.port}`,
      from: 'no-reply@acme.example',
    });
    await withAuth.send(message({ subject: 'via url' }));
    const withOptions = smtpMailer({
      transport: { host: '127.0.0.1', port: smtp.port, secure: false },
      from: 'no-reply@acme.example',
    });
    await withOptions.send(message({ subject: 'via options' }));
    await smtp.waitForMessage((m) => m.subject === 'via url');
    await smtp.waitForMessage((m) => m.subject === 'via options');
  });

  it('uses an existing nodemailer transporter as it is', async () => {
    const transporter = createTransport({ host: '127.0.0.1', port: smtp.port, secure: false });
    const mailer = smtpMailer({ transport: transporter, from: FROM });
    await mailer.verify();
    await mailer.send(message({ subject: 'via transporter' }));
    await smtp.waitForMessage((m) => m.subject === 'via transporter');
    transporter.close();
  });

  it('sends extra headers, and no header carries an injected line', async () => {
    const mailer = smtpMailer({ transport: smtp.url, from: FROM });
    await mailer.send(
      message({ subject: 'with headers', headers: { 'X-Entity-Ref-ID': 'sign-in-42' } }),
    );
    const mail = await smtp.waitForMessage((m) => m.subject === 'with headers');
    expect(mail.headers.get('x-entity-ref-id')).toBe('sign-in-42');
    const names = mail.headerLines.map((h) => h.key);
    expect(names).not.toContain('bcc');
    expect(names.filter((n) => n === 'to')).toHaveLength(1);
    expect(names.filter((n) => n === 'subject')).toHaveLength(1);
  });

  it('never reads files or URLs named in the message', async () => {
    const transporter = createTransport({ jsonTransport: true });
    const seen: unknown[] = [];
    const mailer = smtpMailer({
      transport: {
        sendMail: (options) => {
          seen.push(options);
          return transporter.sendMail(options);
        },
      },
      from: FROM,
    });
    await mailer.send(message());
    expect(seen[0]).toMatchObject({ disableFileAccess: true, disableUrlAccess: true });
  });

  it('verify() resolves against a live server', async () => {
    const mailer = smtpMailer({ transport: smtp.url, from: FROM });
    await expect(mailer.verify()).resolves.toBeUndefined();
  });
});

describe('smtpMailer: refuses unsafe messages before connecting', () => {
  let smtp: TestSmtpServer;
  beforeAll(async () => {
    smtp = await startSmtpServer();
  });
  afterAll(() => smtp.close());

  it.each([
    'v@x.com\r\nBcc: s@evil.com',
    'v@x.com\nBcc: s@evil.com',
    'v@x.com\rBcc: s@evil.com',
    'a@x.com,b@y.com',
    'a@x.com; b@y.com',
    'Name <a@x.com>',
    '"a@evil.com x"@victim.com',
    'not-an-address',
    '',
  ])('to %p → ERR_BAD_EMAIL without contacting the server', async (to) => {
    const before = smtp.connections;
    const mailer = smtpMailer({ transport: smtp.url, from: FROM });
    const err: unknown = await mailer.send(message({ to })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MagicLinkError);
    expect((err as MagicLinkError).code).toBe('ERR_BAD_EMAIL');
    expect((err as MagicLinkError).cause).toBeInstanceOf(TypeError);
    expect(smtp.connections).toBe(before);
  });

  it.each<[string, Partial<MailMessage>]>([
    ['a subject with CR/LF', { subject: 'Hi\r\nBcc: s@evil.com' }],
    ['a header value with LF', { headers: { 'X-Ref': 'a\nBcc: s@evil.com' } }],
    ['a header name with a colon', { headers: { 'X-Ref: x\r\nBcc': 'y' } }],
    ['a Bcc header', { headers: { Bcc: 's@evil.com' } }],
    ['a From header', { headers: { from: 'ceo@acme.example' } }],
  ])('%s → ERR_MAIL_FAILED without contacting the server', async (_label, overrides) => {
    const before = smtp.connections;
    const mailer = smtpMailer({ transport: smtp.url, from: FROM });
    const err = await expectMailFailed(mailer.send(message(overrides)));
    expect(err.cause).toBeInstanceOf(TypeError);
    expect(smtp.connections).toBe(before);
  });
});

/**
 * Well short of nodemailer's own timeouts (30 s for a greeting, 2 min to connect), so an answer
 * within it came from the failure itself or the configured timeout; the rest is room for a busy
 * machine.
 */
const NOT_NODEMAILERS_DEFAULT_MS = 15_000;

describe('smtpMailer: server failures', () => {
  it('rejects promptly with ERR_MAIL_FAILED when nothing listens (ECONNREFUSED)', async () => {
    const port = await closedPort();
    const mailer = smtpMailer({ transport: `smtp://127.0.0.1:${port}`, from: FROM });
    const started = Date.now();
    const err = await expectMailFailed(mailer.send(message()));
    expect(Date.now() - started).toBeLessThan(NOT_NODEMAILERS_DEFAULT_MS);
    expect((err.cause as NodeJS.ErrnoException).code).toMatch(/ECONNREFUSED|ECONNECTION|ESOCKET/);
    await expectMailFailed(mailer.verify());
  });

  it('gives up on a server that never greets, within the configured greetingTimeout', async () => {
    const sockets = new Set<Socket>();
    const silent: Server = createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as AddressInfo;
    try {
      const mailer = smtpMailer({
        transport: { host: '127.0.0.1', port, secure: false, greetingTimeout: 300 },
        from: FROM,
      });
      const started = Date.now();
      const err = await expectMailFailed(mailer.send(message()));
      expect(Date.now() - started).toBeLessThan(NOT_NODEMAILERS_DEFAULT_MS);
      expect((err.cause as NodeJS.ErrnoException).code).toBe('ETIMEDOUT');
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  it.each(['rcpt', 'data', 'mail'] as const)(
    'rejects with ERR_MAIL_FAILED when the server answers 550 to %s',
    async (stage) => {
      const smtp = await startSmtpServer({ failWith: { code: 550, stage } });
      try {
        const mailer = smtpMailer({ transport: smtp.url, from: FROM });
        const err = await expectMailFailed(mailer.send(message()));
        expect((err.cause as { responseCode?: number }).responseCode).toBe(550);
        expect(smtp.messages).toHaveLength(0);
      } finally {
        await smtp.close();
      }
    },
  );

  it('recovers once the server accepts again (rejectNext)', async () => {
    const smtp = await startSmtpServer();
    try {
      const mailer = smtpMailer({ transport: smtp.url, from: FROM });
      smtp.rejectNext(1, 554, 'data');
      await expectMailFailed(mailer.send(message({ subject: 'first' })));
      await mailer.send(message({ subject: 'second' }));
      const mail = await smtp.waitForMessage();
      expect(mail.subject).toBe('second');
      expect(smtp.messages).toHaveLength(1);
    } finally {
      await smtp.close();
    }
  });
});

describe('smtpMailer: construction', () => {
  afterEach(() => jest.restoreAllMocks());

  it('sets short connection timeouts by default and lets the app override them', () => {
    const spy = jest.spyOn(nodemailer, 'createTransport');
    smtpMailer({ transport: 'smtp://127.0.0.1:25', from: FROM });
    expect(spy).toHaveBeenLastCalledWith({ ...DEFAULT_SMTP_TIMEOUTS, url: 'smtp://127.0.0.1:25' });
    expect(DEFAULT_SMTP_TIMEOUTS).toMatchObject({
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
      socketTimeout: 20_000,
    });
    smtpMailer({ transport: { host: 'localhost', socketTimeout: 5 }, from: FROM });
    expect(spy).toHaveBeenLastCalledWith({
      ...DEFAULT_SMTP_TIMEOUTS,
      host: 'localhost',
      socketTimeout: 5,
    });
  });

  it.each([
    undefined,
    '',
    'no-reply@acme.example\r\nBcc: s@evil.com',
    'Acme <no-reply@acme.example>\n',
    'a@x.com, b@y.com',
    'Group: a@x.com;',
    'just a name',
    'Acme <not-an-address>',
    42,
  ])('throws a TypeError for from %p', (from) => {
    expect(() => smtpMailer({ transport: 'smtp://127.0.0.1:25', from: from as string })).toThrow(
      /^smtpMailer: from .*Fix: /,
    );
  });

  it.each([
    'no-reply@acme.example',
    'Acme <no-reply@acme.example>',
    '"Acme, Inc." <a@acme.example>',
  ])('accepts from %p', (from) => {
    expect(() => smtpMailer({ transport: 'smtp://127.0.0.1:25', from })).not.toThrow();
  });

  it.each([undefined, null, 'localhost:25', 'http://smtp.example.com', 42])(
    'throws a TypeError for transport %p',
    (transport) => {
      expect(() =>
        smtpMailer({ transport: transport as string, from: 'no-reply@acme.example' }),
      ).toThrow(/^smtpMailer: transport .*Fix: /);
    },
  );

  it('throws when called without options', () => {
    expect(() => (smtpMailer as (o?: unknown) => unknown)()).toThrow(/^smtpMailer: options/);
  });
});
