import request from 'supertest';
import { createTestApp } from '../helpers/app';
import type { TestApp } from '../helpers/app';
import {
  STACKS,
  cookieValue,
  expectNoStackTrace,
  expectRefused,
  paramsOf,
  requestCallback,
  SESSION_COOKIE,
  sessionCalls,
  tokenCalls,
} from './flow';

const TRY_AGAIN = 'We could not reach the sign-in service. Try again in a moment.';

/**
 * The router's providerTimeoutMs in the timeout tests: short of the default, yet long enough for
 * the same tests' calls to a healthy WorkOS (the link request, the retry) on a busy machine.
 */
const PROVIDER_TIMEOUT_MS = 2_000;
/** Without the option the router waits 10 s (DEFAULT_PROVIDER_TIMEOUT_MS in lib/options.ts). */
const DEFAULT_PROVIDER_TIMEOUT_MS = 10_000;
/** WorkOS holds its answer longer than any test runs: a 503 can only be the router giving up. */
const HUNG_MS = 10 * 60_000;

function expectTryAgainPage(res: request.Response): void {
  expect(res.status).toBe(503);
  expect(res.headers['content-type']).toMatch(/^text\/html/);
  expect(res.text).toContain('Please try again');
  expect(res.text).toContain(TRY_AGAIN);
  expect(cookieValue(res, SESSION_COOKIE)).toBeUndefined();
  expectNoStackTrace(res.text);
}

function providerErrors(t: TestApp): number {
  return t.events.filter(
    (e) => e.type === 'provider_error' && e.reason === 'ERR_PROVIDER_UNAVAILABLE',
  ).length;
}

async function expectAppServing(t: TestApp): Promise<void> {
  const home = await request(t.url).get('/');
  expect(home.status).toBe(200);
  expect(home.text).toBe('home');
}

// The answer to a link request comes before the provider is called (threat model A3), so a
// provider fault cannot change it: the person sees "check your email", no email comes, the
// operator gets a provider_error event, and the failed attempt leaves no usable link behind.
describe.each(STACKS)('Faults when a link is requested (Express $express, SDK $sdk)', (stack) => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp({ ...stack, rateLimit: false });
  });
  afterEach(() => t.close());

  it.each([500, 429, 502])(
    'answers as for a sent link when WorkOS answers %i, reports it, and recovers',
    async (status) => {
      t.emulator!.failNext(1, status);
      const page = await request(t.url)
        .post('/auth/magic-link')
        .type('form')
        .send({ email: 'alice@example.com' });
      expect(page.status).toBe(303);
      expect(page.headers.location).toBe('/auth/magic-link/sent');
      await t.settled();

      t.emulator!.failNext(1, status);
      const json = await request(t.url)
        .post('/auth/magic-link')
        .send({ email: 'alice@example.com' });
      expect(json.status).toBe(202);
      expect(json.body).toEqual({ status: 'sent' });
      expect(await t.outbox()).toHaveLength(0);
      expect(providerErrors(t)).toBe(2);
      expect(t.events.filter((e) => e.type === 'link_sent')).toHaveLength(0);
      await expectAppServing(t);

      const again = await request(t.url)
        .post('/auth/magic-link')
        .send({ email: 'alice@example.com' });
      expect(again.status).toBe(202);
      expect(await t.outbox()).toHaveLength(1);
    },
  );

  it('gives up after providerTimeoutMs, reports it, and other routes keep serving', async () => {
    await t.close();
    t = await createTestApp({
      ...stack,
      rateLimit: false,
      router: { providerTimeoutMs: PROVIDER_TIMEOUT_MS },
    });
    // The emulator never answers in time; the router gives up after providerTimeoutMs, after
    // the visitor was answered (threat model A3).
    t.emulator!.delay(HUNG_MS);
    const started = Date.now();
    const res = await request(t.url).post('/auth/magic-link').send({ email: 'alice@example.com' });
    expect(res.status).toBe(202);
    expect(providerErrors(t)).toBe(0);
    expect((await request(t.url).get('/')).status).toBe(200);
    await t.settled();
    const elapsed = Date.now() - started;
    // Not before the timeout, and by the configured timeout rather than the 10 s default; the
    // slack in between is for a busy machine.
    expect(elapsed).toBeGreaterThanOrEqual(PROVIDER_TIMEOUT_MS - 10);
    expect(elapsed).toBeLessThan(DEFAULT_PROVIDER_TIMEOUT_MS);
    expect(providerErrors(t)).toBe(1);
    expect(t.events.filter((e) => e.type === 'link_sent')).toHaveLength(0);
    expect(t.emulator!.outbox).toHaveLength(0);
  });

  it('reports a refused connection, then recovers', async () => {
    t.emulator!.refuseConnections(true);
    const page = await request(t.url)
      .post('/auth/magic-link')
      .type('form')
      .send({ email: 'alice@example.com' });
    expect(page.status).toBe(303);
    await expectAppServing(t);
    await t.settled();
    expect(providerErrors(t)).toBe(1);
    const event = t.events.find((e) => e.type === 'provider_error');
    expect(event).toMatchObject({ type: 'provider_error', reason: 'ERR_PROVIDER_UNAVAILABLE' });

    t.emulator!.refuseConnections(false);
    const again = await request(t.url)
      .post('/auth/magic-link')
      .send({ email: 'alice@example.com' });
    expect(again.status).toBe(202);
    expect(await t.outbox()).toHaveLength(1);
  });
});

