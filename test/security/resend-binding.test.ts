import request from 'supertest';
import { sealedCookieSession } from '../../lib/index';
import type { MagicLinkOptions } from '../../lib/index';
import { runScanners } from '../../lib/testing/index';
import { createTestApp, follow, pathOf } from '../helpers/app';
import type { TestApp, TestAppOptions } from '../helpers/app';
import { askForLink, formOf, nextEmail, pendingCookieOf } from '../helpers/sign-in';
import { expectNoStackTrace } from './flow';

/**
 * Hardening round 2, G01 and G06: "Email me a new link" on an expired or used link's page sends
 * the new link to the address sealed in the old state. It must therefore serve only the browser
 * that holds that state's binding. Any other browser (a victim the attacker's link was opened
 * in, a mail scanner's throw-away jar) gets the sign-in form, where a person types an address,
 * and no email goes out.
 */

const RESEND = '/auth/magic-link/resend';
const SESSION_SECRET = 'resend-binding-session-secret-0123456789abcdef';

interface Setup {
  name: string;
  provider: NonNullable<TestAppOptions['provider']>;
  delivery: NonNullable<TestAppOptions['delivery']>;
}

/** Both WorkOS providers (Magic Link with WorkOS's email and with ours, Magic Auth) and self-hosted. */
const SETUPS: readonly Setup[] = [
  { name: 'WorkOS Magic Link, WorkOS email', provider: 'workos', delivery: 'workos' },
  { name: 'WorkOS Magic Link, our email', provider: 'workos', delivery: 'smtp' },
  { name: 'WorkOS Magic Auth, our email', provider: 'workos-magic-auth', delivery: 'smtp' },
  { name: 'self-hosted', provider: 'self-hosted', delivery: 'smtp' },
];
const MODES = ['relay', 'confirm', 'deny'] as const;
const SESSIONS = ['express-session', 'sealedCookieSession'] as const;

const CASES = SETUPS.flatMap((setup) =>
  MODES.flatMap((crossDevice) => SESSIONS.map((session) => ({ ...setup, crossDevice, session }))),
);

let seq = 0;
const address = (label: string) => `${label}-${process.pid}-${++seq}@example.com`;

async function appFor(
  setup: Setup,
  crossDevice: MagicLinkOptions['crossDevice'],
  session: (typeof SESSIONS)[number],
): Promise<TestApp> {
  return createTestApp({
    provider: setup.provider,
    delivery: setup.delivery,
    rateLimit: false,
    expressSession: session === 'express-session',
    router: {
      crossDevice,
      ...(session === 'sealedCookieSession'
        ? { session: sealedCookieSession({ secret: SESSION_SECRET }) }
        : {}),
    },
  });
}

/** How many sign-in emails went out so far (every background send finished). */
async function sentCount(t: TestApp): Promise<number> {
  await t.settled();
  return t.events.filter((e) => e.type === 'link_sent').length;
}

/** The newest link emailed to `to`. */
async function linkTo(t: TestApp, to: string): Promise<string> {
  if (t.smtp) return (await nextEmail(t, to)).link;
  const mail = (await t.outbox()).filter((m) => m.to === to).at(-1);
  if (!mail) throw new Error(`No email to ${to}`);
  return mail.link;
}

type Browser = request.Agent | { get(path: string): request.Test };

/**
 * The browser that asked, as it was before signing in cleared its pending cookie: requests that
 * carry that cookie. (A browser whose link a scanner spent, or that let it expire, holds it still.)
 */
function withPendingCookie(t: TestApp, cookie: string): Browser {
  return { get: (path) => request(t.url).get(path).set('Cookie', `mlink=${cookie}`) };
}

/** Opens an emailed link in `browser` as a browser does: through WorkOS first when it is theirs. */
async function open(t: TestApp, browser: Browser, link: string): Promise<request.Response> {
  const ours = link.startsWith(`${t.url}/`) ? link : await follow(link);
  let res = await browser.get(pathOf(ours));
  const onward = res.status === 303 ? String(res.headers.location ?? '') : '';
  // Our /open link sends the browser that asked on to WorkOS, which comes back to the callback.
  if (t.emulator && onward.startsWith(t.emulator.url))
    res = await browser.get(pathOf(await follow(onward)));
  return res;
}

async function accountOf(agent: request.Agent): Promise<string | null> {
  const res = await agent.get('/account').set('Accept', 'application/json');
  return res.status === 200 ? (res.body as { email: string }).email : null;
}

/** The resend form of an expired page, or null when the page offers none. */
function resendFormOf(page: string): Record<string, string> | null {
  if (!page.includes(`action="${RESEND}"`)) return null;
  return formOf(page).fields;
}

