import request from 'supertest';
import { createTestApp, pathOf } from '../helpers/app';
import type { TestApp } from '../helpers/app';
import { askForLink, nextEmail, pendingCookieOf, setsSession } from '../helpers/sign-in';

/** Threat model rows T1, T2, T5, T6 and S2 against the self-hosted provider, over real SMTP. */

const EMAIL = 'alice@example.com';

let t: TestApp;
afterEach(() => t.close());

async function pending(email = EMAIL, agent = request.agent(t.url)) {
  const asked = await askForLink(agent, email);
  const { link, code } = await nextEmail(t, email);
  return { agent, link, code: code!, cookie: `mlink=${pendingCookieOf(asked)}` };
}

/** The "safe" of docs/threat-model.md: a clear 4xx page, no session, no stack trace. */
function expectRefused(res: request.Response, status = 400): void {
  expect(res.status).toBe(status);
  expect(setsSession(res)).toBe(false);
  expect(res.text).not.toMatch(/\bat .+\(.+:\d+:\d+\)|Error:/);
}

function signIns(): number {
  return t.events.filter((e) => e.type === 'sign_in').length;
}

function wrongCode(code: string, n = 1): string {
  return String((Number(code) + n) % 1_000_000).padStart(6, '0');
}

describe('T1: a link or code is refused once either has signed in', () => {
  beforeEach(async () => {
    t = await createTestApp({ provider: 'self-hosted', rateLimit: false });
  });

  it('refuses the link and the code after the link signed in, even with the old cookie', async () => {
    const { agent, link, code, cookie } = await pending();
    expect((await agent.get(pathOf(link))).status).toBe(303);

    expectRefused(await agent.get(pathOf(link)));
    expectRefused(await request(t.url).get(pathOf(link)).set('Cookie', cookie));
    expectRefused(await request(t.url).get(pathOf(link)));
    const replayed = await request(t.url)
      .post('/auth/magic-link/verify')
      .set('Cookie', cookie)
      .type('form')
      .send({ code });
    expectRefused(replayed);
    expect(replayed.text).toContain('That code is not right, or it has expired.');
    expect(signIns()).toBe(1);
  });

  it('refuses the code and the link after the code signed in, even with the old cookie', async () => {
    const { agent, link, code, cookie } = await pending();
    const first = await agent.post('/auth/magic-link/verify').type('form').send({ code });
    expect(first.status).toBe(303);

    const verify = () =>
      request(t.url)
        .post('/auth/magic-link/verify')
        .set('Cookie', cookie)
        .type('form')
        .send({ code });
    expectRefused(await verify());
    expectRefused(await request(t.url).get(pathOf(link)).set('Cookie', cookie));
    expectRefused(await request(t.url).get(pathOf(link)));
    const confirm = new URL(link).searchParams;
    expectRefused(
      await request(t.url).post('/auth/callback').type('form').send(Object.fromEntries(confirm)),
    );
    expect(signIns()).toBe(1);
  });
});

describe('T2: 20 concurrent callbacks with one token', () => {
  beforeEach(async () => {
    t = await createTestApp({ provider: 'self-hosted' });
  });

  it('make exactly one session', async () => {
    const { link, cookie } = await pending();
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => request(t.url).get(pathOf(link)).set('Cookie', cookie)),
    );
    const winners = answers.filter((r) => r.status === 303);
    expect(winners).toHaveLength(1);
    expect(winners[0]!.headers.location).toBe('/account');
    expect(answers.filter(setsSession)).toHaveLength(1);
    expect(answers.filter((r) => r.status === 400)).toHaveLength(19);
    expect(signIns()).toBe(1);
  });

  it('make exactly one session when the code races the link', async () => {
    const { link, code, cookie } = await pending();
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        i % 2 === 0
          ? request(t.url).get(pathOf(link)).set('Cookie', cookie)
          : request(t.url)
              .post('/auth/magic-link/verify')
              .set('Cookie', cookie)
              .type('form')
              .send({ code }),
      ),
    );
    expect(answers.filter(setsSession).length).toBeLessThanOrEqual(1);
    expect(answers.every((r) => r.status < 500)).toBe(true);
    expect(signIns()).toBeLessThanOrEqual(1);
  });
});

describe('T5: forged, truncated, oversized and non-base64url tokens', () => {
  beforeEach(async () => {
    // 'confirm', so forgeries can also be posted to the confirmation step.
    t = await createTestApp({
      provider: 'self-hosted',
      rateLimit: false,
      router: { crossDevice: 'confirm' },
    });
  });

  it('answer 400, and the genuine link still signs in afterwards', async () => {
    const { agent, link } = await pending();
    const url = new URL(link);
    const token = url.searchParams.get('code')!;
    const state = url.searchParams.get('state')!;
    const forged = [
      Buffer.alloc(32, 7).toString('base64url'),
      `${token.slice(0, 42)}${token[42] === 'A' ? 'B' : 'A'}`,
      token.slice(0, 42),
      token.slice(0, 20),
      `${token}A`,
      'abc+def/ghi=',
      'a.b',
      '%00',
      '\u0000',
      'x'.repeat(600),
    ];
    for (const code of forged) {
      const q = new URLSearchParams({ code, state }).toString();
      expectRefused(await agent.get(`/auth/callback?${q}`));
      expectRefused(await agent.post('/auth/callback').type('form').send({ code, state }));
      expectRefused(await request(t.url).post('/auth/callback').type('form').send({ code, state }));
    }
    const huge = await agent
      .post('/auth/callback')
      .type('form')
      .send({ code: 'A'.repeat(16 * 1024), state });
    expectRefused(huge);
    expect(t.events.filter((e) => e.type === 'provider_error')).toEqual([]);

    const landed = await agent.get(pathOf(link));
    expect(landed.status).toBe(303);
    expect(setsSession(landed)).toBe(true);
  });

  it('answer 400 with a forged or missing state too', async () => {
    const { agent, link } = await pending();
    const token = new URL(link).searchParams.get('code')!;
    for (const state of ['', 'AAAA', 'x'.repeat(5000), Buffer.alloc(64).toString('base64url')]) {
      expectRefused(
        await agent.get(`/auth/callback?${new URLSearchParams({ code: token, state })}`),
      );
    }
    expectRefused(await agent.get(`/auth/callback?code=${token}`));
    expect((await agent.get(pathOf(link))).status).toBe(303);
  });
});

