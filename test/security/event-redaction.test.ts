import { inspect } from 'node:util';
import request from 'supertest';
import type { MagicLinkEvent, OutgoingLink } from '../../lib/index';
import { redactText } from '../../lib/router/redact';
import { createTestApp } from '../helpers/app';
import type { TestApp } from '../helpers/app';

/**
 * Hardening round 2, "smaller": a provider's or mailer's error message may echo the address (an
 * SMTP 550 names the recipient; an API's 422 may quote the field) or a code. `onEvent` gets the
 * error with those redacted, and none of its nested data, while keeping what an operator needs:
 * the reason, the status or SMTP code, the error's name.
 */

const VICTIM = 'victim.person@example.com';

/** Everything a logger could print of an event: message, stack, own fields and causes. */
const printed = (event: MagicLinkEvent) =>
  inspect(event, { depth: 10, showHidden: true, breakLength: Infinity });

const providerErrors = (t: TestApp) =>
  t.events.filter(
    (e): e is Extract<MagicLinkEvent, { type: 'provider_error' }> => e.type === 'provider_error',
  );

describe('provider error messages are redacted in events', () => {
  let t: TestApp;
  afterEach(() => t.close());

  it("a mailer's SMTP error that names the recipient and the code", async () => {
    let sent: OutgoingLink | undefined;
    t = await createTestApp({
      provider: 'self-hosted',
      rateLimit: false,
      router: {
        delivery: (message) => {
          sent = message;
          throw Object.assign(
            new Error(
              `550 5.1.1 <${message.to}>: Recipient address rejected (code ${message.code})`,
            ),
            {
              responseCode: 550,
              response: `550 5.1.1 <${message.to}>: Recipient address rejected`,
              rcpt: { address: message.to },
            },
          );
        },
      },
    });
    await request(t.url).post('/auth/magic-link').type('form').send({ email: VICTIM });
    await t.settled();
    expect(sent?.code).toMatch(/^[0-9]{6}$/);
    const [event] = providerErrors(t);
    expect(event).toMatchObject({ reason: 'ERR_MAIL_FAILED' });
    const text = printed(event!);
    expect(text).not.toContain(VICTIM);
    expect(text).not.toContain('victim.person');
    expect(text).not.toContain(sent!.code!);
    expect(text).not.toContain(new URL(sent!.link).searchParams.get('state')!);
    // What the operator needs is still there.
    expect(event!.error).toBeInstanceOf(Error);
    expect(event!.error).toMatchObject({ responseCode: 550 });
    expect((event!.error as Error).message).toBe(
      '550 5.1.1 <[email]>: Recipient address rejected (code [code])',
    );
    expect(event!.error).not.toHaveProperty('rcpt');
  });

  it("WorkOS's 422 that quotes the address (the real SDK against the emulator)", async () => {
    t = await createTestApp({ provider: 'workos', delivery: 'workos', rateLimit: false });
    t.emulator!.failNext(1, 422, {
      message: `Email '${VICTIM}' is not a valid address.`,
      code: 'invalid_request_parameters',
      errors: [{ field: 'email', code: 'invalid', message: `${VICTIM} is invalid` }],
    });
    await request(t.url).post('/auth/magic-link').type('form').send({ email: VICTIM });
    await t.settled();
    const [event] = providerErrors(t);
    expect(event).toBeDefined();
    const text = printed(event!);
    expect(text).not.toContain(VICTIM);
    expect(text).toContain('[email]');
    expect(event!.error).toMatchObject({ status: 422 });
  });
});

describe('redactText', () => {
  it.each([
    ["Email 'a.b+c@example.co.uk' is invalid", "Email '[email]' is invalid"],
    ['<x@y.z>: rejected', '<[email]>: rejected'],
    ["The code '01HZX9K2M3N4P5Q6R7S8T9V0W1' has expired", "The code '[token]' has expired"],
    ['code 123456 wrong; 1234567 is not a code', 'code [code] wrong; 1234567 is not a code'],
    [
      'connect ECONNREFUSED 127.0.0.1:6379 at express-magic-link',
      'connect ECONNREFUSED 127.0.0.1:6379 at express-magic-link',
    ],
  ])('%s', (input, output) => {
    expect(redactText(input)).toBe(output);
  });
});
