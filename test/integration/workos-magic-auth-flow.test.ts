import request from 'supertest';
import { WorkOS as WorkOS11 } from '@workos-inc/node';
import { MAGIC_AUTH_MAX_CODE_ATTEMPTS } from '../../lib/providers/workos-magic-auth';
import type { MagicLinkEvent, MagicLinkProfile, SignInDetails } from '../../lib/index';
import { HEADLESS_CHROME_UA, nodeScannerHttp, scannerVisit } from '../../lib/testing/index';
import { createTestApp, pathOf, setCookies } from '../helpers/app';
import type { TestApp, TestAppOptions } from '../helpers/app';
import { askForLink, formOf, nextEmail, pendingCookieOf, setsSession } from '../helpers/sign-in';
import {
  STACKS,
  cookieValue,
  expectNoStackTrace,
  expressApp,
  SESSION_COOKIE,
} from '../security/flow';
import { fakeDateOnly } from '../helpers/fake-date';

/**
 * WorkOS Magic Auth driven through the real router over HTTP: a real Express app on 127.0.0.1
 * (supertest), the real SDK (11 and 8.13) talking HTTP to the in-repo WorkOS emulator, and our
 * email over real SMTP to the in-process test server. Nothing is mocked.
 */

/** A read-only scanner: HEAD and GET, without following redirects, then following them. */
async function scan(link: string, thorough: boolean) {
  const plans = (thorough ? [false, true] : [true]).flatMap((followRedirects) =>
    (['HEAD', 'GET'] as const).map((method) => ({
      visit: `${method}${followRedirects ? ', following redirects' : ''}`,
      method,
      userAgent: HEADLESS_CHROME_UA,
      followRedirects,
      submitForms: false,
    })),
  );
  const hits = [];
  for (const plan of plans) {
    const visit = await scannerVisit('read-only scanner', plan, link, nodeScannerHttp);
    const last = visit.hops[visit.hops.length - 1]!;
    hits.push({
      method: plan.method,
      status: last.status,
      setCookie: visit.hops.flatMap((h) => h.setCookie),
      body: last.body,
    });
  }
  return hits;
}

const TEN_MINUTES = 10 * 60 * 1000;
const AUTHENTICATE = '/user_management/authenticate';
const CREATE = '/user_management/magic_auth';

const EXPIRED_PAGE = 'This link has expired or was already used';
const WRONG_CODE = 'That code is not right, or it has expired.';
const UNREACHABLE = 'We could not reach the sign-in service. Try again in a moment.';
const TRY_AGAIN = 'Sign-in is temporarily unavailable. Try again in a moment.';
const LOCKED = 'Too many wrong codes. Use the link in the email, or ask for a new one.';
const CANNOT_SIGN_IN = 'This account cannot sign in.';

/**
 * The router's providerTimeoutMs in the slow-WorkOS test: short of the default, yet long enough
 * for the same test's calls to a healthy WorkOS (the code's creation) on a busy machine.
 */
const PROVIDER_TIMEOUT_MS = 2_000;

const HOME_IP = '203.0.113.7';
const HOME_UA = 'Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0 (asking browser)';
const OTHER_IP = '198.51.100.23';
const OTHER_UA = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) (other browser)';

let seq = 0;
const address = (label: string) => `${label}-${process.pid}-${++seq}@example.com`;
const wrong = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0');

/** A browser: its own cookie jar, IP (through the trusted proxy) and user agent. */
function browser(t: TestApp, ip = HOME_IP, ua = HOME_UA): request.Agent {
  return request.agent(t.url).set('X-Forwarded-For', ip).set('User-Agent', ua);
}

/** Requests carrying only a given pending cookie, e.g. to take it to another instance. */
function withPendingCookie(url: string, cookie: string) {
  return {
    get: (path: string) => request(url).get(path).set('Cookie', `mlink=${cookie}`),
    post: (path: string) => request(url).post(path).set('Cookie', `mlink=${cookie}`),
  };
}

const authCalls = (t: TestApp) =>
  t.emulator!.requests.filter((r) => r.path === AUTHENTICATE).length;

function eventsOf<T extends MagicLinkEvent['type']>(
  t: TestApp,
  type: T,
): Extract<MagicLinkEvent, { type: T }>[] {
  return t.events.filter((e): e is Extract<MagicLinkEvent, { type: T }> => e.type === type);
}

/** What a visitor can observe of an answer, less the cookie values and the Date header. */
function observable(res: request.Response) {
  const headers: Record<string, unknown> = { ...res.headers };
  expect(typeof headers.date).toBe('string');
  delete headers.date;
  headers['set-cookie'] = setCookies(res).map((line) => line.replace(/^([^=]+)=[^;]*/, '$1=…'));
  return { status: res.status, headers, text: res.text };
}

function expectExpiredPage(res: request.Response): void {
  expect(res.status).toBe(400);
  expect(res.headers['content-type']).toMatch(/^text\/html/);
  expect(res.text).toContain(EXPIRED_PAGE);
  expect(setsSession(res)).toBe(false);
  expectNoStackTrace(res.text);
}

function expectWrongCodePage(res: request.Response): void {
  expect(res.status).toBe(400);
  expect(res.headers['content-type']).toMatch(/^text\/html/);
  expect(res.text).toContain('Check your email');
  expect(res.text).toContain(WRONG_CODE);
  expect(formOf(res.text).action).toBe('/auth/magic-link/verify');
  expect(setsSession(res)).toBe(false);
}

