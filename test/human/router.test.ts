import type { IncomingMessage } from 'node:http';
import request from 'supertest';
import { turnstile } from '../../lib/index';
import type { HumanVerdict, MagicLinkEvent } from '../../lib/index';
import { createTestApp } from '../helpers/app';
import type { TestApp } from '../helpers/app';
import { GOOD_SECRET, goodToken, startFakeSiteverify } from '../helpers/siteverify';
import type { FakeSiteverify } from '../helpers/siteverify';
import { expectNoStackTrace, resetApp, sessionCalls } from '../security/flow';

const FIELD = 'cf-turnstile-response';
const SCRIPT = 'https://challenges.cloudflare.com/turnstile/v0/api.js';

function eventsOf<T extends MagicLinkEvent['type']>(
  t: TestApp,
  type: T,
): Extract<MagicLinkEvent, { type: T }>[] {
  return t.events.filter((e): e is Extract<MagicLinkEvent, { type: T }> => e.type === type);
}

/** Waits until every email sent so far has reached the SMTP server and been parsed. */
async function settledMail(t: TestApp): Promise<void> {
  await t.settled();
  const sent = t.events.filter((e) => e.type === 'link_sent').length;
  while (t.smtp!.messages.length < sent) await new Promise((r) => setTimeout(r, 10));
}

/** Nothing left the app: no SMTP message and no call to WorkOS, once background sends are done. */
async function expectNothingSent(t: TestApp, mailsBefore: number): Promise<void> {
  await t.settled();
  expect(t.smtp!.messages).toHaveLength(mailsBefore);
  expect(await sessionCalls(t)).toBe(0);
}

