import request from 'supertest';
import type { MailServiceServer } from '../../../lib/testing/mail-services';
import { createTestApp } from '../../helpers/app';
import type { TestApp } from '../../helpers/app';
import { mailerFor, QUICK, SERVICES, startService } from '../../helpers/mail-services';
import { askForLink, clickAsUser, everyLink } from '../../helpers/sign-in';

describe.each(SERVICES)('self-hosted sign-in with the %s mailer, end to end', (service) => {
  let server: MailServiceServer;
  let t: TestApp;
  afterEach(async () => {
    await t.close();
    await server.close();
  });

  it('asks for a link, the service receives the email, the link signs in', async () => {
    server = await startService(service);
    t = await createTestApp({ provider: 'self-hosted', router: { delivery: mailerFor(server) } });
    const agent = request.agent(t.url);
    const email = `ada.${service}@example.com`;
    await askForLink(agent, email);
    await t.settled();

    const sent = await server.waitForEmail((e) => e.to.includes(email));
    expect(sent.subject).toBe('Sign in to 127.0.0.1');
    const links = everyLink(sent.text, sent.html);
    expect(links).toHaveLength(1);
    expect(links[0]!.startsWith(`${t.url}/auth/`)).toBe(true);
    expect(await clickAsUser(t, agent, links[0]!, email)).toBe(true);
    expect(t.events.map((e) => e.type)).toEqual(expect.arrayContaining(['link_sent', 'sign_in']));
  });

  it('a service that refuses the sender: the event names the reason and the fix, never an address, and no link is reported sent', async () => {
    server = await startService(service);
    t = await createTestApp({
      provider: 'self-hosted',
      router: { delivery: mailerFor(server, { ...QUICK, from: 'login@unverified.test' }) },
    });
    const agent = request.agent(t.url);
    const email = `bob.${service}@example.com`;
    await askForLink(agent, email);
    await t.settled();

    expect(server.outbox).toHaveLength(0);
    const failed = t.events.find((e) => e.type === 'provider_error');
    expect(failed).toMatchObject({ type: 'provider_error', reason: 'ERR_MAIL_FAILED' });
    const error = (failed as { error: Error }).error;
    expect(error.message).toMatch(/answered 4\d\d .*Fix: /);
    expect(`${error.message} ${error.stack ?? ''}`).not.toContain('@');
    expect(t.events.some((e) => e.type === 'link_sent')).toBe(false);
  });
});
