import request from 'supertest';
import {
  HEADLESS_CHROME_UA,
  microsoftSafeLinks,
  nodeScannerHttp,
  outlookLinkPreview,
  simulation,
} from '../../lib/testing/index';
import type { Scanner, ScannerVisit, VisitPlan } from '../../lib/testing/index';
import { createTestApp, follow, pathOf } from '../helpers/app';
import type { TestApp, TestAppOptions } from '../helpers/app';
import {
  askForLink,
  clickAsUser,
  everyLink,
  formOf,
  nextEmail,
  setsSession,
} from '../helpers/sign-in';

/**
 * Threat model T4: an email scanner sends HEAD and GET to every link in the email, with no
 * cookies and a headless-Chrome user agent. It must not get a session, and the person's own
 * click must still work afterwards. The scanners are the kit's (`express-magic-link/testing`);
 * test/security/scanner-kit.test.ts runs its whole list with `expectScannerSafe`.
 *
 * Residual risk, by design: under `crossDevice: 'confirm'` (the default) the confirmation page's
 * button is what lets a person finish on another device, so a robot that also SUBMITS that form
 * with a same-origin Origin header is indistinguishable from that person and signs itself in.
 * `crossDevice: 'deny'` removes this: only the browser that asked can use the link.
 */

const plan = (method: 'HEAD' | 'GET', followRedirects: boolean): VisitPlan => ({
  visit: `${method}, ${followRedirects ? '' : 'not '}following redirects`,
  method,
  userAgent: HEADLESS_CHROME_UA,
  followRedirects,
  submitForms: false,
});

/** HEAD and GET without following, then HEAD and GET following every redirect; no forms. */
const thorough = simulation('read-only scanner', [
  plan('HEAD', false),
  plan('GET', false),
  plan('HEAD', true),
  plan('GET', true),
]);
/** Never follows a redirect: only the link in the email is ever requested. */
const nonFollowing = simulation('non-following scanner', [plan('HEAD', false), plan('GET', false)]);
/** Follows every redirect, HEAD first, never submits a form: Outlook's link preview. */
const following = outlookLinkPreview;

async function scan(links: readonly string[], scanner: Scanner): Promise<ScannerVisit[]> {
  const visits: ScannerVisit[] = [];
  for (const link of links) visits.push(...(await scanner.simulate(link, nodeScannerHttp)));
  return visits;
}

/** The page a visit ended on (its last hop). */
const lastHop = (visit: ScannerVisit) => visit.hops[visit.hops.length - 1]!;
const firstGet = (visits: ScannerVisit[]) =>
  lastHop(visits.find((v) => v.hops[0]!.request.method === 'GET')!);

const EMAIL = 'victim@example.com';

function expectNothingFor(visits: ScannerVisit[], t: TestApp): void {
  expect(visits.length).toBeGreaterThan(0);
  for (const visit of visits) {
    expect(visit.cookies.filter((c) => c.startsWith('sid='))).toEqual([]);
    for (const hop of visit.hops) {
      expect(hop.status).toBeLessThan(500);
      expect(hop.setCookie.filter((c) => c.startsWith('sid='))).toEqual([]);
      expect(hop.body).not.toMatch(/<script/i);
    }
  }
  expect(t.events.filter((e) => e.type === 'sign_in')).toEqual([]);
}

async function signInByClick(t: TestApp, agent: request.Agent, link: string): Promise<void> {
  expect(await clickAsUser(t, agent, link, EMAIL)).toBe(true);
}

function linkVisits(t: TestApp): number {
  return t.emulator?.requests.filter((r) => r.path.endsWith('/confirm')).length ?? 0;
}

