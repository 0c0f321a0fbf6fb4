import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { MailService } from '@sendgrid/mail';
import { buildSync } from 'esbuild';
import { ServerClient } from 'postmark';
import { Resend } from 'resend';
import {
  isMagicLinkError,
  postmarkMailer,
  resendMailer,
  sendgridMailer,
  sesMailer,
} from '../../../lib/index';
import type { Mailer } from '../../../lib/index';
import { parseRetryAfter } from '../../../lib/mail/services/deliver';
import type { MailServiceServer } from '../../../lib/testing/mail-services';
import { mailerFor, SERVICES, startService } from '../../helpers/mail-services';

const sgWithKey = (): MailService => {
  const sg = new MailService();
  sg.setApiKey('SG.test.key');
  return sg;
};

/** Each factory, called with `extra` over a working client and sender. */
const FACTORIES: Record<string, (extra: object) => Mailer> = {
  resendMailer: (extra) =>
    resendMailer({ resend: new Resend('re_test'), from: 'a@acme.test', ...extra }),
  postmarkMailer: (extra) =>
    postmarkMailer({ client: new ServerClient('token'), from: 'a@acme.test', ...extra }),
  sesMailer: (extra) =>
    sesMailer({ client: new SESv2Client({ region: 'us-east-1' }), from: 'a@acme.test', ...extra }),
  sendgridMailer: (extra) => sendgridMailer({ client: sgWithKey(), from: 'a@acme.test', ...extra }),
};
const CLIENT_OPTION: Record<string, string> = {
  resendMailer: 'resend',
  postmarkMailer: 'client',
  sesMailer: 'client',
  sendgridMailer: 'client',
};

describe.each(Object.keys(FACTORIES))('%s: bad options throw at construction', (name) => {
  const make = FACTORIES[name]!;

  it('no options', () => {
    const factory = { resendMailer, postmarkMailer, sesMailer, sendgridMailer }[name] as (
      o: unknown,
    ) => Mailer;
    expect(() => factory(undefined)).toThrow(new RegExp(`^${name}: options are required\\. Fix: `));
  });

  it('something that is not the SDK client', () => {
    expect(() => make({ [CLIENT_OPTION[name]!]: {} })).toThrow(
      new RegExp(`^${name}: ${CLIENT_OPTION[name]} must be the service's client .*Fix: `),
    );
  });

  it.each([
    ['missing', undefined, /from is required/],
    ['two addresses', 'a@acme.test, b@acme.test', /exactly one email address/],
    ['a line break', 'a@acme.test\r\nBcc: x@evil.test', /line breaks/],
  ])('from: %s', (_label, from, problem) => {
    expect(() => make({ from })).toThrow(TypeError);
    expect(() => make({ from })).toThrow(problem);
  });

  it.each([
    [{ retries: 3 }, /retries must be 0, 1 or 2/],
    [{ retries: -1 }, /retries must be 0, 1 or 2/],
    [{ timeoutMs: 0 }, /timeoutMs must be more than 0/],
    [{ backoffMs: Number.NaN }, /backoffMs must be a number/],
    [{ tag: 'sign in' }, /tag must be 1 to 64 ASCII letters/],
  ])('%j', (extra, problem) => {
    expect(() => make(extra)).toThrow(problem);
  });

  it('good options build a mailer', () => {
    expect(typeof make({}).send).toBe('function');
  });
});

describe('service-specific setup checks', () => {
  it('sendgridMailer refuses a client with no API key, and says to call setApiKey', () => {
    expect(() => sendgridMailer({ client: new MailService(), from: 'a@acme.test' })).toThrow(
      /^sendgridMailer: client has no API key\. Fix: call sgMail\.setApiKey/,
    );
  });

  it('postmarkMailer refuses a messageStream that is not a stream ID', () => {
    expect(() =>
      postmarkMailer({ client: new ServerClient('t'), from: 'a@acme.test', messageStream: 'a b' }),
    ).toThrow(/messageStream must be a stream ID/);
  });

  it('sesMailer refuses a configurationSetName that is not a name', () => {
    expect(() =>
      sesMailer({
        client: new SESv2Client({ region: 'us-east-1' }),
        from: 'a@acme.test',
        configurationSetName: 'a/b',
      }),
    ).toThrow(/configurationSetName must be the name/);
  });
});

