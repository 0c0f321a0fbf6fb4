import request from 'supertest';
import { createTestApp, follow, pathOf } from '../helpers/app';
import type { TestApp, TestAppOptions } from '../helpers/app';
import {
  askForLink,
  everyLink,
  formOf,
  HEADLESS_UA,
  nextEmail,
  scan,
  setsSession,
} from '../helpers/sign-in';
import type { ScannerHit } from '../helpers/sign-in';

/**
 * Threat model T4: an email scanner sends HEAD and GET to every link in the email, with no
 * cookies and a headless-Chrome user agent. It must not get a session, and the person's own
 * click must still work afterwards.
 *
 * Residual risk, by design: under `crossDevice: 'confirm'` (the default) the confirmation page's
 * button is what lets a person finish on another device, so a robot that also SUBMITS that form
 * with a same-origin Origin header is indistinguishable from that person and signs itself in.
 * `crossDevice: 'deny'` removes this: only the browser that asked can use the link.
 */

const EMAIL = 'victim@example.com';

function expectNothingFor(hits: ScannerHit[], t: TestApp): void {
  for (const hit of hits) {
    expect(hit.status).toBeLessThan(500);
    expect(hit.setCookie.filter((c) => c.startsWith('sid='))).toEqual([]);
    expect(hit.body).not.toMatch(/<script/i);
  }
  expect(t.events.filter((e) => e.type === 'sign_in')).toEqual([]);
}

async function signInByClick(t: TestApp, agent: request.Agent, link: string): Promise<void> {
  // A WorkOS link lives on WorkOS: the browser goes there first, then comes back to us.
  const ours = link.startsWith(`${t.url}/`) ? link : await follow(link);
  let landed = await agent.get(pathOf(ours));
  const onward = landed.status === 303 ? (landed.headers.location ?? '') : '';
  if (onward.startsWith('http')) {
    // Our scanner-safe /open link sends the browser that asked on to WorkOS.
    expect(new URL(onward).origin).toBe(t.emulator!.url);
    landed = await agent.get(pathOf(await follow(onward)));
  }
  expect(landed.status).toBe(303);
  expect(landed.headers.location).toBe('/account');
  expect(setsSession(landed)).toBe(true);
  expect((await agent.get('/account')).body.email).toBe(EMAIL);
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
    const hits = await scan(links, 'thorough');

    expectNothingFor(hits, t);
    for (const hit of hits) {
      expect(hit.status).toBe(200);
      expect(hit.finalUrl).toBe(link);
    }
    const page = hits.find((h) => h.method === 'GET')!.body;
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
    const hits = await scan(links, 'thorough');
    expectNothingFor(hits, t);
    for (const hit of hits) expect(hit.status).toBe(403);
    expect(hits.find((h) => h.method === 'GET')!.body).not.toContain('<form');

    // No form to submit, so the robot builds one from the link, Origin header and all.
    const url = new URL(link);
    const submitted = await request(t.url)
      .post(url.pathname)
      .set('Origin', t.url)
      .set('User-Agent', HEADLESS_UA)
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
    const hits = await scan([link], 'non-following');
    const { action, fields } = formOf(hits.find((h) => h.method === 'GET')!.body);

    const robot = await request(t.url).post(action).set('Origin', t.url).type('form').send(fields);
    expect(robot.status).toBe(303);
    expect(setsSession(robot)).toBe(true);
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
      const hits = await scan(links, 'following');
      expectNothingFor(hits, t);
      expect(hits[0]!.finalUrl.startsWith(`${t.url}/auth/callback?code=`)).toBe(true);
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
    expectNothingFor(await scan(links, 'following'), t);
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
    expectNothingFor(await scan(links, 'non-following'), t);
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
    const hits = await scan(links, 'non-following');
    expectNothingFor(hits, t);
    for (const hit of hits) expect(hit.status).toBe(302);

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