describe.each([
  { name: 'self-hosted links', app: { provider: 'self-hosted' } as TestAppOptions },
  {
    name: 'WorkOS links in our own email (/open)',
    app: { provider: 'workos', delivery: 'smtp' } as TestAppOptions,
  },
])('A scanner visiting $name', ({ app }) => {
  let t: TestApp;
  afterEach(() => t.close());

  async function setUp(crossDevice: 'confirm' | 'deny') {
    t = await createTestApp({ ...app, router: { crossDevice } });
    const agent = request.agent(t.url);
    await askForLink(agent, EMAIL);
    const { mail, link } = await nextEmail(t, EMAIL);
    const links = everyLink(mail.text ?? '', mail.html as string);
    expect(links).toEqual([link]);
    return { agent, link, links };
  }

  it('gets a confirmation page, no session, and leaves the link for the person', async () => {
    const { agent, link, links } = await setUp('confirm');
    const visits = await scan(links, thorough);

    expectNothingFor(visits, t);
    for (const visit of visits) {
      expect(visit.hops).toHaveLength(1);
      expect(lastHop(visit).status).toBe(200);
      expect(lastHop(visit).request.url).toBe(link);
    }
    const page = firstGet(visits).body;
    expect(page).toContain('Continue signing in?');
    expect(page).toContain(`<strong>${EMAIL}</strong>`);
    expect(linkVisits(t)).toBe(0);

    await signInByClick(t, agent, link);
  });

  it('spends nothing on a HEAD from the browser that asked (a link preview or prefetch)', async () => {
    const { agent, link } = await setUp('confirm');
    const head = await agent.head(pathOf(link));
    expect(head.status).toBe(200);
    expect(setsSession(head)).toBe(false);
    expect(linkVisits(t)).toBe(0);
    await signInByClick(t, agent, link);
  });

  it('under crossDevice "deny" is refused even when it submits the form itself', async () => {
    const { agent, link, links } = await setUp('deny');
    const visits = await scan(links, thorough);
    expectNothingFor(visits, t);
    for (const visit of visits) expect(visit.hops.map((h) => h.status)).toEqual([403]);
    expect(firstGet(visits).body).not.toContain('<form');

    // No form to submit, so the robot builds one from the link, Origin header and all.
    const url = new URL(link);
    const submitted = await request(t.url)
      .post(url.pathname)
      .set('Origin', t.url)
      .set('User-Agent', HEADLESS_CHROME_UA)
      .type('form')
      .send(Object.fromEntries(url.searchParams));
    expect(submitted.status).toBe(403);
    expect(setsSession(submitted)).toBe(false);
    expect(linkVisits(t)).toBe(0);
    expect(t.events.filter((e) => e.type === 'sign_in')).toEqual([]);

    await signInByClick(t, agent, link);
  });
});

describe('A scanner that submits the confirmation form (residual risk of crossDevice "confirm")', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp({ provider: 'self-hosted', router: { crossDevice: 'confirm' } });
  });
  afterEach(() => t.close());

  it('signs itself in, because confirming is what the button is for; the person gets a resend', async () => {
    const agent = request.agent(t.url);
    await askForLink(agent, EMAIL);
    const { link } = await nextEmail(t, EMAIL);
    const visits = await microsoftSafeLinks.simulate(link, nodeScannerHttp);
    const detonation = visits.find((v) => v.visit.startsWith('detonation'))!;
    const { action, fields } = formOf(detonation.hops[0]!.body);
    const robot = detonation.hops.find((h) => h.cause === 'form')!;
    expect(robot.request.method).toBe('POST');
    expect(robot.request.url).toBe(`${t.url}${action}`);
    expect(Object.fromEntries(new URLSearchParams(robot.request.body))).toEqual(fields);
    expect(robot.request.headers.origin).toBe(t.url);
    expect(robot.status).toBe(303);
    expect(setsSession({ headers: { 'set-cookie': robot.setCookie } })).toBe(true);
    expect(detonation.cookies.some((c) => c.startsWith('sid='))).toBe(true);
    expect(t.events.find((e) => e.type === 'sign_in')).toMatchObject({ method: 'confirmed' });

    const late = await agent.get(pathOf(link));
    expect(late.status).toBe(400);
    expect(late.text).toContain('action="/auth/magic-link/resend"');
  });
});