describe.each(STACKS)('Faults at the callback (Express $express, SDK $sdk)', (stack) => {
  let t: TestApp;
  beforeEach(async () => {
    // 'confirm', so a failed confirmation POST can be tested as well.
    t = await createTestApp({ ...stack, rateLimit: false, router: { crossDevice: 'confirm' } });
  });
  afterEach(() => t.close());

  it.each([500, 429])(
    'answers /sso/token %i with 503 and no session; the same link then completes',
    async (status) => {
      const alice = request.agent(t.url);
      const path = await requestCallback(t, alice, 'alice@example.com', '/account');
      t.emulator!.failNext(1, status);
      const failed = await alice.get(path);
      expectTryAgainPage(failed);
      expect(tokenCalls(t)).toBe(1);
      expect((await alice.get('/account').set('Accept', 'application/json')).status).toBe(401);
      await expectAppServing(t);
      expect(providerErrors(t)).toBe(1);

      const retried = await alice.get(path);
      expect(retried.status).toBe(303);
      expect(retried.headers.location).toBe('/account');
      expect((await alice.get('/account')).body.email).toBe('alice@example.com');
    },
  );

  it('restores the pending sign-in after a failed confirmation POST too', async () => {
    const alice = request.agent(t.url);
    const { code, state } = paramsOf(await requestCallback(t, alice));
    const phone = request.agent(t.url);
    t.emulator!.failNext(1, 500);
    const failed = await phone
      .post('/auth/callback')
      .set('Accept', 'application/json')
      .type('form')
      .send({ code, state });
    expect(failed.status).toBe(503);
    expect(failed.body.error).toBe('provider_unavailable');
    expect(cookieValue(failed, SESSION_COOKIE)).toBeUndefined();

    const retried = await phone.post('/auth/callback').type('form').send({ code, state });
    expect(retried.status).toBe(303);
    expect((await phone.get('/account')).status).toBe(200);
  });

  it('answers 503 when WorkOS refuses the connection; the link completes once it is back', async () => {
    const alice = request.agent(t.url);
    const path = await requestCallback(t, alice);
    t.emulator!.refuseConnections(true);
    expectTryAgainPage(await alice.get(path));
    await expectAppServing(t);
    t.emulator!.refuseConnections(false);
    expect((await alice.get(path)).status).toBe(303);
    expect((await alice.get('/account')).status).toBe(200);
  });

  it('answers 503 within the timeout; a code WorkOS spent meanwhile is then refused cleanly', async () => {
    await t.close();
    t = await createTestApp({
      ...stack,
      rateLimit: false,
      router: { providerTimeoutMs: PROVIDER_TIMEOUT_MS },
    });
    const alice = request.agent(t.url);
    const path = await requestCallback(t, alice);
    t.emulator!.delay(HUNG_MS);
    const started = Date.now();
    const [failed, home] = await Promise.all([alice.get(path), request(t.url).get('/')]);
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(PROVIDER_TIMEOUT_MS - 10);
    expect(elapsed).toBeLessThan(DEFAULT_PROVIDER_TIMEOUT_MS);
    expectTryAgainPage(failed);
    expect(home.status).toBe(200);
    expect(providerErrors(t)).toBe(1);

    // The emulator, like a lost answer, spent the code before its reply was dropped. The pending
    // sign-in was restored, but WorkOS now refuses the code: a clear 400 that offers a new link.
    t.emulator!.delay(0);
    const retried = await alice.get(path);
    expectRefused(retried, 400);
    expect(retried.text).toContain('Email me a new link');
  });
});