describe('T6: one-time code attempts', () => {
  beforeEach(async () => {
    t = await createTestApp({ provider: 'self-hosted', rateLimit: false });
  });

  async function attempt(agent: request.Agent, code: string) {
    return agent.post('/auth/magic-link/verify').type('form').send({ code });
  }

  it('allows 5 attempts per pending sign-in, the right one included', async () => {
    const ok = await pending('four@example.com');
    for (let i = 1; i <= 4; i += 1) expectRefused(await attempt(ok.agent, wrongCode(ok.code, i)));
    expect((await attempt(ok.agent, ok.code)).status).toBe(303);

    const five = await pending('five@example.com');
    for (let i = 1; i <= 5; i += 1)
      expectRefused(await attempt(five.agent, wrongCode(five.code, i)));
    const locked = await attempt(five.agent, five.code);
    expectRefused(locked, 429);
    expect(locked.headers['retry-after']).toMatch(/^[0-9]+$/);
    expect(locked.text).toContain(
      'Too many wrong codes. Use the link in the email, or ask for a new one.',
    );

    const six = await pending('six@example.com');
    for (let i = 1; i <= 6; i += 1) await attempt(six.agent, wrongCode(six.code, i));
    expectRefused(await attempt(six.agent, six.code), 429);
    expect(signIns()).toBe(1);

    // Only the code is locked: the 256-bit link in the email still works.
    expect((await six.agent.get(pathOf(six.link))).status).toBe(303);
  });

  it('keeps a locked browser locked, and a new link works by its link, as the lock message says', async () => {
    const first = await pending();
    for (let i = 1; i <= 5; i += 1) await attempt(first.agent, wrongCode(first.code, i));
    expectRefused(await attempt(first.agent, first.code), 429);
    const second = await pending(EMAIL, first.agent);
    expect(second.cookie).toBe(first.cookie);
    expect(second.code).not.toBe(first.code);
    // The browser's checks are spent (T7: a new link must not reset them, or the lock would tell
    // an address that got a code from one that did not); the new link itself signs in.
    expectRefused(await attempt(first.agent, second.code), 429);
    expect(signIns()).toBe(0);
    expect((await first.agent.get(pathOf(second.link))).status).toBe(303);
    expect(signIns()).toBe(1);
  });

  it('binds the code to the browser that asked', async () => {
    const a = await pending();
    expectRefused(
      await request(t.url).post('/auth/magic-link/verify').type('form').send({ code: a.code }),
    );
    const b = await pending('mallory@example.com');
    expectRefused(await attempt(b.agent, a.code));
    expect(signIns()).toBe(0);
    expect((await attempt(a.agent, a.code)).status).toBe(303);
  });

  it('A5: locks the address after 100 code checks across links and browsers, until a sign-in succeeds', async () => {
    for (let browser = 0; browser < 20; browser += 1) {
      const p = await pending();
      for (let i = 1; i <= 5; i += 1) expectRefused(await attempt(p.agent, wrongCode(p.code, i)));
    }
    const last = await pending();
    const locked = await attempt(last.agent, last.code);
    expectRefused(locked, 429);
    const retry = Number(locked.headers['retry-after']);
    expect(retry).toBeGreaterThan(3600);
    expect(retry).toBeLessThanOrEqual(24 * 3600);

    const other = await pending('bob@example.com');
    expect((await attempt(other.agent, other.code)).status).toBe(303);
    expect((await last.agent.get(pathOf(last.link))).status).toBe(303);
    // The count runs since the last sign-in: the link's success gives the codes back.
    const after = await pending();
    expect((await attempt(after.agent, after.code)).status).toBe(303);
  });
});

describe("S2: under crossDevice: 'confirm', a state minted in browser A, used in browser B", () => {
  beforeEach(async () => {
    t = await createTestApp({
      provider: 'self-hosted',
      rateLimit: false,
      router: { crossDevice: 'confirm' },
    });
  });

  it('gets a confirmation page and no session; the token is not spent and A still signs in', async () => {
    const a = await pending();
    const b = await pending('mallory@example.com');
    for (const browser of [request(t.url), b.agent]) {
      const res = await browser.get(pathOf(a.link));
      expect(res.status).toBe(200);
      expect(setsSession(res)).toBe(false);
      expect(res.text).toContain('Continue signing in?');
      expect((await browser.get('/account').set('Accept', 'application/json')).status).toBe(401);
    }
    expect(signIns()).toBe(0);
    const landed = await a.agent.get(pathOf(a.link));
    expect(landed.status).toBe(303);
    expect((await a.agent.get('/account')).body.email).toBe(EMAIL);
  });
});