describe('verifyHuman: turnstile() in front of POST /auth/magic-link, through the real router', () => {
  let t: TestApp;
  let fake: FakeSiteverify;
  let check: ReturnType<typeof turnstile>;

  beforeAll(async () => {
    fake = await startFakeSiteverify('turnstile');
    // A check whose secret can be switched, to play a misconfigured app without a second app.
    let secret = GOOD_SECRET;
    const good = turnstile({ secret: GOOD_SECRET, sitekey: 'site-key-1', siteverifyUrl: fake.url });
    check = Object.assign(
      (req: IncomingMessage, fields: Readonly<Record<string, string>>) =>
        secret === GOOD_SECRET
          ? good(req, fields)
          : turnstile({ secret, siteverifyUrl: fake.url })(req, fields),
      {
        widget: good.widget,
        useSecret: (s: string) => {
          secret = s;
        },
      },
    );
    t = await createTestApp({
      provider: 'workos',
      delivery: 'smtp',
      router: { verifyHuman: check },
    });
  });
  afterAll(async () => {
    await t.close();
    await fake.close();
  });
  beforeEach(async () => {
    await settledMail(t);
    resetApp(t);
    fake.requests.length = 0;
    fake.mode = 'service';
    (check as unknown as { useSecret(s: string): void }).useSecret(GOOD_SECRET);
  });

  it('the sign-in page carries the widget inside the form, and its script', async () => {
    const res = await request(t.url).get('/auth/magic-link');
    expect(res.status).toBe(200);
    const form = res.text.slice(res.text.indexOf('<form'), res.text.indexOf('</form>'));
    expect(form).toContain('<div class="cf-turnstile" data-sitekey="site-key-1"></div>');
    expect(res.text.match(/<script\b[^>]*>/g)).toEqual([`<script src="${SCRIPT}" async defer>`]);
  });

  it('only the pages that ask for a link load the script; the others stay script-free', async () => {
    const scriptFree = [
      await request(t.url).get('/auth/magic-link/sent'),
      await request(t.url).get('/auth/logout'),
      await request(t.url)
        .post('/auth/magic-link')
        .set('Origin', 'https://evil.example')
        .type('form')
        .send({ email: 'x@example.com' }),
    ];
    for (const res of scriptFree) {
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect(res.text).not.toMatch(/<script/i);
    }
  });

  it('no token: 400 with the sign-in page, an event, and no siteverify, provider or email', async () => {
    const mails = t.smtp!.messages.length;
    const res = await request(t.url)
      .post('/auth/magic-link')
      .type('form')
      .send({ email: 'no-token@example.com', returnTo: '/settings' });
    expect(res.status).toBe(400);
    expect(res.text).toContain('Complete the check that you are human, then try again.');
    expect(res.text).toContain('<form method="post" action="/auth/magic-link">');
    expect(res.text).toContain('value="/settings"');
    expect(res.text).toContain('class="cf-turnstile"');
    expectNoStackTrace(res.text);
    expect(fake.requests).toHaveLength(0);
    expect(eventsOf(t, 'human_check_failed')).toEqual([
      expect.objectContaining({ reason: 'missing-input-response', ip: '127.0.0.1' }),
    ]);
    expect(eventsOf(t, 'sign_in_failed')).toEqual([]);
    await expectNothingSent(t, mails);
  });

  it('a bad token: 400, siteverify asked once with the client IP and never the address, nothing sent', async () => {
    const mails = t.smtp!.messages.length;
    const res = await request(t.url)
      .post('/auth/magic-link')
      .type('form')
      .send({ email: 'bad-token@example.com', [FIELD]: 'forged' });
    expect(res.status).toBe(400);
    expect(fake.requests).toHaveLength(1);
    expect(fake.requests[0]!.fields).toMatchObject({ response: 'forged', remoteip: '127.0.0.1' });
    expect(JSON.stringify(fake.requests[0]!.fields)).not.toContain('bad-token@example.com');
    expect(eventsOf(t, 'human_check_failed')[0]!.reason).toBe('invalid-input-response');
    await expectNothingSent(t, mails);
  });

  it('a bad token over JSON: 400 {error: "human_check_failed", message}', async () => {
    const res = await request(t.url)
      .post('/auth/magic-link')
      .send({ email: 'json@example.com', [FIELD]: 'forged' });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      error: 'human_check_failed',
      message: 'Complete the check that you are human, then try again.',
    });
    await expectNothingSent(t, t.smtp!.messages.length);
  });

  it('a good token proceeds as usual: 303, one provider call, one email', async () => {
    const mails = t.smtp!.messages.length;
    const res = await request(t.url)
      .post('/auth/magic-link')
      .type('form')
      .send({ email: 'human@example.com', [FIELD]: goodToken(100) });
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/auth/magic-link/sent');
    const mail = await t.smtp!.waitForMessage((m) =>
      JSON.stringify(m.to).includes('human@example.com'),
    );
    expect(mail.subject).toBeTruthy();
    expect(await sessionCalls(t)).toBe(1);
    expect(t.smtp!.messages).toHaveLength(mails + 1);
    // The same token again is a replay: refused, nothing more sent.
    const again = await request(t.url)
      .post('/auth/magic-link')
      .type('form')
      .send({ email: 'human@example.com', [FIELD]: goodToken(100) });
    expect(again.status).toBe(400);
    expect(eventsOf(t, 'human_check_failed')[0]!.reason).toBe('timeout-or-duplicate');
    await t.settled();
    expect(await sessionCalls(t)).toBe(1);
    expect(t.smtp!.messages).toHaveLength(mails + 1);
  });

  it('guards the resend too: refused before the state is even looked at', async () => {
    const res = await request(t.url)
      .post('/auth/magic-link/resend')
      .type('form')
      .send({ state: 'not-a-state' });
    expect(res.status).toBe(400);
    expect(res.text).toContain('Complete the check that you are human');
    expect(eventsOf(t, 'human_check_failed')).toHaveLength(1);
    expect(eventsOf(t, 'sign_in_failed')).toEqual([]);
    await expectNothingSent(t, t.smtp!.messages.length);
  });

  it('runs after the same-origin check: a cross-site post never reaches siteverify', async () => {
    const res = await request(t.url)
      .post('/auth/magic-link')
      .set('Origin', 'https://evil.example')
      .type('form')
      .send({ email: 'x@example.com', [FIELD]: goodToken(200) });
    expect(res.status).toBe(403);
    expect(fake.requests).toHaveLength(0);
  });

  it('counts against the address only once it passed: the 4th request is checked, then gets 429', async () => {
    const email = 'limited@example.com';
    for (let i = 0; i < 3; i++) {
      const ok = await request(t.url)
        .post('/auth/magic-link')
        .type('form')
        .send({ email, [FIELD]: goodToken(300 + i) });
      expect(ok.status).toBe(303);
    }
    expect(fake.requests).toHaveLength(3);
    const over = await request(t.url)
      .post('/auth/magic-link')
      .type('form')
      .send({ email, [FIELD]: goodToken(310) });
    expect(over.status).toBe(429);
    expect(fake.requests).toHaveLength(4);
  });

  it('siteverify failing: 503 "try again", a provider_error event, nothing sent (fail closed)', async () => {
    fake.mode = 'http-500';
    const mails = t.smtp!.messages.length;
    const res = await request(t.url)
      .post('/auth/magic-link')
      .type('form')
      .send({ email: 'down@example.com', [FIELD]: goodToken(400) });
    expect(res.status).toBe(503);
    expect(res.text).toContain('We could not check that you are human. Try again in a moment.');
    expectNoStackTrace(res.text);
    expect(eventsOf(t, 'provider_error')).toEqual([
      expect.objectContaining({ reason: 'ERR_HUMAN_CHECK_UNAVAILABLE' }),
    ]);
    await expectNothingSent(t, mails);
  });

  it('a wrong secret: 503, and the event names the fix', async () => {
    (check as unknown as { useSecret(s: string): void }).useSecret('wrong-secret');
    const mails = t.smtp!.messages.length;
    const res = await request(t.url)
      .post('/auth/magic-link')
      .send({ email: 'misconfigured@example.com', [FIELD]: goodToken(500) });
    expect(res.status).toBe(503);
    expect(res.body.error).toBe('human_check_misconfigured');
    const [event] = eventsOf(t, 'provider_error');
    expect(event!.reason).toBe('ERR_HUMAN_CHECK_MISCONFIGURED');
    expect(String((event!.error as Error).message)).toContain('turnstile({ secret })');
    await expectNothingSent(t, mails);
  });
});