describe.each(SERVICES)('%s mailer refuses a bad message before any request', (service) => {
  let server: MailServiceServer;
  beforeEach(async () => {
    server = await startService(service);
  });
  afterEach(async () => {
    await server.close();
  });

  it.each([
    ['a to with a line break', { to: 'a@example.com\r\nBcc: x@evil.test' }, 'ERR_BAD_EMAIL'],
    ['two recipients', { to: 'a@example.com,b@example.com' }, 'ERR_BAD_EMAIL'],
    ['a reserved header', { headers: { Bcc: 'x@evil.test' } }, 'ERR_MAIL_FAILED'],
    ['a header value with a line break', { headers: { 'X-A': 'a\nb' } }, 'ERR_MAIL_FAILED'],
  ])('%s', async (_label, overrides, code) => {
    const err: unknown = await mailerFor(server)
      .send({ to: 'a@example.com', subject: 's', text: 't', html: 'h', ...overrides })
      .catch((e: unknown) => e);
    expect(isMagicLinkError(err) && err.code).toBe(code);
    expect(server.requests).toHaveLength(0);
  });
});

describe('sesMailer: a client with no region', () => {
  const saved = {
    AWS_REGION: process.env.AWS_REGION,
    AWS_DEFAULT_REGION: process.env.AWS_DEFAULT_REGION,
  };
  beforeEach(() => {
    delete process.env.AWS_REGION;
    delete process.env.AWS_DEFAULT_REGION;
  });
  afterEach(() => {
    for (const [k, v] of Object.entries(saved)) if (v !== undefined) process.env[k] = v;
  });

  it('fails on the first send, naming AWS_REGION', async () => {
    const mailer = sesMailer({
      client: new SESv2Client({
        endpoint: 'http://127.0.0.1:9',
        credentials: { accessKeyId: 'AKIATEST', secretAccessKey: 'x' },
      }),
      from: 'login@acme.test',
    });
    const err: unknown = await mailer
      .send({ to: 'a@example.com', subject: 's', text: 't', html: 'h' })
      .catch((e: unknown) => e);
    expect(isMagicLinkError(err) && err.code).toBe('ERR_MAIL_FAILED');
    expect(((err as Error).cause as Error).message).toMatch(
      /Fix: give the client a region.*AWS_REGION/,
    );
  });
});

describe('sesMailer: configurationSetName', () => {
  it('is sent when given', async () => {
    const server = await startService('ses');
    try {
      await sesMailer({
        client: new SESv2Client({
          endpoint: server.url,
          region: 'us-east-1',
          credentials: { accessKeyId: server.apiKey, secretAccessKey: 'x' },
        }),
        from: 'login@acme.test',
        configurationSetName: 'sign-in-events',
      }).send({ to: 'a@example.com', subject: 's', text: 't', html: 'h' });
      expect(server.outbox[0]!.extra['ConfigurationSetName']).toBe('sign-in-events');
    } finally {
      await server.close();
    }
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  it.each([
    ['2', 2000],
    [' 0 ', 0],
    ['Thu, 01 Jan 2026 00:00:05 GMT', 5000],
    ['Wed, 31 Dec 2025 23:59:00 GMT', 0],
    ['soon', null],
    ['', null],
    [null, null],
    [undefined, null],
    ['-1', null],
  ])('%j → %j', (value, ms) => {
    expect(parseRetryAfter(value, now)).toBe(ms);
  });
});

describe('the SDKs are loaded only by the mailer that uses them', () => {
  const SDKS = /node_modules\/(resend|postmark|@aws-sdk\/client-sesv2|@sendgrid\/mail)\//;
  let dir: string;
  let bundle: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'mail-sdks-'));
    bundle = join(dir, 'index.cjs');
    // The package as built, with every dependency left to require() at run time.
    buildSync({
      entryPoints: [join(__dirname, '../../../lib/index.ts')],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      packages: 'external',
      outfile: bundle,
      logLevel: 'silent',
    });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function loadedSdks(code: string): string[] {
    const script = `const lib = require(${JSON.stringify(bundle)});
      (async () => { ${code} })().then(() => {
        const seen = new Set();
        for (const file of Object.keys(require.cache)) {
          const m = ${SDKS.toString()}.exec(file);
          if (m) seen.add(m[1]);
        }
        console.log(JSON.stringify([...seen].sort()));
      });`;
    const out = execFileSync(process.execPath, ['-e', script], {
      cwd: join(__dirname, '../../..'),
      // The bundle sits in a temporary folder; its requires resolve from this repo.
      env: { ...process.env, NODE_PATH: join(__dirname, '../../../node_modules') },
      encoding: 'utf8',
    });
    return JSON.parse(out.trim().split('\n').pop()!) as string[];
  }

  it('importing the package loads none of them', () => {
    expect(loadedSdks('lib.magicLinkRouter;')).toEqual([]);
  });

  it('sesMailer() loads the AWS SDK (for SendEmailCommand) and nothing else', () => {
    expect(
      loadedSdks(`
        const { SESv2Client } = require('@aws-sdk/client-sesv2');
        lib.sesMailer({ client: new SESv2Client({ region: 'us-east-1' }), from: 'a@acme.test' });
        await new Promise((r) => setTimeout(r, 200));`),
    ).toEqual(['@aws-sdk/client-sesv2']);
  });
});
