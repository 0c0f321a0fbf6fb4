import request from 'supertest';
import { createTestApp, follow, pathOf } from '../helpers/app';
import type { TestApp } from '../helpers/app';

describe.each([
  { express: 5, sdk: 11 },
  { express: 4, sdk: 8 },
] as const)('WorkOS sign-in, end to end (Express $express, SDK $sdk)', ({ express, sdk }) => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp({ express, sdk });
  });
  afterEach(() => t.close());

  it('requests a link, follows it, lands signed in, signs out, and is refused again', async () => {
    const agent = request.agent(t.url);
    const guarded = await agent.get('/account').set('Accept', 'text/html');
    expect(guarded.status).toBe(303);
    expect(guarded.headers.location).toBe('/auth/magic-link?returnTo=%2Faccount');

    const page = await agent.get('/auth/magic-link?returnTo=%2Faccount');
    expect(page.status).toBe(200);
    expect(page.text).toContain('name="returnTo" value="/account"');

    const sent = await agent
      .post('/auth/magic-link')
      .type('form')
      .send({ email: 'Alice@Example.com', returnTo: '/account' });
    expect(sent.status).toBe(303);
    expect(sent.headers.location).toBe('/auth/magic-link/sent');
    expect(sent.headers['cache-control']).toBe('no-store');

    expect(await t.outbox()).toHaveLength(1);
    const email = (await t.outbox())[0]!;
    expect(email.to).toBe('Alice@example.com');
    const callback = await follow(email.link);
    expect(callback.startsWith(`${t.url}/auth/callback?`)).toBe(true);

    const landed = await agent.get(pathOf(callback));
    expect(landed.status).toBe(303);
    expect(landed.headers.location).toBe('/account');

    const account = await agent.get('/account');
    expect(account.status).toBe(200);
    expect(account.body.email).toBe('Alice@example.com');

    const out = await agent.post('/auth/logout');
    expect(out.status).toBe(303);
    const after = await agent.get('/account').set('Accept', 'application/json');
    expect(after.status).toBe(401);
    expect(after.body).toEqual({ error: 'unauthenticated' });
    expect(t.events.map((e) => e.type)).toEqual(['link_sent', 'sign_in', 'sign_out']);
  });

  it('answers JSON clients with 202 and the same body for every valid address', async () => {
    const a = await request(t.url).post('/auth/magic-link').send({ email: 'a@example.com' });
    const b = await request(t.url).post('/auth/magic-link').send({ email: 'b@example.com' });
    expect(a.status).toBe(202);
    expect(a.body).toEqual({ status: 'sent' });
    expect(b.body).toEqual(a.body);
  });
});