describe('verifyHuman: a function of its own', () => {
  let t: TestApp;
  let answer: (fields: Readonly<Record<string, string>>) => Promise<HumanVerdict>;
  const seen: { method: string | undefined; fields: Record<string, string> }[] = [];

  beforeAll(async () => {
    t = await createTestApp({
      provider: 'self-hosted',
      router: {
        verifyHuman: (req, fields) => {
          seen.push({ method: req.method, fields: { ...fields } });
          return answer(fields);
        },
        humanCheckWidget: false,
        providerTimeoutMs: 150,
      },
    });
  });
  afterAll(() => t.close());
  beforeEach(async () => {
    await settledMail(t);
    resetApp(t);
    seen.length = 0;
  });

  type Answer = (fields: Readonly<Record<string, string>>) => Promise<HumanVerdict>;
  const ask = (email: string) =>
    request(t.url)
      .post('/auth/magic-link')
      .type('form')
      .send({ email, returnTo: '/a', proof: 'p' });

  it('is given the request and its fields, less the address', async () => {
    answer = async () => true;
    expect((await ask('fields@example.com')).status).toBe(303);
    expect(seen).toEqual([{ method: 'POST', fields: { returnTo: '/a', proof: 'p' } }]);
    expect((await t.smtp!.waitForMessage()).to).toMatchObject({ text: 'fields@example.com' });
  });

  it('on a resend it is given neither the address nor the sealed state that holds it', async () => {
    answer = async () => false;
    const res = await request(t.url)
      .post('/auth/magic-link/resend')
      .type('form')
      .send({ state: 'sealed-state', extra: 'e' });
    expect(res.status).toBe(400);
    expect(seen).toEqual([{ method: 'POST', fields: { extra: 'e' } }]);
  });

  it.each<[string, Answer, string]>([
    ['false', async () => false, 'rejected'],
    [
      '{ human: false, reason }',
      async () => ({ human: false, reason: 'score too\nlow' }),
      'score_too_low',
    ],
  ])('%s: 400, no email, the reason in the event', async (_name, fn, reason) => {
    answer = fn;
    const mails = t.smtp!.messages.length;
    expect((await ask('no@example.com')).status).toBe(400);
    expect(eventsOf(t, 'human_check_failed')).toEqual([expect.objectContaining({ reason })]);
    await t.settled();
    expect(t.smtp!.messages).toHaveLength(mails);
  });

  it.each<[string, Answer, string]>([
    [
      'throws',
      () => Promise.reject(new Error('captcha vendor down')),
      'ERR_HUMAN_CHECK_UNAVAILABLE',
    ],
    ['never answers', () => new Promise<never>(() => undefined), 'ERR_HUMAN_CHECK_UNAVAILABLE'],
    [
      'answers a non-boolean',
      async () => 'yes' as unknown as boolean,
      'ERR_HUMAN_CHECK_MISCONFIGURED',
    ],
  ])('%s: 503 "try again", a provider_error event, no email', async (_name, fn, code) => {
    answer = fn;
    const mails = t.smtp!.messages.length;
    const res = await ask('fails@example.com');
    expect(res.status).toBe(503);
    expectNoStackTrace(res.text);
    expect(eventsOf(t, 'provider_error')).toEqual([expect.objectContaining({ reason: code })]);
    await t.settled();
    expect(t.smtp!.messages).toHaveLength(mails);
  });

  it('leaves the other routes alone, and the sign-in page script-free with humanCheckWidget: false', async () => {
    answer = async () => false;
    const page = await request(t.url).get('/auth/magic-link');
    expect(page.status).toBe(200);
    expect(page.text).not.toMatch(/<script/i);
    const verify = await request(t.url)
      .post('/auth/magic-link/verify')
      .type('form')
      .send({ code: '123456' });
    expect(verify.status).not.toBe(503);
    expect(seen).toEqual([]);
  });
});