describe('A scanner visiting the WorkOS-branded email (delivery "workos")', () => {
  let t: TestApp;
  afterEach(() => t.close());

  async function setUp(
    crossDevice: 'confirm' | 'deny' = 'confirm',
    omitStateOnAccessDenied = false,
  ) {
    t = await createTestApp({
      provider: 'workos',
      delivery: 'workos',
      router: { crossDevice },
      emulator: { omitStateOnAccessDenied },
    });
    const agent = request.agent(t.url);
    await askForLink(agent, EMAIL);
    expect(await t.outbox()).toHaveLength(1);
    const email = (await t.outbox())[0]!;
    const links = everyLink(email.text, email.html);
    expect(links).toEqual([email.link]);
    return { agent, link: email.link, links };
  }

  it.each(['confirm', 'deny'] as const)(
    'that follows redirects hands us the code, and the person still signs in (crossDevice %s)',
    async (crossDevice) => {
      const { agent, link, links } = await setUp(crossDevice);
      const visits = await scan(links, following);
      expectNothingFor(visits, t);
      expect(lastHop(visits[0]!).request.url.startsWith(`${t.url}/auth/callback?code=`)).toBe(true);
      expect(linkVisits(t)).toBe(2);

      // The WorkOS link is spent: the person's click comes back as error=access_denied, and the
      // router finishes with the code the scanner delivered, for this browser only.
      const back = await follow(link);
      expect(new URL(back).searchParams.get('error')).toBe('access_denied');
      const stranger = await request(t.url).get(pathOf(back));
      expect(stranger.status).toBe(400);
      expect(setsSession(stranger)).toBe(false);
      await signInByClick(t, agent, link);
    },
  );

  // WorkOS documents only `error=access_denied` on that redirect; whether `state` comes back is
  // unknown, so the rescue and the resend are keyed by the browser, not by the state.
  it('rescues the person even when WorkOS leaves state off the access_denied redirect', async () => {
    const { agent, link, links } = await setUp('confirm', true);
    expectNothingFor(await scan(links, following), t);
    const back = await follow(link);
    expect(new URL(back).searchParams.get('error')).toBe('access_denied');
    expect(new URL(back).searchParams.has('state')).toBe(false);
    const stranger = await request(t.url).get(pathOf(back));
    expect(stranger.status).toBe(400);
    expect(setsSession(stranger)).toBe(false);
    const landed = await agent.get(pathOf(back));
    expect(landed.status).toBe(303);
    expect(setsSession(landed)).toBe(true);
  });

  it('offers the one-click resend even when WorkOS leaves state off the redirect', async () => {
    const { agent, link, links } = await setUp('confirm', true);
    expectNothingFor(await scan(links, nonFollowing), t);
    const late = await agent.get(pathOf(await follow(link)));
    expect(late.status).toBe(400);
    const { action, fields } = formOf(late.text);
    expect(action).toBe('/auth/magic-link/resend');
    expect((await agent.post(action).type('form').send(fields)).status).toBe(303);
    expect(await t.outbox()).toHaveLength(2);
    await signInByClick(t, agent, (await t.outbox())[1]!.link);
  });

  it('that does not follow redirects burns the link; the person gets a one-click resend', async () => {
    // A limit of WorkOS-branded email: WorkOS's link is spent by any GET or HEAD, and nothing
    // reaches us to keep. Our own email (delivery: mailer) carries /open links and avoids it.
    const { agent, link, links } = await setUp();
    const visits = await scan(links, nonFollowing);
    expectNothingFor(visits, t);
    for (const visit of visits) expect(visit.hops.map((h) => h.status)).toEqual([302]);

    const late = await agent.get(pathOf(await follow(link)));
    expect(late.status).toBe(400);
    expect(late.text).toContain('expired or was already used');
    const { action, fields } = formOf(late.text);
    expect(action).toBe('/auth/magic-link/resend');

    const resent = await agent.post(action).type('form').send(fields);
    expect(resent.status).toBe(303);
    expect(await t.outbox()).toHaveLength(2);
    const fresh = (await t.outbox())[1]!;
    expect(fresh.to).toBe(EMAIL);
    expect(fresh.link).not.toBe(link);
    await signInByClick(t, agent, fresh.link);
  });
});