describe.each(CASES)(
  'The resend serves only the browser that holds the binding ($name, crossDevice $crossDevice, $session)',
  (c) => {
    let t: TestApp;
    beforeEach(async () => {
      t = await appFor(c, c.crossDevice, c.session);
    });
    afterEach(() => t.close());

    it("G01: the attacker's used link, opened in the victim's browser, cannot make a link bound to the victim", async () => {
      // 1. The attacker asks for a link to his own address and uses it, so it is spent.
      const mallory = address('mallory');
      const attacker = request.agent(t.url);
      const cookie = pendingCookieOf(await askForLink(attacker, mallory));
      const link = await linkTo(t, mallory);
      expect((await open(t, attacker, link)).status).toBe(303);
      expect(await accountOf(attacker)).toBe(mallory);
      // Where the binding is held, the used link's page offers the one-click resend.
      const own = await open(t, withPendingCookie(t, cookie), link);
      expect(own.status).toBe(400);
      const ownForm = resendFormOf(own.text);
      expect(ownForm).not.toBeNull();
      const sentBefore = await sentCount(t);

      // 2. He gets the victim's browser to open the same link: it lands on the expired page.
      const victim = request.agent(t.url);
      const page = await open(t, victim, link);
      expect(page.status).toBe(400);
      expectNoStackTrace(page.text);
      // 3. That page has no "Email me a new link" for the victim to press; it offers the form.
      expect(resendFormOf(page.text)).toBeNull();
      expect(page.text).toContain('href="/auth/magic-link"');

      // Pressed anyway (a page rendered earlier, a forged click): the sign-in form, empty.
      const pressed = await victim.post(RESEND).set('Origin', t.url).type('form').send(ownForm!);
      expect(pressed.status).toBe(400);
      expectNoStackTrace(pressed.text);
      expect(formOf(pressed.text).action).toBe('/auth/magic-link');
      expect(pressed.text).toContain('name="email"');
      expect(pressed.text).not.toContain(mallory);
      expect(pressed.headers['set-cookie'] ?? []).toEqual([]);
      const json = await victim
        .post(RESEND)
        .set('Origin', t.url)
        .set('Accept', 'application/json')
        .send(ownForm!);
      expect(json.status).toBe(400);
      expect(json.body).toMatchObject({ error: 'resend_elsewhere' });

      // 4. No new link went to the attacker's mailbox, bound to the victim or to anyone.
      expect(await sentCount(t)).toBe(sentBefore);
      expect(t.events.filter((e) => e.type === 'sign_in_failed').at(-1)).toMatchObject({
        reason: 'ERR_RESEND_ELSEWHERE',
      });
      // 5. The victim is not signed in as the attacker.
      expect(await accountOf(victim)).toBeNull();
    });

    it("the owner's own one-click resend keeps working", async () => {
      const alice = address('alice');
      const owner = request.agent(t.url);
      const cookie = pendingCookieOf(await askForLink(owner, alice));
      const link = await linkTo(t, alice);
      expect((await open(t, owner, link)).status).toBe(303);
      await owner.post('/auth/logout').set('Origin', t.url);
      const sentBefore = await sentCount(t);

      const page = await open(t, withPendingCookie(t, cookie), link);
      expect(page.status).toBe(400);
      const form = resendFormOf(page.text);
      expect(form).not.toBeNull();
      const resent = await owner
        .post(RESEND)
        .set('Origin', t.url)
        .set('Cookie', `mlink=${cookie}`)
        .type('form')
        .send(form!);
      expect(resent.status).toBe(303);
      expect(resent.headers.location).toBe('/auth/magic-link/sent');
      expect(await sentCount(t)).toBe(sentBefore + 1);
      const fresh = await linkTo(t, alice);
      expect(fresh).not.toBe(link);
      expect((await open(t, owner, fresh)).status).toBe(303);
      expect(await accountOf(owner)).toBe(alice);
    });
  },
);

describe.each(SETUPS)('G06: mail scanners on a used link send no email ($name)', (setup) => {
  let t: TestApp;
  beforeEach(async () => {
    t = await appFor(setup, 'relay', 'express-session');
  });
  afterEach(() => t.close());

  it('runScanners submits every form of the used link’s page, and no email goes out', async () => {
    const alice = address('scanned');
    const owner = request.agent(t.url);
    const cookie = pendingCookieOf(await askForLink(owner, alice));
    const link = await linkTo(t, alice);
    expect((await open(t, owner, link)).status).toBe(303);
    const sentBefore = await sentCount(t);

    const visits = await runScanners(link);
    expect(await sentCount(t)).toBe(sentBefore);
    const posts = visits.flatMap((v) => v.hops).filter((h) => h.request.method === 'POST');
    for (const hop of posts) expect(hop.request.url).not.toBe(`${t.url}${RESEND}`);
    expect(t.events.filter((e) => e.type === 'sign_in')).toHaveLength(1);
    // The browser that asked still gets a new link from the same page.
    const form = resendFormOf((await open(t, withPendingCookie(t, cookie), link)).text);
    expect(form).not.toBeNull();
    const resent = await request(t.url)
      .post(RESEND)
      .set('Origin', t.url)
      .set('Cookie', `mlink=${cookie}`)
      .type('form')
      .send(form!);
    expect(resent.status).toBe(303);
    expect(await sentCount(t)).toBe(sentBefore + 1);
  });
});