describe('verifyHuman and the limits (A6): only a request that passed the check counts against its address', () => {
  let t: TestApp;
  let asked = 0;

  beforeAll(async () => {
    t = await createTestApp({
      provider: 'self-hosted',
      trustProxy: true,
      router: {
        verifyHuman: async (_req, fields) => {
          asked++;
          return fields['proof'] === 'human';
        },
        humanCheckWidget: false,
        rateLimit: { perIp: [{ limit: 5, windowMs: 60_000 }] },
      },
    });
  });
  afterAll(() => t.close());
  beforeEach(async () => {
    await settledMail(t);
    resetApp(t);
    asked = 0;
  });

  const ask = (ip: string, email: string, proof: string) =>
    request(t.url)
      .post('/auth/magic-link')
      .set('X-Forwarded-For', ip)
      .type('form')
      .send({ email, proof });

  it('bots that fail the check, from many IPs, leave the owner their emails for the hour', async () => {
    const owner = 'owner@example.com';
    // 8 IPs × 3 refused requests: 24, well past the address's 10 an hour and 3 a minute per IP.
    for (let ip = 1; ip <= 8; ip++) {
      for (let i = 0; i < 3; i++) {
        expect((await ask(`203.0.113.${ip}`, owner, 'bot')).status).toBe(400);
      }
    }
    expect(asked).toBe(24);
    const mails = t.smtp!.messages.length;
    const res = await ask('198.51.100.7', owner, 'human');
    expect(res.status).toBe(303);
    await settledMail(t);
    expect(t.smtp!.messages).toHaveLength(mails + 1);
  });

  it('the per-IP limit still comes first: a flood past it never reaches verifyHuman', async () => {
    for (let i = 0; i < 5; i++) {
      expect((await ask('192.0.2.99', `flood${i}@example.com`, 'bot')).status).toBe(400);
    }
    const over = await ask('192.0.2.99', 'flood9@example.com', 'human');
    expect(over.status).toBe(429);
    expect(asked).toBe(5);
  });

  it('a human over the address limit gets 429 after the check, and no email', async () => {
    const email = 'busy@example.com';
    for (let i = 0; i < 3; i++) expect((await ask('192.0.2.50', email, 'human')).status).toBe(303);
    await settledMail(t);
    const mails = t.smtp!.messages.length;
    const over = await ask('192.0.2.50', email, 'human');
    expect(over.status).toBe(429);
    expect(over.headers['retry-after']).toMatch(/^\d+$/);
    expect(asked).toBe(4);
    await settledMail(t);
    expect(t.smtp!.messages).toHaveLength(mails);
  });
});