describe('An expired or used WorkOS link (error=access_denied)', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp();
  });
  afterEach(() => t.close());

  it('shows the expired page with a one-click resend that emails the same address', async () => {
    const alice = request.agent(t.url);
    await requestCallback(t, alice, 'alice@example.com', '/account');
    const link = (await t.outbox())[0]!.link;
    // WorkOS links work once; the second visit redirects with error=access_denied.
    const res = await fetch(link, { redirect: 'manual' });
    await res.body?.cancel();
    const denied = new URL(res.headers.get('location')!);
    expect(denied.searchParams.get('error')).toBe('access_denied');
    const state = denied.searchParams.get('state')!;
    expect(state.length).toBeGreaterThan(20);

    const page = await alice.get(denied.pathname + denied.search);
    expectRefused(page, 400);
    expect(page.text).toContain('This link has expired or was already used');
    expect(page.text).toMatch(/<form method="post" action="\/auth\/magic-link\/resend">/);
    const resendState = /name="state" value="([^"]+)"/.exec(page.text)?.[1];
    expect(resendState).toBe(state);
    expect(tokenCalls(t)).toBe(0);

    const before = await sessionCalls(t);
    const resent = await alice
      .post('/auth/magic-link/resend')
      .set('Origin', t.url)
      .type('form')
      .send({ state: resendState });
    expect(resent.status).toBe(303);
    expect(resent.headers.location).toBe('/auth/magic-link/sent');
    expect(await sessionCalls(t)).toBe(before + 1);
    expect(await t.outbox()).toHaveLength(2);
    const fresh = (await t.outbox())[1]!;
    expect(fresh.to).toBe('alice@example.com');
    expect(fresh.link).not.toBe(link);

    // The fresh link completes, and keeps the original returnTo.
    const callback = await fetch(fresh.link, { redirect: 'manual' });
    await callback.body?.cancel();
    const next = new URL(callback.headers.get('location')!);
    const landed = await alice.get(next.pathname + next.search);
    expect(landed.status).toBe(303);
    expect(landed.headers.location).toBe('/account');
  });

  it('offers no resend for error=access_denied with a forged state', async () => {
    const page = await request(t.url).get('/auth/callback?error=access_denied&state=forged');
    expectRefused(page, 400);
    expect(page.text).not.toContain('/auth/magic-link/resend');
    expect(page.text).toContain('href="/auth/magic-link"');
    const resent = await request(t.url)
      .post('/auth/magic-link/resend')
      .type('form')
      .send({ state: 'forged' });
    expectRefused(resent, 400);
    expect(await sessionCalls(t)).toBe(0);
  });
});
