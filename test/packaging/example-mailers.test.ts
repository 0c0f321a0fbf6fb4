import { randomBytes } from 'node:crypto';
import request from 'supertest';
import type { MailServiceServer } from '../../lib/testing/mail-services';
import { exampleFactoryWith, startExample } from '../helpers/example-process';
import { startService } from '../helpers/mail-services';
import { BUILD_TIMEOUT_MS, START_TIMEOUT_MS, ensureBuilt, freePort } from '../helpers/processes';
import type { ExampleProcess } from '../helpers/processes';
import { everyLink } from '../helpers/sign-in';

/** The factory with `env` and no port of its own. */
const startWith = (env: Record<string, string>) => exampleFactoryWith({ PORT: '0', ...env });

describe('the example app: MAILER', () => {
  beforeAll(() => ensureBuilt(), BUILD_TIMEOUT_MS + 30_000);

  it('an unknown MAILER lists the ones there are', async () => {
    await expect(startWith({ MAILER: 'mailgun' })).resolves.toBe(
      'failed: MAILER=mailgun is not a mailer. Use one of: resend, postmark, ses, sendgrid.',
    );
  }, 70_000);

  it.each([
    [{ MAILER: 'resend', RESEND_API_KEY: 're_x' }, 'MAIL_FROM'],
    [{ MAILER: 'resend', MAIL_FROM: 'a@acme.test' }, 'RESEND_API_KEY'],
    [{ MAILER: 'postmark', MAIL_FROM: 'a@acme.test' }, 'POSTMARK_SERVER_TOKEN'],
    [{ MAILER: 'ses', MAIL_FROM: 'a@acme.test' }, 'AWS_REGION'],
    [{ MAILER: 'sendgrid', MAIL_FROM: 'a@acme.test' }, 'SENDGRID_API_KEY'],
  ])(
    '%j names the missing %s',
    async (env, missing) => {
      await expect(startWith(env)).resolves.toMatch(
        new RegExp(`^failed: MAILER=${env.MAILER} needs ${missing}: `),
      );
    },
    70_000,
  );

  it.each<Record<string, string>>([
    { MAILER: 'postmark', MAIL_FROM: 'a@acme.test', POSTMARK_SERVER_TOKEN: 't' },
    { MAILER: 'ses', MAIL_FROM: 'a@acme.test', AWS_REGION: 'eu-west-1' },
    { MAILER: 'sendgrid', MAIL_FROM: 'a@acme.test', SENDGRID_API_KEY: 'SG.x' },
  ])(
    '%j starts',
    async (env) => {
      await expect(startWith({ MAGIC_LINK_PROVIDER: 'self-hosted', ...env })).resolves.toBe(
        'started',
      );
    },
    70_000,
  );
});

describe('the example app with MAILER=resend, self-hosted, against a Resend wire server', () => {
  let server: MailServiceServer;
  let app: ExampleProcess;

  beforeAll(
    async () => {
      server = await startService('resend');
      const port = await freePort();
      app = await startExample(port, {
        MAGIC_LINK_PROVIDER: 'self-hosted',
        MAILER: 'resend',
        RESEND_API_KEY: server.apiKey,
        RESEND_BASE_URL: server.url,
        MAIL_FROM: 'Example <login@acme.test>',
        MAGIC_LINK_SECRET: randomBytes(32).toString('base64url'),
        SESSION_SECRET: randomBytes(32).toString('base64url'),
        NODE_ENV: 'development',
        ORIGIN: `http://127.0.0.1:${port}`,
      });
    },
    BUILD_TIMEOUT_MS + START_TIMEOUT_MS + 30_000,
  );

  afterAll(async () => {
    await app?.stop();
    await server?.close();
  }, 30_000);

  it('emails the link through Resend, and the link signs in', async () => {
    const agent = request.agent(app.url);
    const email = 'ada@example.com';
    const asked = await agent
      .post('/auth/magic-link')
      .type('form')
      .send({ email, returnTo: '/account' });
    expect(asked.status).toBe(303);
    const sent = await server.waitForEmail((e) => e.to.includes(email));
    expect(sent.from).toBe('Example <login@acme.test>');
    const [link] = everyLink(sent.text, sent.html);
    const landed = await agent.get(new URL(link!).pathname + new URL(link!).search);
    expect(landed.status).toBe(303);
    expect(landed.headers.location).toBe('/account');
    const account = await agent.get('/account');
    expect(account.status).toBe(200);
    expect(account.text).toContain(email);
  });
});
