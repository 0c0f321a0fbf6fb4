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
/** Only a hang takes this long; promptness is shown by the order of events, not a clock. */
const CLIENT_TIMEOUT_MS = 20_000;

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

  it(`answers ${FLOOD} concurrent sign-ins while WorkOS holds every call, reports each timeout, and recovers`, async () => {
    t = await createTestApp({
      provider: 'workos',
      rateLimit: false,
      router: { providerTimeoutMs: PROVIDER_TIMEOUT_MS },
    });
    t.emulator!.delay(HUNG_MS);
    const replies = await Promise.all(
      Array.from({ length: FLOOD }, (_, i) =>
        request(t.url)
          .post('/auth/magic-link')
          .send({ email: `load${i}@example.com` })
          .timeout(CLIENT_TIMEOUT_MS),
      ),
    );
    // The answers never wait for WorkOS (threat model A3): they all came while WorkOS still
    // holds every call, so no email exists and no call has timed out yet.
    for (const res of replies) {
      expect(res.status).toBe(202);
      expect(res.body).toEqual({ status: 'sent' });
    }
    expect(t.emulator!.outbox).toHaveLength(0);
    expect(t.events.filter((e) => e.type === 'provider_error')).toHaveLength(0);
    for (const path of ['/', '/auth/magic-link']) {
      expect((await request(t.url).get(path).timeout(CLIENT_TIMEOUT_MS)).status).toBe(200);
    }

    await t.settled();
    const errors = t.events.filter((e) => e.type === 'provider_error');
    expect(errors).toHaveLength(FLOOD);
    expect(new Set(errors.map((e) => e.type === 'provider_error' && e.reason))).toEqual(
      new Set(['ERR_PROVIDER_UNAVAILABLE']),
    );
    expect(t.events.some((e) => e.type === 'sign_in' || e.type === 'link_sent')).toBe(false);

    // Once WorkOS is fast again, the same process signs people in without a restart.
    t.emulator!.reset();
    const agent = request.agent(t.url);
    const sent = await agent
      .post('/auth/magic-link')
      .type('form')
      .send({ email: 'after@example.com' });
    expect(sent.status).toBe(303);
    const outbox = await t.outbox();
    expect(outbox).toHaveLength(1);
    expect(outbox[0]!.to).toBe('after@example.com');
    const location = await fetch(outbox[0]!.link, { redirect: 'manual' }).then((res) =>
      res.headers.get('location')!,
    );
    const landed = await agent.get(new URL(location).pathname + new URL(location).search);
    expect(landed.status).toBe(303);
    expect((await agent.get('/account')).body.email).toBe('after@example.com');
    expect(unhandled).toEqual([]);
  });
});
