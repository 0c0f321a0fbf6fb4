import request from 'supertest';
import { createTestApp } from '../helpers/app';
import type { TestApp } from '../helpers/app';

const FLOOD = 50;
/**
 * Long enough for a sign-in against a healthy WorkOS (two API calls) on a busy machine, so the
 * recovery below does not depend on the machine's speed; WorkOS is held far longer than this.
 */
const PROVIDER_TIMEOUT_MS = 5_000;
/**
 * WorkOS "answers" after this long: longer than any test here runs, so an answer that came back
 * can only be the router's own. The emulator's close() wakes the held requests.
 */
const HUNG_MS = 10 * 60_000;
/** Only a hang takes this long; a prompt answer is shown by the order of events, not a clock. */
const CLIENT_TIMEOUT_MS = 20_000;

/** Polls `done` until it holds; a bound for a stuck test, not a speed target. */
async function until(done: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('a slow WorkOS under load', () => {
  let t: TestApp;
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);

  beforeAll(() => {
    process.on('unhandledRejection', onUnhandled);
  });

  afterEach(async () => {
    await t.close();
  });

  afterAll(() => {
    process.off('unhandledRejection', onUnhandled);
  });

  it(`gives ${FLOOD} concurrent sign-ins a 503 at providerTimeoutMs, without waiting for WorkOS`, async () => {
    t = await createTestApp({
      provider: 'workos',
      rateLimit: false,
      router: { providerTimeoutMs: PROVIDER_TIMEOUT_MS },
    });
    t.emulator!.delay(HUNG_MS);
    const started = performance.now();
    const replies = await Promise.all(
      Array.from({ length: FLOOD }, (_, i) =>
        request(t.url)
          .post('/auth/magic-link')
          .send({ email: `load${i}@example.com` })
          .timeout(CLIENT_TIMEOUT_MS),
      ),
    );
    const elapsed = performance.now() - started;

    for (const res of replies) {
      expect(res.status).toBe(503);
      expect(res.body).toEqual({
        error: 'provider_unavailable',
        message: 'We could not reach the sign-in service. Try again in a moment.',
      });
    }
    // A timer never fires early; and WorkOS, holding every request still, sent nothing.
    expect(elapsed).toBeGreaterThanOrEqual(PROVIDER_TIMEOUT_MS);
    expect(t.emulator!.outbox).toHaveLength(0);
    const errors = t.events.filter((e) => e.type === 'provider_error');
    expect(errors).toHaveLength(FLOOD);
    expect(new Set(errors.map((e) => e.type === 'provider_error' && e.reason))).toEqual(
      new Set(['ERR_PROVIDER_UNAVAILABLE']),
    );
    expect(t.events.some((e) => e.type === 'sign_in' || e.type === 'link_sent')).toBe(false);

    // Once WorkOS is fast again, the same process signs people in without a restart. The held
    // requests never get an answer, so nothing of theirs reaches the outbox from here on.
    t.emulator!.reset();
    const agent = request.agent(t.url);
    const sent = await agent
      .post('/auth/magic-link')
      .type('form')
      .send({ email: 'after@example.com' });
    expect(sent.status).toBe(303);
    expect(t.emulator!.outbox).toHaveLength(1);
    expect(t.emulator!.outbox[0]!.to).toBe('after@example.com');
    const location = await fetch(t.emulator!.outbox[0]!.link, { redirect: 'manual' }).then((res) =>
      res.headers.get('location')!,
    );
    const landed = await agent.get(new URL(location).pathname + new URL(location).search);
    expect(landed.status).toBe(303);
    expect((await agent.get('/account')).body.email).toBe('after@example.com');
    expect(unhandled).toEqual([]);
  });

  it(`keeps answering other routes while ${FLOOD} sign-ins wait on WorkOS`, async () => {
    // The router waits as long as it may, so every sign-in is still waiting while the other
    // routes are asked: they answered during the wait, whatever the machine's speed.
    t = await createTestApp({
      provider: 'workos',
      rateLimit: false,
      router: { providerTimeoutMs: 120_000 },
    });
    t.emulator!.delay(HUNG_MS);
    let settled = 0;
    const flood = Promise.all(
      Array.from({ length: FLOOD }, (_, i) =>
        request(t.url)
          .post('/auth/magic-link')
          .send({ email: `wait${i}@example.com` })
          .timeout(CLIENT_TIMEOUT_MS)
          .then((res) => {
            settled += 1;
            return res;
          }),
      ),
    );
    const sessionCalls = () =>
      t.emulator!.requests.filter((r) => r.path === '/passwordless/sessions').length;
    await until(() => sessionCalls() === FLOOD, `${FLOOD} sign-ins to reach WorkOS`);

    for (let i = 0; i < 10; i++) {
      for (const path of ['/', '/auth/magic-link']) {
        const res = await request(t.url).get(path).timeout(CLIENT_TIMEOUT_MS);
        expect(res.status).toBe(200);
      }
    }
    expect(settled).toBe(0);
    expect(t.emulator!.outbox).toHaveLength(0);

    // WorkOS goes away: every waiting sign-in now fails cleanly, none hangs.
    await t.emulator!.close();
    for (const res of await flood) {
      expect(res.status).toBe(503);
      expect(res.body.error).toBe('provider_unavailable');
    }
    expect(t.events.some((e) => e.type === 'sign_in' || e.type === 'link_sent')).toBe(false);
    expect(unhandled).toEqual([]);
  });
});
