import { isMagicLinkError } from '../../../lib/index';
import type { MailMessage } from '../../../lib/index';
import type { MailServiceServer } from '../../../lib/testing/mail-services';
import { mailerFor, QUICK, SERVICES, startService } from '../../helpers/mail-services';

const TO = 'grace.hopper@example.com';

function message(overrides: Partial<MailMessage> = {}): MailMessage {
  return {
    to: TO,
    subject: 'Sign in to Acme',
    text: 'Open https://app.example.test/auth/callback?token=t',
    html: '<a href="https://app.example.test/auth/callback?token=t">Sign in</a>',
    ...overrides,
  };
}

/** The send's rejection, checked to be ERR_MAIL_FAILED, with its cause's text. */
async function failure(promise: Promise<void>): Promise<{ text: string; status: unknown }> {
  const err: unknown = await promise.then(
    () => new Error('expected the send to fail'),
    (e: unknown) => e,
  );
  if (!isMagicLinkError(err)) throw err;
  expect(err.code).toBe('ERR_MAIL_FAILED');
  const cause = err.cause as Error & { status?: unknown };
  expect(cause).toBeInstanceOf(Error);
  // The cause goes to onEvent and logs: never the recipient's address, nor any other.
  expect(`${cause.message} ${cause.stack ?? ''}`).not.toMatch(/[^\s<>()"']+@[^\s<>()"']+/);
  return { text: cause.message, status: cause.status };
}

// The AWS SDK retries throttling, 5xx and dropped connections itself (3 attempts by default);
// sesMailer adds none of its own, so the counts below hold for every service.
describe.each(SERVICES)('%s mailer: failures', (service) => {
  let server: MailServiceServer;
  beforeEach(async () => {
    server = await startService(service);
  });
  afterEach(async () => {
    await server.close();
  });

  it('a wrong key fails at once with the status and a fix that names the credentials', async () => {
    const mailer = mailerFor(server, { ...QUICK, apiKey: wrongKey(service) });
    const { text } = await failure(mailer.send(message()));
    expect(text).toMatch(/answered 40[13]/);
    expect(text).toMatch(/Fix: .*(API_KEY|TOKEN|credentials)/);
    expect(server.requests).toHaveLength(1);
    expect(server.outbox).toHaveLength(0);
  });

  it('an unverified sender fails at once with the service reason, its address redacted, and a fix naming from', async () => {
    const mailer = mailerFor(server, { ...QUICK, from: 'login@unverified.test' });
    const { text, status } = await failure(mailer.send(message()));
    expect(status).toBe({ resend: 403, postmark: 422, ses: 400, sendgrid: 403 }[service]);
    expect(text).toMatch(/verif|Sender Signature/i);
    expect(text).toMatch(/Fix: .*from/);
    expect(server.requests).toHaveLength(1);
  });

  it('a 500 is retried at most twice, then fails', async () => {
    server.failNext({ status: 500, message: 'Internal error' }, 5);
    const { text, status } = await failure(mailerFor(server, QUICK).send(message()));
    expect(status).toBe(500);
    expect(server.requests).toHaveLength(3);
    expect(server.outbox).toHaveLength(0);
    if (service !== 'ses') expect(text).toContain('after 3 attempts');
  });

  it('a 500 then a success delivers once', async () => {
    server.failNext({ status: 500 }, 1);
    await mailerFor(server, QUICK).send(message());
    expect(server.requests).toHaveLength(2);
    expect(server.outbox).toHaveLength(1);
  });

  it('a 429 is retried, then delivered', async () => {
    server.failNext({ status: 429, retryAfter: '1' }, 1);
    await mailerFor(server, QUICK).send(message());
    expect(server.requests).toHaveLength(2);
    expect(server.outbox).toHaveLength(1);
  });

  it('a hang fails within the time limit and is not retried', async () => {
    const mailer = mailerFor(server, { ...QUICK, timeoutMs: 1_000 });
    // A first send loads the SDK and warms its connection, so the limit times the hang only.
    await mailer.send(message());
    server.failNext({ hang: true }, 1);
    const { text, status } = await failure(mailer.send(message()));
    expect(status).toBeNull();
    expect(text).toContain('no answer within 1000 ms');
    expect(server.requests).toHaveLength(2);
    expect(server.outbox).toHaveLength(1);
  });

  it('a dropped connection is retried, then delivered', async () => {
    server.failNext({ drop: true }, 1);
    await mailerFor(server, QUICK).send(message());
    expect(server.requests).toHaveLength(2);
    expect(server.outbox).toHaveLength(1);
  });

  it('connections dropped every time fail with no status', async () => {
    server.failNext({ drop: true }, 5);
    const { status } = await failure(mailerFor(server, QUICK).send(message()));
    expect(status).toBeNull();
    expect(server.requests).toHaveLength(3);
  });
});

describe.each(['resend', 'postmark', 'sendgrid'] as const)(
  '%s mailer: its own retries',
  (service) => {
    let server: MailServiceServer;
    beforeEach(async () => {
      server = await startService(service);
    });
    afterEach(async () => {
      await server.close();
    });

    it('does not retry past the link expiry', async () => {
      server.failNext({ status: 503 }, 1);
      const expiresAt = new Date(Date.now() + 5_000);
      // The first back-off is 10 to 20 s with jitter: longer than what is left of the link.
      const mailer = mailerFor(server, { ...QUICK, backoffMs: 20_000 });
      const { text } = await failure(mailer.send(message({ expiresAt })));
      expect(text).toContain('no time left to retry before the link expires');
      expect(server.requests).toHaveLength(1);
    });

    it('does not send at all once the link has expired', async () => {
      const { text } = await failure(
        mailerFor(server, QUICK).send(message({ expiresAt: new Date(Date.now() - 1) })),
      );
      expect(text).toContain('not sent to');
      expect(text).toContain('the link has expired');
      expect(server.requests).toHaveLength(0);
    });

    it('retries: 0 tries once', async () => {
      server.failNext({ status: 503 }, 1);
      await failure(mailerFor(server, { ...QUICK, retries: 0 }).send(message()));
      expect(server.requests).toHaveLength(1);
    });
  },
);

// Postmark's SDK does not show response headers, so postmarkMailer falls back to its back-off.
describe.each(['resend', 'sendgrid'] as const)('%s mailer: Retry-After', (service) => {
  let server: MailServiceServer;
  beforeEach(async () => {
    server = await startService(service);
  });
  afterEach(async () => {
    await server.close();
  });

  it('waits as long as Retry-After asks', async () => {
    server.failNext({ status: 429, retryAfter: '1' }, 1);
    await mailerFor(server, { ...QUICK, backoffMs: 1 }).send(message());
    const [first, second] = server.requests;
    // A lower bound only: a busy machine can make the wait longer, never shorter.
    expect(second!.receivedAt - first!.receivedAt).toBeGreaterThanOrEqual(950);
  });

  it('fails at once when Retry-After asks for longer than maxRetryAfterMs', async () => {
    server.failNext({ status: 429, retryAfter: '30' }, 1);
    const { text } = await failure(mailerFor(server, QUICK).send(message()));
    expect(text).toContain('Retry-After asked for 30000 ms');
    expect(server.requests).toHaveLength(1);
  });
});

describe('an answer lost after the service accepted the email', () => {
  it('resend: the retry carries the same Idempotency-Key, so the email is delivered once', async () => {
    const server = await startService('resend');
    try {
      server.failNext({ lose: true }, 1);
      await mailerFor(server, QUICK).send(message());
      expect(server.requests).toHaveLength(2);
      const keys = server.requests.map((r) => r.headers['idempotency-key']);
      expect(keys[0]).toMatch(/^magic-link-/);
      expect(keys[1]).toBe(keys[0]);
      expect(server.outbox).toHaveLength(1);
    } finally {
      await server.close();
    }
  });

  it('resend: a 409 concurrent_idempotent_requests (the first attempt still running) is retried with the same key', async () => {
    const server = await startService('resend');
    try {
      server.failNext({ status: 409 }, 1);
      await mailerFor(server, QUICK).send(message());
      expect(server.requests).toHaveLength(2);
      expect(server.requests[1]!.headers['idempotency-key']).toBe(
        server.requests[0]!.headers['idempotency-key'],
      );
      expect(server.outbox).toHaveLength(1);
    } finally {
      await server.close();
    }
  });

  it('resend: other 4xx answers are not retried', async () => {
    const server = await startService('resend');
    try {
      server.failNext({ status: 400 }, 1);
      await failure(mailerFor(server, QUICK).send(message()));
      expect(server.requests).toHaveLength(1);
    } finally {
      await server.close();
    }
  });

  it('resend: each message gets its own key', async () => {
    const server = await startService('resend');
    try {
      const mailer = mailerFor(server, QUICK);
      await mailer.send(message());
      await mailer.send(message());
      expect(server.outbox).toHaveLength(2);
      const [a, b] = server.requests.map((r) => r.headers['idempotency-key']);
      expect(a).not.toBe(b);
    } finally {
      await server.close();
    }
  });

  // Postmark and SendGrid take no key: the documented cost of retrying a lost answer.
  it.each(['postmark', 'sendgrid'] as const)(
    '%s: with no idempotency key, the retry delivers the same email a second time',
    async (service) => {
      const server = await startService(service);
      try {
        server.failNext({ lose: true }, 1);
        await mailerFor(server, QUICK).send(message());
        expect(server.outbox).toHaveLength(2);
        expect(server.outbox[1]!.text).toBe(server.outbox[0]!.text);
      } finally {
        await server.close();
      }
    },
  );
});

function wrongKey(service: string): string {
  switch (service) {
    case 'resend':
      return 're_wrong_key';
    case 'sendgrid':
      return 'SG.wrong.key';
    case 'ses':
      return 'AKIAWRONGKEY00000000';
    default:
      return 'wrong-server-token';
  }
}
