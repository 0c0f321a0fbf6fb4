import request from 'supertest';
import { createTestApp } from '../helpers/app';
import type { TestApp } from '../helpers/app';
import { askForLink, nextEmail, setsSession } from '../helpers/sign-in';

/** A token from one email paired with the state from another must not sign anyone in. */

let t: TestApp;
beforeEach(async () => {
  t = await createTestApp({ provider: 'self-hosted', rateLimit: false });
});
afterEach(() => t.close());

describe('a credential and a state from two different sign-ins', () => {
  it("are refused together, and the state's own link still works", async () => {
    const agent = request.agent(t.url);
    await askForLink(agent, 'victim@example.com');
    const victim = new URL((await nextEmail(t, 'victim@example.com')).link);
    await askForLink(agent, 'mallory@example.com');
    const mallory = new URL((await nextEmail(t, 'mallory@example.com')).link);

    // Mallory's token under the victim's state: the confirmation page would name the victim.
    const mixed = new URLSearchParams({
      code: mallory.searchParams.get('code')!,
      state: victim.searchParams.get('state')!,
    });
    const res = await agent.get(`/auth/callback?${mixed}`);
    expect(res.status).toBe(400);
    expect(setsSession(res)).toBe(false);
    expect(t.events.filter((e) => e.type === 'sign_in')).toHaveLength(0);
    expect(t.events.at(-1)).toMatchObject({ type: 'sign_in_failed', reason: 'ERR_STATE_INVALID' });

    const ok = await agent.get(victim.pathname + victim.search);
    expect(ok.status).toBe(303);
    expect((await agent.get('/account')).body.email).toBe('victim@example.com');
  });
});
