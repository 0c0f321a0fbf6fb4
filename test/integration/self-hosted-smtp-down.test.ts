import type { AddressInfo } from 'node:net';
import { simpleParser } from 'mailparser';
import type { ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import request from 'supertest';
import { memoryStore, smtpMailer } from '../../lib/index';
import type { MemoryStore } from '../../lib/stores/memory';
import { createTestApp, pathOf } from '../helpers/app';
import type { TestApp } from '../helpers/app';
import { codeIn, linksIn } from '../helpers/smtp';
import { askForLink, nextEmail, setsSession } from '../helpers/sign-in';

/** docs/threat-model.md, "Faults": SMTP is down. The user is told the email could not be sent. */

const EMAIL = 'alice@example.com';

/**
 * An SMTP server that reads the whole message and only then refuses it with 550, the way a
 * content filter does. It keeps what it refused, so a test can try the link that never arrived.
 */
async function startRefusingSmtpServer(): Promise<{
  url: string;
  refused: ParsedMail[];
  close(): Promise<void>;
}> {
  const refused: ParsedMail[] = [];
  const server = new SMTPServer({
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    closeTimeout: 500,
    onData(stream, _session, callback) {
      simpleParser(stream).then(
        (mail) => {
          refused.push(mail);
          callback(Object.assign(new Error('Message refused by policy'), { responseCode: 550 }));
        },
        (err: Error) => callback(err),
      );
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  server.on('error', () => undefined);
  const { port } = server.server.address() as AddressInfo;
  return {
    url: `smtp://127.0.0.1:${port}`,
    refused,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('Self-hosted sign-in when SMTP fails', () => {
  let t: TestApp;
  let store: MemoryStore;
  beforeEach(async () => {
    store = memoryStore();
    t = await createTestApp({ provider: 'self-hosted', rateLimit: false, store });
  });
  afterEach(() => t.close());

  // The answer comes before the mailer runs (threat model A3): the visitor sees "check your
  // email" either way, and the operator gets the failure as an event.
  async function expectMailFailed(agent: request.Agent): Promise<void> {
    const html = await agent
      .post('/auth/magic-link')
      .type('form')
      .send({ email: EMAIL, returnTo: '/account' });
    expect(html.status).toBe(303);
    expect(html.headers.location).toBe('/auth/magic-link/sent');

    const json = await agent.post('/auth/magic-link').send({ email: EMAIL });
    expect(json.status).toBe(202);
    expect(json.body).toEqual({ status: 'sent' });
    await t.settled();

    const failures = t.events.filter((e) => e.type === 'provider_error');
    expect(failures.map((e) => e.type === 'provider_error' && e.reason)).toEqual([
      'ERR_MAIL_FAILED',
      'ERR_MAIL_FAILED',
    ]);
    expect(t.events.some((e) => e.type === 'link_sent')).toBe(false);
    // Nothing usable was kept: no pending sign-in, no token, no code.
    expect(store.size).toBe(0);
    expect((await request(t.url).get('/')).text).toBe('home');
  }

  it('reports ERR_MAIL_FAILED when the server is gone, keeps nothing, and keeps serving', async () => {
    await t.smtp!.close();
    await expectMailFailed(request.agent(t.url));
  });

  it('reports a 550 for the recipient, keeps nothing, then recovers', async () => {
    t.smtp!.rejectNext(2, 550, 'rcpt');
    const agent = request.agent(t.url);
    await expectMailFailed(agent);
    expect(t.smtp!.messages).toHaveLength(0);

    await askForLink(agent, EMAIL);
    const { link } = await nextEmail(t, EMAIL);
    expect((await agent.get(pathOf(link))).status).toBe(303);
  });

  describe('when the server refuses the message after reading it', () => {
    let refusing: Awaited<ReturnType<typeof startRefusingSmtpServer>>;
    let mailer: ReturnType<typeof smtpMailer>;
    beforeEach(async () => {
      await t.close();
      refusing = await startRefusingSmtpServer();
      store = memoryStore();
      mailer = smtpMailer({ transport: refusing.url, from: 'login@example.test' });
      t = await createTestApp({
        provider: 'self-hosted',
        rateLimit: false,
        store,
        router: { delivery: mailer },
      });
    });
    afterEach(async () => {
      mailer.close();
      await refusing.close();
    });

    it('withdraws the link and the code that were in it', async () => {
      const agent = request.agent(t.url);
      await expectMailFailed(agent);
      expect(refusing.refused).toHaveLength(2);
      const mail = refusing.refused[0]!;
      const [link] = linksIn(mail);
      const code = codeIn(mail);
      expect(link).toMatch(/\/auth\/callback\?code=/);
      expect(code).toMatch(/^[0-9]{6}$/);

      const clicked = await agent.get(pathOf(link!));
      expect(clicked.status).toBe(400);
      expect(setsSession(clicked)).toBe(false);
      const typed = await agent.post('/auth/magic-link/verify').type('form').send({ code });
      expect(typed.status).toBe(400);
      expect(setsSession(typed)).toBe(false);
      const confirmed = await request(t.url)
        .post('/auth/callback')
        .type('form')
        .send(Object.fromEntries(new URL(link!).searchParams));
      expect(confirmed.status).toBe(400);
      expect(t.events.filter((e) => e.type === 'sign_in')).toEqual([]);
    });
  });
});
