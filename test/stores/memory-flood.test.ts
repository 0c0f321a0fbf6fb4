import request from 'supertest';
import { memoryStore } from '../../lib/stores/memory';
import { createTestApp } from '../helpers/app';
import type { TestApp } from '../helpers/app';
import { askForLink, nextEmail, setsSession } from '../helpers/sign-in';

// The abuse review's F01/F01b, end to end through the router: a flood of sign-in requests for
// distinct addresses fills memoryStore. Before, LRU eviction then dropped the victim's pending
// sign-in (their fresh link stopped working) and their per-address counter (a 429 became a 303
// again within the minute). Now the full store refuses the flood's new keys, so the flood gets
// 503 and the victim's state is untouched.
describe('memoryStore under a flood of sign-in requests (F01, F01b)', () => {
  const store = memoryStore({ maxEntries: 150 });
  let t: TestApp;
  beforeAll(async () => {
    // No per-IP limit, so that one test client can stand in for a flood from many addresses.
    t = await createTestApp({
      provider: 'self-hosted',
      store,
      router: { rateLimit: { perIp: [] } },
    });
  });
  afterAll(async () => {
    await t.close();
  });

  it('the flood gets 503 once the store is full; the victim keeps their link and their limit', async () => {
    const victim = 'victim@example.com';
    const browser = request.agent(t.url);
    await askForLink(browser, victim);
    const { link } = await nextEmail(t, victim);

    const limited = 'limited@example.com';
    for (let i = 0; i < 3; i++) {
      expect(
        (await request(t.url).post('/auth/magic-link').type('form').send({ email: limited }))
          .status,
      ).toBe(303);
    }
    expect(
      (await request(t.url).post('/auth/magic-link').type('form').send({ email: limited })).status,
    ).toBe(429);

    const statuses: number[] = [];
    for (let i = 0; i < 200 && statuses.filter((s) => s === 503).length < 5; i++) {
      const res = await request(t.url)
        .post('/auth/magic-link')
        .send({ email: `flood${i}@flood.example` });
      statuses.push(res.status);
      if (res.status === 503) expect(res.body.error).toBe('store_unavailable');
      else expect(res.status).toBe(202);
    }
    expect(statuses.filter((s) => s === 503)).toHaveLength(5);
    expect(store.size).toBeLessThanOrEqual(150);
    expect(t.events).toContainEqual(expect.objectContaining({ reason: 'ERR_STORE_UNAVAILABLE' }));

    // Within the same minute: still 429, never 303.
    expect(
      (await request(t.url).post('/auth/magic-link').type('form').send({ email: limited })).status,
    ).toBe(429);

    // The victim's link, from the browser that asked, still signs them in.
    const click = await browser.get(link.slice(t.url.length)).set('Accept', 'text/html');
    expect(click.status).toBe(303);
    expect(setsSession(click)).toBe(true);
    expect((await browser.get('/account').set('Accept', 'application/json')).body).toMatchObject({
      email: victim,
    });
  }, 90_000);
});