function expectErrorPage(res: request.Response, status: number, title: string, message: string) {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toMatch(/^text\/html/);
  expect(res.text).toContain(`<h1>${title}</h1>`);
  expect(res.text).toContain(message);
  expect(cookieValue(res, SESSION_COOKIE)).toBeUndefined();
  expectNoStackTrace(res.text);
}

/** Resolves once `check()` is truthy; only a lost request makes it wait long. */
async function eventually(check: () => unknown): Promise<void> {
  for (let i = 0; i < 2_000 && !check(); i += 1) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  expect(check()).toBeTruthy();
}

interface SignInRecord {
  profile: MagicLinkProfile;
  details: SignInDetails;
}

describe.each(STACKS)(
  'WorkOS Magic Auth over HTTP (Express $express, SDK $sdk)',
  ({ express, sdk }) => {
    const apps: TestApp[] = [];
    const signIns: SignInRecord[] = [];
    /** How far WorkOS's clock (the emulator's) runs ahead of ours. */
    let workosAhead = 0;

    afterEach(async () => {
      // Shared emulators belong to the app that started them: close the others first.
      for (const app of apps.splice(0).reverse()) await app.close();
      signIns.length = 0;
      workosAhead = 0;
    });

    async function makeApp(options: Partial<TestAppOptions> = {}): Promise<TestApp> {
      const t = await createTestApp({
        provider: 'workos-magic-auth',
        delivery: 'smtp',
        express,
        sdk,
        rateLimit: false,
        trustProxy: true,
        ...options,
        emulator: { now: () => Date.now() + workosAhead, ...options.emulator },
        router: {
          onSignIn: (profile, _req, details) => {
            signIns.push({ profile, details });
            return profile;
          },
          ...options.router,
        },
      });
      apps.push(t);
      // What the app holds for the browser: req.user and the whole server-side session.
      expressApp(t).get('/probe', (req, res) => {
        res.json({ user: req.user ?? null, session: req.session ?? null });
      });
      return t;
    }

    /** Asks for a sign-in as `agent`; returns the pending cookie, the link and the code emailed. */
    async function ask(t: TestApp, agent: request.Agent, email: string, returnTo = '/account') {
      const res = await askForLink(agent, email, returnTo);
      const { mail, link, code } = await nextEmail(t, email);
      return { res, mail, link, code: code!, cookie: pendingCookieOf(res) };
    }

    async function expectSignedIn(agent: request.Agent, email: string): Promise<void> {
      const account = await agent.get('/account');
      expect(account.status).toBe(200);
      expect(account.body.email).toBe(email);
    }

    async function expectSignedOut(agent: request.Agent): Promise<void> {
      const account = await agent.get('/account').set('Accept', 'application/json');
      expect(account.status).toBe(401);
    }

    describe('our email over SMTP', () => {
      it('emails a link and the 6-digit code; the link signs in the browser that asked, and the tokens reach onSignIn only', async () => {
        const t = await makeApp();
        const email = address('link');
        const agent = browser(t);
        const { res, mail, link, code } = await ask(t, agent, email);
        expect(res.headers['cache-control']).toBe('no-store');

        // The email: our template, WorkOS's code, a link to our own callback.
        expect(mail.subject).toBe('Sign in to 127.0.0.1');
        expect(t.smtp!.envelopes.map((e) => e.to)).toEqual([[email]]);
        expect(code).toMatch(/^[0-9]{6}$/);
        expect(t.emulator!.magicAuthOutbox.map((m) => [m.to, m.code])).toEqual([[email, code]]);
        const url = new URL(link);
        expect(`${url.origin}${url.pathname}`).toBe(`${t.url}/auth/callback`);
        expect([...url.searchParams.keys()]).toEqual(['code', 'state']);
        expect(url.searchParams.get('code')).not.toContain(code);
        expect(mail.text).toContain(link);
        expect(mail.text).toContain(code);
        expect(mail.text).toContain('expires in 10 minutes');

        // The "check your email" page takes the code.
        const sent = await agent.get('/auth/magic-link/sent');
        expect(sent.status).toBe(200);
        expect(formOf(sent.text).action).toBe('/auth/magic-link/verify');
        expect(authCalls(t)).toBe(0);

        const landed = await agent.get(pathOf(link));
        expect(landed.status).toBe(303);
        expect(landed.headers.location).toBe('/account');
        expect(setsSession(landed)).toBe(true);
        await expectSignedIn(agent, email);

        const user = t.emulator!.findUser(email)!;
        expect(user.id).toMatch(/^user_/);
        const probe = await agent.get('/probe');
        expect(probe.body.user).toEqual({
          id: user.id,
          idpId: user.id,
          organizationId: null,
          connectionId: 'conn_magic_auth',
          connectionType: 'MagicAuth',
          email,
          firstName: null,
          lastName: null,
          rawAttributes: {},
          lastSignIn: { at: expect.any(Number), method: 'link', email, profileId: user.id },
        });

        expect(signIns).toHaveLength(1);
        const { details } = signIns[0]!;
        expect(details).toEqual({
          method: 'link',
          tokens: { accessToken: expect.stringMatching(/^ey/), refreshToken: expect.any(String) },
        });
        const { accessToken, refreshToken } = details.tokens!;
        expect(refreshToken.length).toBeGreaterThan(10);
        const held = JSON.stringify(probe.body);
        expect(held).not.toContain(accessToken);
        expect(held).not.toContain(refreshToken);
        expect(held).not.toMatch(/token/i);

        expect(t.events.map((e) => e.type)).toEqual(['link_sent', 'sign_in']);
        expect(t.events[1]).toMatchObject({ type: 'sign_in', method: 'link', userId: user.id });
        expect(authCalls(t)).toBe(1);
      });

      it('the code typed in the browser that asked signs in; the link is then spent', async () => {
        const t = await makeApp();
        const email = address('code');
        const agent = browser(t);
        const { link, code } = await ask(t, agent, email, '/account?tab=2');

        const verified = await agent
          .post('/auth/magic-link/verify')
          .type('form')
          .send({ code: `${code.slice(0, 3)} ${code.slice(3)}` });
        expect(verified.status).toBe(303);
        expect(verified.headers.location).toBe('/account?tab=2');
        expect(setsSession(verified)).toBe(true);
        await expectSignedIn(agent, email);

        const user = t.emulator!.findUser(email)!;
        const probe = await agent.get('/probe');
        expect(probe.body.user).toMatchObject({ id: user.id, connectionType: 'MagicAuth', email });
        expect(signIns.map((s) => s.details)).toEqual([
          {
            method: 'code',
            tokens: { accessToken: expect.stringMatching(/^ey/), refreshToken: expect.any(String) },
          },
        ]);
        expect(JSON.stringify(probe.body)).not.toContain(signIns[0]!.details.tokens!.accessToken);
        expect(JSON.stringify(probe.body)).not.toContain(signIns[0]!.details.tokens!.refreshToken);
        expect(eventsOf(t, 'sign_in')).toEqual([expect.objectContaining({ method: 'code' })]);

        const calls = authCalls(t);
        expectExpiredPage(await agent.get(pathOf(link)));
        expectExpiredPage(await browser(t, OTHER_IP, OTHER_UA).get(pathOf(link)));
        expect(authCalls(t)).toBe(calls);
      });

      it('a JSON client asks (202), gets refused a wrong code (400 code_invalid), and signs in with the right one (200)', async () => {
        const t = await makeApp();
        const email = address('json');
        const agent = browser(t);
        const asked = await agent.post('/auth/magic-link').send({ email, returnTo: '/account' });
        expect(asked.status).toBe(202);
        expect(asked.body).toEqual({ status: 'sent' });
        const code = (await nextEmail(t, email)).code!;
        expect(code).toMatch(/^[0-9]{6}$/);

        const bad = await agent.post('/auth/magic-link/verify').send({ code: wrong(code) });
        expect(bad.status).toBe(400);
        expect(bad.body).toEqual({ error: 'code_invalid', message: WRONG_CODE });
        expect(eventsOf(t, 'sign_in_failed')).toEqual([
          expect.objectContaining({ reason: 'ERR_CODE_INVALID' }),
        ]);

        const good = await agent.post('/auth/magic-link/verify').send({ code });
        expect(good.status).toBe(200);
        expect(good.body).toEqual({ status: 'signed_in', returnTo: '/account' });
        await expectSignedIn(agent, email);
      });

      it('the code typed in another browser is refused, with or without a sign-in of its own; the browser that asked still signs in', async () => {
        const t = await makeApp();
        const email = address('victim');
        const agent = browser(t);
        const { code } = await ask(t, agent, email);

        // No pending cookie: refused before WorkOS is asked.
        const stranger = browser(t, OTHER_IP, OTHER_UA);
        expectWrongCodePage(
          await stranger.post('/auth/magic-link/verify').type('form').send({ code }),
        );
        expect(authCalls(t)).toBe(0);
        const json = await request(t.url).post('/auth/magic-link/verify').send({ code });
        expect(json.status).toBe(400);
        expect(json.body).toEqual({ error: 'code_invalid', message: WRONG_CODE });

        // A pending sign-in of its own (another address): the code is checked against that one,
        // which the provider holds, so the wrong code never reaches WorkOS.
        const attacker = browser(t, OTHER_IP, OTHER_UA);
        await ask(t, attacker, address('attacker'));
        expectWrongCodePage(
          await attacker.post('/auth/magic-link/verify').type('form').send({ code }),
        );
        expect(authCalls(t)).toBe(0);
        await expectSignedOut(stranger);
        await expectSignedOut(attacker);

        const verified = await agent.post('/auth/magic-link/verify').type('form').send({ code });
        expect(verified.status).toBe(303);
        await expectSignedIn(agent, email);
        expect(eventsOf(t, 'sign_in')).toHaveLength(1);
      });

      it("under crossDevice: 'confirm', a scanner's HEAD and GET spend nothing; another browser gets the confirmation page, and confirming there signs that browser in", async () => {
        const t = await makeApp({ router: { crossDevice: 'confirm' } });
        const email = address('elsewhere');
        const agent = browser(t);
        const { link, code } = await ask(t, agent, email);

        const hits = await scan(link, true);
        expect(hits.map((h) => [h.method, h.status])).toEqual([
          ['HEAD', 200],
          ['GET', 200],
          ['HEAD', 200],
          ['GET', 200],
        ]);
        for (const hit of hits) {
          expect(hit.setCookie.filter((line) => line.startsWith(`${SESSION_COOKIE}=`))).toEqual([]);
        }
        expect(hits[1]!.body).toContain('Continue signing in?');
        expect(authCalls(t)).toBe(0);

        const other = browser(t, OTHER_IP, OTHER_UA);
        const page = await other.get(pathOf(link));
        expect(page.status).toBe(200);
        expect(page.text).toContain('Continue signing in?');
        expect(page.text).toContain(email);
        expect(setsSession(page)).toBe(false);
        const form = formOf(page.text);
        expect(form.action).toBe('/auth/callback');
        expect(form.fields).toEqual(Object.fromEntries(new URL(link).searchParams));
        // Still nothing spent: every GET and HEAD so far left the link alone.
        expect(authCalls(t)).toBe(0);
        const again = await other.get(pathOf(link));
        expect(again.status).toBe(200);

        const confirmed = await other.post(form.action).type('form').send(form.fields);
        expect(confirmed.status).toBe(303);
        expect(confirmed.headers.location).toBe('/account');
        expect(setsSession(confirmed)).toBe(true);
        await expectSignedIn(other, email);
        expect(signIns.map((s) => s.details.method)).toEqual(['confirmed']);
        expect(signIns[0]!.details.tokens).toEqual({
          accessToken: expect.stringMatching(/^ey/),
          refreshToken: expect.any(String),
        });
        expect(eventsOf(t, 'sign_in')).toEqual([expect.objectContaining({ method: 'confirmed' })]);
        expect(t.emulator!.findUser(email)!.lastSignIn).toMatchObject({
          ipAddress: OTHER_IP,
          userAgent: OTHER_UA,
        });

        // The sign-in is spent for the browser that asked too: its link and its code.
        const calls = authCalls(t);
        expectExpiredPage(await agent.get(pathOf(link)));
        expectWrongCodePage(
          await agent.post('/auth/magic-link/verify').type('form').send({ code }),
        );
        expect(authCalls(t)).toBe(calls);
        await expectSignedOut(agent);
      });

      it("after a scanner's HEAD and GET, and the asking browser's own HEAD, the link still signs in the browser that asked", async () => {
        const t = await makeApp();
        const email = address('scanned');
        const agent = browser(t);
        const { link } = await ask(t, agent, email);
        const hits = await scan(link, false);
        expect(hits.map((h) => [h.method, h.status])).toEqual([
          ['HEAD', 200],
          ['GET', 200],
        ]);
        const head = await agent.head(pathOf(link));
        expect(head.status).toBe(200);
        expect(setsSession(head)).toBe(false);
        expect(authCalls(t)).toBe(0);

        const landed = await agent.get(pathOf(link));
        expect(landed.status).toBe(303);
        expect(landed.headers.location).toBe('/account');
        await expectSignedIn(agent, email);
        expect(signIns.map((s) => s.details.method)).toEqual(['link']);
        expect(authCalls(t)).toBe(1);
      });

      it('a used link is refused on replay, in either browser, without asking WorkOS again', async () => {
        const t = await makeApp();
        const email = address('replay');
        const agent = browser(t);
        const { link } = await ask(t, agent, email);
        expect((await agent.get(pathOf(link))).status).toBe(303);
        expect(authCalls(t)).toBe(1);

        expectExpiredPage(await agent.get(pathOf(link)));
        const other = browser(t, OTHER_IP, OTHER_UA);
        expectExpiredPage(await other.get(pathOf(link)));
        const posted = await other
          .post('/auth/callback')
          .type('form')
          .send(Object.fromEntries(new URL(link).searchParams));
        expectExpiredPage(posted);
        await expectSignedOut(other);
        expect(authCalls(t)).toBe(1);
        expect(eventsOf(t, 'sign_in')).toHaveLength(1);
      });
    });

    describe('expiry after 10 minutes', () => {
      it('at WorkOS: the link and the code both get the expired page; a minute earlier they still sign in', async () => {
        const t = await makeApp();
        const early = browser(t);
        const earlyMail = await ask(t, early, address('early'));
        const byLink = browser(t);
        const linkMail = await ask(t, byLink, address('late-link'));
        const byCode = browser(t);
        const codeMail = await ask(t, byCode, address('late-code'));

        workosAhead = TEN_MINUTES - 60_000;
        expect((await early.get(pathOf(earlyMail.link))).status).toBe(303);

        workosAhead = TEN_MINUTES;
        const late = await byLink.get(pathOf(linkMail.link));
        expectExpiredPage(late);
        expect(formOf(late.text).action).toBe('/auth/magic-link/resend');
        const typed = await byCode
          .post('/auth/magic-link/verify')
          .type('form')
          .send({ code: codeMail.code });
        expectExpiredPage(typed);
        await expectSignedOut(byLink);
        await expectSignedOut(byCode);
        expect(eventsOf(t, 'sign_in_failed').map((e) => e.reason)).toEqual([
          'ERR_LINK_EXPIRED',
          'ERR_LINK_EXPIRED',
        ]);
        expect(authCalls(t)).toBe(3);
      });

      describe('on every clock (ours, the store and WorkOS)', () => {
        beforeEach(() => {
          fakeDateOnly(Date.now());
        });
        afterEach(() => jest.useRealTimers());

        // Our own record of the code has expired with it, so the code is refused before WorkOS
        // is asked, as in a browser that never had a code: the page says the code may have
        // expired. (An expired page here, and only for addresses WorkOS accepted, would tell an
        // attacker which addresses can sign in.)
        it('the link gets the expired page and the code the "not right, or expired" page, without asking WorkOS', async () => {
          const t = await makeApp();
          const agent = browser(t);
          const { link, code } = await ask(t, agent, address('clock'));
          jest.setSystemTime(Date.now() + TEN_MINUTES);

          const late = await agent.get(pathOf(link));
          expectExpiredPage(late);
          expect(formOf(late.text).action).toBe('/auth/magic-link/resend');
          const typed = await agent.post('/auth/magic-link/verify').type('form').send({ code });
          expectWrongCodePage(typed);
          expect(typed.text).toContain('or it has expired');
          const never = browser(t, OTHER_IP, OTHER_UA);
          const unknown = await never
            .post('/auth/magic-link/verify')
            .type('form')
            .send({ code: wrong(code) });
          expect(observable(typed)).toEqual(observable(unknown));
          await expectSignedOut(agent);
          expect(authCalls(t)).toBe(0);
          expect(eventsOf(t, 'sign_in_failed').map((e) => e.reason)).toEqual([
            'ERR_STATE_EXPIRED',
            'ERR_CODE_INVALID',
            'ERR_CODE_INVALID',
          ]);
        });

        it('one second before, the code still signs in', async () => {
          const t = await makeApp();
          const agent = browser(t);
          const email = address('clock-early');
          const { code } = await ask(t, agent, email);
          jest.setSystemTime(Date.now() + TEN_MINUTES - 1000);
          const typed = await agent.post('/auth/magic-link/verify').type('form').send({ code });
          expect(typed.status).toBe(303);
          await expectSignedIn(agent, email);
        });
      });
    });

    describe('wrong codes', () => {
      it(`${MAGIC_AUTH_MAX_CODE_ATTEMPTS} wrong codes are refused one by one, none at WorkOS; then even the right code gets 429, and the link still signs in`, async () => {
        expect(MAGIC_AUTH_MAX_CODE_ATTEMPTS).toBe(5);
        // Rate limits on: the lock, not the limiter, refuses the sixth code.
        const t = await makeApp({ rateLimit: true });
        const agent = browser(t);
        const { link, code } = await ask(t, agent, address('guess'));

        for (let i = 0; i < MAGIC_AUTH_MAX_CODE_ATTEMPTS; i += 1) {
          const guess = await agent
            .post('/auth/magic-link/verify')
            .type('form')
            .send({ code: wrong(code) });
          expectWrongCodePage(guess);
        }
        // Compared against the code the provider holds: WorkOS is never asked.
        expect(authCalls(t)).toBe(0);

        const locked = await agent.post('/auth/magic-link/verify').type('form').send({ code });
        expectErrorPage(locked, 429, 'Slow down', LOCKED);
        expect(Number(locked.headers['retry-after'])).toBeGreaterThan(0);
        const lockedJson = await agent.post('/auth/magic-link/verify').send({ code });
        expect(lockedJson.status).toBe(429);
        expect(lockedJson.body).toEqual({ error: 'code_locked', message: LOCKED });
        expect(authCalls(t)).toBe(0);
        expect(eventsOf(t, 'rate_limited')).toEqual([]);
        expect(eventsOf(t, 'sign_in_failed').map((e) => e.reason)).toEqual([
          ...Array<string>(MAGIC_AUTH_MAX_CODE_ATTEMPTS).fill('ERR_CODE_INVALID'),
          'ERR_CODE_LOCKED',
          'ERR_CODE_LOCKED',
        ]);

        // WorkOS saw none of the guesses, so it did not lock the code: the link still works.
        expect((await agent.get(pathOf(link))).status).toBe(303);
        expect(authCalls(t)).toBe(1);
        await expectSignedIn(agent, signIns[0]!.profile.email);
        expect(signIns).toHaveLength(1);
      });

      it('WorkOS locking the code first (one_time_code_too_many_attempts) gets the expired page for the right code and the link', async () => {
        const t = await makeApp({ emulator: { magicAuthAttempts: 2 } });
        const agent = browser(t);
        const email = address('workos-lock');
        const { link, code } = await ask(t, agent, email);
        // Wrong codes from elsewhere (another client of the same WorkOS environment) lock it.
        const other = new WorkOS11(t.emulator!.apiKey, {
          ...t.emulator!.sdkOptions(),
          maxRetries: 0,
        });
        for (let i = 0; i < 2; i += 1) {
          await expect(
            other.userManagement.authenticateWithMagicAuth({
              clientId: t.emulator!.clientId,
              code: wrong(code),
              email,
            }),
          ).rejects.toMatchObject({ status: 400 });
        }
        expectExpiredPage(await agent.post('/auth/magic-link/verify').type('form').send({ code }));
        expectExpiredPage(await agent.get(pathOf(link)));
        await expectSignedOut(agent);
        expect(eventsOf(t, 'sign_in_failed').map((e) => e.reason)).toEqual([
          'ERR_LINK_EXPIRED',
          // The refused code withdrew the link locally: WorkOS is not asked again.
          'ERR_LINK_INVALID',
        ]);
      });

      it('a code WorkOS already accepted elsewhere (one_time_code_previously_used) gets the expired page, link and code', async () => {
        const t = await makeApp();
        const email = address('used-elsewhere');
        const byLink = browser(t);
        const first = await ask(t, byLink, email);
        // Another app on the same WorkOS environment spends the code, with the real SDK.
        const { WorkOS } = await import('@workos-inc/node');
        const elsewhere = new WorkOS(t.emulator!.apiKey, {
          ...t.emulator!.sdkOptions(),
          maxRetries: 0,
        });
        await elsewhere.userManagement.authenticateWithMagicAuth({
          clientId: t.emulator!.clientId,
          code: first.code,
          email,
        });

        expectExpiredPage(await byLink.get(pathOf(first.link)));
        expectExpiredPage(
          await byLink.post('/auth/magic-link/verify').type('form').send({ code: first.code }),
        );
        expect(eventsOf(t, 'sign_in_failed').map((e) => e.reason)).toEqual([
          'ERR_LINK_EXPIRED',
          'ERR_LINK_EXPIRED',
        ]);
        await expectSignedOut(byLink);
      });
    });

    describe('WorkOS refusals, through HTTP', () => {
      it('sign-up not allowed: exactly the same answer as a sent email, no email, and a link_not_sent event', async () => {
        const known = address('known');
        const t = await makeApp({ emulator: { allowSignUp: false, users: [{ email: known }] } });
        const stranger = address('stranger');

        const sentForm = await request(t.url)
          .post('/auth/magic-link')
          .type('form')
          .send({ email: known, returnTo: '/account' });
        const refusedForm = await request(t.url)
          .post('/auth/magic-link')
          .type('form')
          .send({ email: stranger, returnTo: '/account' });
        expect(sentForm.status).toBe(303);
        expect(observable(refusedForm)).toEqual(observable(sentForm));

        const sentJson = await request(t.url).post('/auth/magic-link').send({ email: known });
        const refusedJson = await request(t.url).post('/auth/magic-link').send({ email: stranger });
        expect(sentJson.status).toBe(202);
        expect(observable(refusedJson)).toEqual(observable(sentJson));

        await t.settled();
        expect(t.smtp!.envelopes.map((e) => e.to)).toEqual([[known], [known]]);
        expect(eventsOf(t, 'link_sent')).toHaveLength(2);
        expect(eventsOf(t, 'link_not_sent')).toEqual([
          expect.objectContaining({ reason: 'provider_refused', email: `s•••@example.com` }),
          expect.objectContaining({ reason: 'provider_refused', email: `s•••@example.com` }),
        ]);
        expect(eventsOf(t, 'provider_error')).toEqual([]);

        // A code typed there is refused as any wrong code is.
        const cookie = pendingCookieOf(refusedForm);
        const typed = await withPendingCookie(t.url, cookie)
          .post('/auth/magic-link/verify')
          .type('form')
          .send({ code: '123456' });
        expectWrongCodePage(typed);
      });

      it('Magic Auth off (authentication_method_not_allowed): the same answer as a sent email, and a provider_error event', async () => {
        const on = await makeApp();
        const off = await makeApp({ emulator: { magicAuth: false } });
        const email = address('off');
        const sent = await request(on.url).post('/auth/magic-link').type('form').send({ email });
        const refused = await request(off.url)
          .post('/auth/magic-link')
          .type('form')
          .send({ email });
        expect(sent.status).toBe(303);
        expect(observable(refused)).toEqual(observable(sent));

        await off.settled();
        expect(off.smtp!.messages).toEqual([]);
        expect(off.emulator!.requests.map((r) => r.path)).toEqual([CREATE]);
        const [event] = eventsOf(off, 'provider_error');
        expect(eventsOf(off, 'provider_error')).toHaveLength(1);
        expect(event!.reason).toBe('ERR_PROVIDER_MISCONFIGURED');
        expect(event!.error).toMatchObject({ status: 400 });
        expect(eventsOf(off, 'link_sent')).toEqual([]);
      });

      it('an undeliverable domain (email_domain_not_deliverable): the same answer, no email, and a provider_error ERR_MAIL_FAILED event', async () => {
        const t = await makeApp({ emulator: { undeliverableEmailDomains: ['bounce.test'] } });
        const sent = await request(t.url)
          .post('/auth/magic-link')
          .type('form')
          .send({ email: address('deliverable') });
        const refused = await request(t.url)
          .post('/auth/magic-link')
          .type('form')
          .send({ email: 'someone@bounce.test' });
        expect(observable(refused)).toEqual(observable(sent));
        await t.settled();
        expect(t.smtp!.envelopes.map((e) => e.to)).toHaveLength(1);
        expect(t.smtp!.envelopes[0]!.to[0]).not.toContain('bounce.test');
        expect(eventsOf(t, 'provider_error')).toEqual([
          expect.objectContaining({
            reason: 'ERR_MAIL_FAILED',
            error: expect.objectContaining({ status: 400 }),
          }),
        ]);
      });

      it('a wrong API key: requests answer as sent with a provider_error event (401); a link or code checked there is 503 and stays usable', async () => {
        const good = await makeApp();
        const bad = await makeApp({
          sharedEmulator: good.emulator!,
          store: good.store,
          workosCredentials: { apiKey: 'sk_test_wrong' },
        });

        const email = address('wrong-key');
        const asked = await request(bad.url).post('/auth/magic-link').type('form').send({ email });
        expect(asked.status).toBe(303);
        expect(asked.headers.location).toBe('/auth/magic-link/sent');
        await bad.settled();
        expect(bad.smtp!.messages).toEqual([]);
        expect(eventsOf(bad, 'provider_error')).toEqual([
          expect.objectContaining({
            reason: 'ERR_PROVIDER_MISCONFIGURED',
            error: expect.objectContaining({ status: 401 }),
          }),
        ]);

        // A sign-in started on a healthy instance, finished on the misconfigured one.
        const agent = browser(good);
        const { link, code, cookie } = await ask(good, agent, email);
        const there = withPendingCookie(bad.url, cookie);
        expectErrorPage(await there.get(pathOf(link)), 503, 'Please try again', TRY_AGAIN);
        expectErrorPage(
          await there.post('/auth/magic-link/verify').type('form').send({ code }),
          503,
          'Please try again',
          TRY_AGAIN,
        );
        const reasons = eventsOf(bad, 'provider_error').slice(1);
        expect(reasons).toEqual([
          expect.objectContaining({
            reason: 'ERR_PROVIDER_MISCONFIGURED',
            error: expect.objectContaining({ error: 'invalid_client' }),
          }),
          expect.objectContaining({
            reason: 'ERR_PROVIDER_MISCONFIGURED',
            error: expect.objectContaining({ error: 'invalid_client' }),
          }),
        ]);

        const landed = await agent.get(pathOf(link));
        expect(landed.status).toBe(303);
        await expectSignedIn(agent, email);
      });

      it('a wrong client id (invalid_client): the link and the code are 503 "try again", and both stay usable', async () => {
        const good = await makeApp();
        const bad = await makeApp({
          sharedEmulator: good.emulator!,
          store: good.store,
          workosCredentials: { clientId: 'client_wrong' },
        });
        const email = address('wrong-client');
        // Creating a code needs no client id: the email goes out.
        const agent = browser(bad);
        const { link, code, cookie } = await ask(bad, agent, email);

        expectErrorPage(await agent.get(pathOf(link)), 503, 'Please try again', TRY_AGAIN);
        const typed = await agent.post('/auth/magic-link/verify').send({ code });
        expect(typed.status).toBe(503);
        expect(typed.body).toEqual({ error: 'provider_misconfigured', message: TRY_AGAIN });
        expect(eventsOf(bad, 'provider_error').map((e) => e.reason)).toEqual([
          'ERR_PROVIDER_MISCONFIGURED',
          'ERR_PROVIDER_MISCONFIGURED',
        ]);
        await expectSignedOut(agent);

        // Once fixed (a healthy instance on the same store), the same code signs in.
        const fixed = await withPendingCookie(good.url, cookie)
          .post('/auth/magic-link/verify')
          .send({ code });
        expect(fixed.status).toBe(200);
        expect(fixed.body).toEqual({ status: 'signed_in', returnTo: '/account' });
      });

      it.each(['organization_selection_required', 'mfa_challenge'] as const)(
        '403 step-up %s: the link and the code get a clear 403 "cannot sign in" page, never a 500',
        async (kind) => {
          const t = await makeApp();
          const byLink = browser(t);
          const linkMail = await ask(t, byLink, address('step-link'));
          const byCode = browser(t);
          const codeMail = await ask(t, byCode, address('step-code'));
          t.emulator!.requireStepUp(kind);

          expectErrorPage(
            await byLink.get(pathOf(linkMail.link)),
            403,
            'Sign-in problem',
            CANNOT_SIGN_IN,
          );
          expectErrorPage(
            await byCode.post('/auth/magic-link/verify').type('form').send({ code: codeMail.code }),
            403,
            'Sign-in problem',
            CANNOT_SIGN_IN,
          );
          // WorkOS spent the code with its 403, so nothing is left to type.
          const json = await byCode.post('/auth/magic-link/verify').send({ code: codeMail.code });
          expect(json.status).toBe(400);
          expect(json.body).toEqual({ error: 'code_invalid', message: WRONG_CODE });
          await expectSignedOut(byLink);
          await expectSignedOut(byCode);
          expect(eventsOf(t, 'sign_in_failed').map((e) => e.reason)).toEqual([
            'ERR_SIGN_IN_REFUSED',
            'ERR_SIGN_IN_REFUSED',
            'ERR_CODE_INVALID',
          ]);
          expect(eventsOf(t, 'provider_error')).toEqual([]);
          expect(signIns).toEqual([]);
        },
      );
    });

    describe('WorkOS faults', () => {
      it.each([429, 500, 502, 503])(
        'HTTP %i: the link and the code get 503 "try again", and both still sign in afterwards',
        async (status) => {
          const t = await makeApp();
          const linkEmail = address('fault-link');
          const byLink = browser(t);
          const linkMail = await ask(t, byLink, linkEmail);
          const codeEmail = address('fault-code');
          const byCode = browser(t);
          const codeMail = await ask(t, byCode, codeEmail);

          t.emulator!.failNext(1, status);
          expectErrorPage(
            await byLink.get(pathOf(linkMail.link)),
            503,
            'Please try again',
            UNREACHABLE,
          );
          t.emulator!.failNext(1, status);
          expectErrorPage(
            await byCode.post('/auth/magic-link/verify').type('form').send({ code: codeMail.code }),
            503,
            'Please try again',
            UNREACHABLE,
          );
          expect(eventsOf(t, 'provider_error').map((e) => e.reason)).toEqual([
            'ERR_PROVIDER_UNAVAILABLE',
            'ERR_PROVIDER_UNAVAILABLE',
          ]);

          expect((await byLink.get(pathOf(linkMail.link))).status).toBe(303);
          expect(
            (
              await byCode
                .post('/auth/magic-link/verify')
                .type('form')
                .send({ code: codeMail.code })
            ).status,
          ).toBe(303);
          await expectSignedIn(byLink, linkEmail);
          await expectSignedIn(byCode, codeEmail);
          expect(signIns.map((s) => s.details.method)).toEqual(['link', 'code']);
        },
      );

      it('WorkOS unreachable (connections refused): 503 "try again" for the link and the code; both work once it is back', async () => {
        const t = await makeApp();
        const email = address('down');
        const agent = browser(t);
        const { link, code } = await ask(t, agent, email);
        t.emulator!.refuseConnections(true);
        try {
          expectErrorPage(await agent.get(pathOf(link)), 503, 'Please try again', UNREACHABLE);
          expectErrorPage(
            await agent.post('/auth/magic-link/verify').type('form').send({ code }),
            503,
            'Please try again',
            UNREACHABLE,
          );
        } finally {
          t.emulator!.refuseConnections(false);
        }
        expect((await agent.get(pathOf(link))).status).toBe(303);
        await expectSignedIn(agent, email);
      });

      it('WorkOS slower than providerTimeoutMs: 503 "try again"; the lost answer spent the code, so the retry gets the expired page', async () => {
        const t = await makeApp({ router: { providerTimeoutMs: PROVIDER_TIMEOUT_MS } });
        const email = address('slow');
        const agent = browser(t);
        const { link } = await ask(t, agent, email);
        t.emulator!.delay(10 * 60_000);
        expectErrorPage(await agent.get(pathOf(link)), 503, 'Please try again', UNREACHABLE);
        expect(eventsOf(t, 'provider_error').map((e) => e.reason)).toEqual([
          'ERR_PROVIDER_UNAVAILABLE',
        ]);
        // WorkOS did sign the user in; only its answer is late.
        await eventually(() => t.emulator!.findUser(email)?.lastSignIn);
        t.emulator!.delay(0);
        expectExpiredPage(await agent.get(pathOf(link)));
        await expectSignedOut(agent);
      });
    });

    describe("delivery: 'workos' (WorkOS emails the code)", () => {
      it('the sent page takes the code, which counts only in the browser that asked', async () => {
        const t = await makeApp({ delivery: 'workos' });
        expect(t.smtp).toBeNull();
        const email = address('workos-mail');
        const agent = browser(t);
        await askForLink(agent, email);
        const sent = await agent.get('/auth/magic-link/sent');
        expect(sent.status).toBe(200);
        expect(formOf(sent.text).action).toBe('/auth/magic-link/verify');
        expect(sent.text).toContain('name="code"');

        await t.settled();
        expect(t.emulator!.magicAuthOutbox).toHaveLength(1);
        const mail = t.emulator!.magicAuthOutbox[0]!;
        expect(mail.to).toBe(email);
        expect(mail.code).toMatch(/^[0-9]{6}$/);
        expect({ ip: mail.ipAddress, ua: mail.userAgent }).toEqual(
          sdk === 8 ? { ip: null, ua: null } : { ip: HOME_IP, ua: HOME_UA },
        );

        const stranger = browser(t, OTHER_IP, OTHER_UA);
        expectWrongCodePage(
          await stranger.post('/auth/magic-link/verify').type('form').send({ code: mail.code }),
        );
        const attacker = browser(t, OTHER_IP, OTHER_UA);
        await askForLink(attacker, address('workos-attacker'));
        expectWrongCodePage(
          await attacker.post('/auth/magic-link/verify').type('form').send({ code: mail.code }),
        );

        const verified = await agent
          .post('/auth/magic-link/verify')
          .type('form')
          .send({ code: mail.code });
        expect(verified.status).toBe(303);
        expect(verified.headers.location).toBe('/account');
        await expectSignedIn(agent, email);
        await expectSignedOut(stranger);
        await expectSignedOut(attacker);
        expect(signIns.map((s) => s.details.method)).toEqual(['code']);
        expect(signIns[0]!.profile).toMatchObject({ id: mail.userId, connectionType: 'MagicAuth' });
        expect(t.emulator!.findUser(email)!.lastSignIn).toMatchObject({
          ipAddress: HOME_IP,
          userAgent: HOME_UA,
        });
      });
    });

    describe('WorkOS Radar sees the browser', () => {
      it('the IP (X-Forwarded-For through trust proxy) and user agent of the browser reach WorkOS on create (SDK 11) and on sign-in', async () => {
        const t = await makeApp();
        const byLink = address('radar-link');
        const a = browser(t);
        const { link } = await ask(t, a, byLink);
        const created = t.emulator!.magicAuthOutbox.find((m) => m.to === byLink)!;
        expect({ ip: created.ipAddress, ua: created.userAgent }).toEqual(
          sdk === 8 ? { ip: null, ua: null } : { ip: HOME_IP, ua: HOME_UA },
        );
        expect((await a.get(pathOf(link))).status).toBe(303);
        expect(t.emulator!.findUser(byLink)!.lastSignIn).toMatchObject({
          ipAddress: HOME_IP,
          userAgent: HOME_UA,
        });

        const byCode = address('radar-code');
        const b = browser(t, OTHER_IP, OTHER_UA);
        const { code } = await ask(t, b, byCode);
        expect((await b.post('/auth/magic-link/verify').type('form').send({ code })).status).toBe(
          303,
        );
        expect(t.emulator!.findUser(byCode)!.lastSignIn).toMatchObject({
          ipAddress: OTHER_IP,
          userAgent: OTHER_UA,
        });
      });
    });
  },
);
