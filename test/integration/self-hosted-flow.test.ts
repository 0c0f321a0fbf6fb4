import request from 'supertest';
import { createTestApp, pathOf } from '../helpers/app';
import type { TestApp } from '../helpers/app';
import type { MagicLinkProfile } from '../../lib/index';
import { askForLink, nextEmail, recipientOf, setsSession } from '../helpers/sign-in';

describe.each([5, 4] as const)('Self-hosted sign-in over real SMTP (Express %i)', (express) => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp({ provider: 'self-hosted', express, rateLimit: false });
  });
  afterEach(() => t.close());

  it('emails a link and a code, and the link signs in the browser that asked', async () => {
    const agent = request.agent(t.url);
    const guarded = await agent.get('/account').set('Accept', 'text/html');
    expect(guarded.status).toBe(303);
    expect(guarded.headers.location).toBe('/auth/magic-link?returnTo=%2Faccount');

    const sent = await askForLink(agent, 'alice@example.com');
    expect(sent.headers['cache-control']).toBe('no-store');
    const page = await agent.get('/auth/magic-link/sent');
    expect(page.status).toBe(200);
    expect(page.text).toContain('action="/auth/magic-link/verify"');

    const { mail, link, code } = await nextEmail(t, 'alice@example.com');
    expect(recipientOf(mail)).toBe('alice@example.com');
    expect(t.smtp!.envelopes[0]!.to).toEqual(['alice@example.com']);
    expect(mail.subject).toBe('Sign in to 127.0.0.1');
    const url = new URL(link);
    expect(url.origin).toBe(t.url);
    expect(url.pathname).toBe('/auth/callback');
    expect([...url.searchParams.keys()]).toEqual(['code', 'state']);
    expect(url.searchParams.get('code')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(code).toMatch(/^[0-9]{6}$/);
    expect(mail.text).toContain(link);
    expect(mail.text).toContain(code!);
    expect(mail.text).toContain('expires in 15 minutes');
    const html = mail.html as string;
    expect(html).toContain(`href="${link.replace(/&/g, '&amp;')}"`);
    expect(html).toContain(`>${code!}</p>`);
    expect(html).toContain('expires in 15 minutes');

    const landed = await agent.get(pathOf(link));
    expect(landed.status).toBe(303);
    expect(landed.headers.location).toBe('/account');
    expect(landed.headers['cache-control']).toBe('no-store');
    expect(setsSession(landed)).toBe(true);

    const account = await agent.get('/account');
    expect(account.status).toBe(200);
    expect(account.body.email).toBe('alice@example.com');

    const out = await agent.post('/auth/logout');
    expect(out.status).toBe(303);
    const after = await agent.get('/account').set('Accept', 'application/json');
    expect(after.status).toBe(401);
    expect(t.events.map((e) => e.type)).toEqual(['link_sent', 'sign_in', 'sign_out']);
    expect(t.events[1]).toMatchObject({ type: 'sign_in', method: 'link' });
  });

  it('signs in with the code typed into the browser that asked', async () => {
    const agent = request.agent(t.url);
    await askForLink(agent, 'bob@example.com', '/account?tab=1');
    const { code } = await nextEmail(t, 'bob@example.com');

    const verified = await agent
      .post('/auth/magic-link/verify')
      .type('form')
      .send({ code: `${code!.slice(0, 3)} ${code!.slice(3)}` });
    expect(verified.status).toBe(303);
    expect(verified.headers.location).toBe('/account?tab=1');
    expect(setsSession(verified)).toBe(true);

    const account = await agent.get('/account');
    expect(account.status).toBe(200);
    expect(account.body.email).toBe('bob@example.com');
    expect(t.events.find((e) => e.type === 'sign_in')).toMatchObject({ method: 'code' });
  });
});

describe('The self-hosted profile', () => {
  let t: TestApp;
  const profiles: MagicLinkProfile[] = [];
  beforeEach(async () => {
    profiles.length = 0;
    t = await createTestApp({
      provider: 'self-hosted',
      rateLimit: false,
      router: {
        onSignIn: (profile) => {
          profiles.push(profile);
          return profile;
        },
      },
    });
  });
  afterEach(() => t.close());

  async function signInAs(email: string): Promise<{ id: string; email: string }> {
    const agent = request.agent(t.url);
    await askForLink(agent, email);
    const { link } = await nextEmail(t, email);
    expect((await agent.get(pathOf(link))).status).toBe(303);
    return (await agent.get('/account')).body;
  }

  it('has the WorkOS shape, and one stable id per canonical address that does not reveal it', async () => {
    const first = await signInAs('alice@example.com');
    const cased = await signInAs('Alice@Example.com');
    const again = await signInAs('alice@example.com');
    const other = await signInAs('alice2@example.com');

    expect(profiles[0]).toEqual({
      id: first.id,
      idpId: first.id,
      organizationId: null,
      connectionId: 'conn_self_hosted',
      connectionType: 'MagicLink',
      email: 'alice@example.com',
      firstName: null,
      lastName: null,
      rawAttributes: {},
    });
    expect(first.id).toMatch(/^user_[A-Za-z0-9_-]{26}$/);
    // F05: profile.email is the canonical address, as allow() sees it.
    expect(cased.email).toBe('alice@example.com');
    expect(cased.id).toBe(first.id);
    expect(again.id).toBe(first.id);
    expect(other.id).not.toBe(first.id);
    for (const { id } of [first, other]) {
      expect(id.toLowerCase()).not.toContain('alice');
      expect(id.toLowerCase()).not.toContain('example');
    }
  });
});
