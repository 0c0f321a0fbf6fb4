import request from 'supertest';
import { memoryStore } from '../../lib/index';
import { createTestApp, pathOf } from '../helpers/app';
import type { TestApp } from '../helpers/app';
import { askForLink, formOf, nextEmail, setsSession } from '../helpers/sign-in';
import { fakeDateOnly } from '../helpers/fake-date';

/**
 * Threat model T3. Only `Date` is faked: sockets, SMTP and supertest need real timers. The clock
 * stands still unless a test moves it, so the link, its state and its store records all expire at
 * exactly the same instant, `requestedAt + 15 min`. The boundary, as implemented everywhere
 * (sealer, memory store, token record): `Date.now() >= expiresAt` is expired.
 */

const TTL_MS = 15 * 60 * 1000;
const START = new Date('2030-01-01T09:00:00.000Z').getTime();
const EMAIL = 'alice@example.com';

describe('An expired self-hosted link (fake Date)', () => {
  let t: TestApp;
  beforeEach(async () => {
    fakeDateOnly(START);
    t = await createTestApp({
      provider: 'self-hosted',
      rateLimit: false,
      store: memoryStore({ now: () => Date.now() }),
    });
  });
  afterEach(async () => {
    await t.close();
    jest.useRealTimers();
  });

  async function requestLink() {
    const agent = request.agent(t.url);
    await askForLink(agent, EMAIL);
    return { agent, ...(await nextEmail(t, EMAIL)) };
  }

  it.each([
    ['one second', 1000],
    ['one millisecond', 1],
  ])('still works %s before it expires', async (_when, early) => {
    const { agent, link } = await requestLink();
    jest.setSystemTime(START + TTL_MS - early);
    const landed = await agent.get(pathOf(link));
    expect(landed.status).toBe(303);
    expect(setsSession(landed)).toBe(true);
  });

  it('still takes the code one second before it expires', async () => {
    const { agent, code } = await requestLink();
    jest.setSystemTime(START + TTL_MS - 1000);
    const verified = await agent.post('/auth/magic-link/verify').type('form').send({ code });
    expect(verified.status).toBe(303);
  });

  it.each([
    ['exactly at', 0],
    ['one second after', 1000],
  ])('is refused %s its expiry, link and code alike', async (_when, extra) => {
    const { agent, link, code } = await requestLink();
    jest.setSystemTime(START + TTL_MS + extra);

    const late = await agent.get(pathOf(link));
    expect(late.status).toBe(400);
    expect(setsSession(late)).toBe(false);
    expect(late.text).toContain('This link has expired or was already used');
    expect(formOf(late.text).action).toBe('/auth/magic-link/resend');

    const confirmed = await request(t.url)
      .post('/auth/callback')
      .type('form')
      .send(Object.fromEntries(new URL(link).searchParams));
    expect(confirmed.status).toBe(400);
    const typed = await agent.post('/auth/magic-link/verify').type('form').send({ code });
    expect(typed.status).toBe(400);
    expect(setsSession(typed)).toBe(false);
    expect(t.events.filter((e) => e.type === 'sign_in')).toEqual([]);
  });

  it('offers a one-click resend that emails a new link to the same address', async () => {
    const { agent, link } = await requestLink();
    jest.setSystemTime(START + TTL_MS + 1000);
    const late = await agent.get(pathOf(link));
    const { action, fields } = formOf(late.text);
    expect(Object.keys(fields)).toEqual(['state']);

    const resent = await agent.post(action).type('form').send(fields);
    expect(resent.status).toBe(303);
    expect(resent.headers.location).toBe('/auth/magic-link/sent');
    const fresh = await nextEmail(t, EMAIL);
    expect(fresh.link).not.toBe(link);
    expect(fresh.mail.text).toContain('expires in 15 minutes');
    expect(t.smtp!.envelopes.map((e) => e.to)).toEqual([[EMAIL], [EMAIL]]);

    const landed = await agent.get(pathOf(fresh.link));
    expect(landed.status).toBe(303);
    expect(landed.headers.location).toBe('/account');
    expect((await agent.get('/account')).body.email).toBe(EMAIL);
  });
});
