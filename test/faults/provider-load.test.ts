import request from 'supertest';
import { createTestApp } from '../helpers/app';
import type { TestApp } from '../helpers/app';

const FLOOD = 50;
const PROVIDER_TIMEOUT_MS = 300;
const EMULATOR_DELAY_MS = 2000;

describe('a slow WorkOS under load', () => {
  let t: TestApp;
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);

  beforeAll(async () => {
    process.on('unhandledRejection', onUnhandled);
    t = await createTestApp({
      provider: 'workos',
      rateLimit: false,
      router: { providerTimeoutMs: PROVIDER_TIMEOUT_MS },
    });
  });

  afterAll(async () => {
    process.off('unhandledRejection', onUnhandled);
    await t.close();
  });

  it(`answers ${FLOOD} concurrent sign-ins at once while WorkOS is slow, and reports each timeout`, async () => {
    t.emulator!.delay(EMULATOR_DELAY_MS);
    // The answer never waits for WorkOS (threat model A3): each request is answered before its
    // call to WorkOS has timed out, and the timeouts arrive later as events.
    const replies = await Promise.all(
      Array.from({ length: FLOOD }, (_, i) =>
        request(t.url)
          .post('/auth/magic-link')
          .send({ email: `load${i}@example.com` })
          .timeout(30_000),
      ),
    );
    for (const res of replies) {
      expect(res.status).toBe(202);
      expect(res.body).toEqual({ status: 'sent' });
    }
    for (const path of ['/', '/auth/magic-link']) {
      expect((await request(t.url).get(path).timeout(30_000)).status).toBe(200);
    }
    await t.settled();
    const errors = t.events.filter((e) => e.type === 'provider_error');
    expect(errors).toHaveLength(FLOOD);
    expect(new Set(errors.map((e) => e.type === 'provider_error' && e.reason))).toEqual(
      new Set(['ERR_PROVIDER_UNAVAILABLE']),
    );
    expect(t.events.some((e) => e.type === 'sign_in' || e.type === 'link_sent')).toBe(false);

    // Once WorkOS is fast again, the same process signs people in without a restart.
    t.emulator!.delay(0);
    await new Promise((resolve) => setTimeout(resolve, EMULATOR_DELAY_MS));
    t.emulator!.reset();
    const agent = request.agent(t.url);
    const sent = await agent
      .post('/auth/magic-link')
      .type('form')
      .send({ email: 'after@example.com' });
    expect(sent.status).toBe(303);
    expect(await t.outbox()).toHaveLength(1);
    const location = await fetch((await t.outbox())[0]!.link, { redirect: 'manual' }).then((res) =>
      res.headers.get('location')!,
    );
    const landed = await agent.get(new URL(location).pathname + new URL(location).search);
    expect(landed.status).toBe(303);
    expect((await agent.get('/account')).body.email).toBe('after@example.com');
    expect(unhandled).toEqual([]);
  });
});
