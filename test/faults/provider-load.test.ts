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

  it(`gives ${FLOOD} concurrent sign-ins a prompt 503 while other routes keep answering`, async () => {
    t.emulator!.delay(EMULATOR_DELAY_MS);
    const started = performance.now();
    const flood = Promise.all(
      Array.from({ length: FLOOD }, (_, i) =>
        request(t.url)
          .post('/auth/magic-link')
          .send({ email: `load${i}@example.com` })
          .timeout(10_000),
      ),
    );

    // While the sign-ins wait on WorkOS, the rest of the app answers at once.
    const deadline = Date.now() + 2000;
    while (t.emulator!.requests.length === 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const others: { status: number; ms: number }[] = [];
    for (let i = 0; i < 10; i++) {
      for (const path of ['/', '/auth/magic-link']) {
        const before = performance.now();
        const res = await request(t.url).get(path).timeout(5000);
        others.push({ status: res.status, ms: performance.now() - before });
      }
    }
    const replies = await flood;
    const elapsed = performance.now() - started;

    for (const res of replies) {
      expect(res.status).toBe(503);
      expect(res.body).toEqual({
        error: 'provider_unavailable',
        message: 'We could not reach the sign-in service. Try again in a moment.',
      });
    }
    // Every request gave up at the provider timeout, none waited out the emulator's delay.
    expect(elapsed).toBeLessThan(EMULATOR_DELAY_MS);
    for (const other of others) {
      expect(other.status).toBe(200);
      expect(other.ms).toBeLessThan(1000);
    }
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
    expect(t.emulator!.outbox).toHaveLength(1);
    const location = await fetch(t.emulator!.outbox[0]!.link, { redirect: 'manual' }).then((res) =>
      res.headers.get('location')!,
    );
    const landed = await agent.get(new URL(location).pathname + new URL(location).search);
    expect(landed.status).toBe(303);
    expect((await agent.get('/account')).body.email).toBe('after@example.com');
    expect(unhandled).toEqual([]);
  });
});
