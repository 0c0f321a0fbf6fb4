import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import request from 'supertest';
import {
  magicLinkRouter,
  memoryStore,
  sealedCookieSession,
  selfHostedProvider,
} from '../../lib/index';
import type { MagicLinkProfile, SealedCookieSession, Store } from '../../lib/index';
import { createTestApp, TEST_SECRET } from '../helpers/app';
import type { TestApp } from '../helpers/app';
import { cookieValue, expressApp, requestCallback, setCookies, signIn } from '../security/flow';

const SESSION_SECRET = 'sealed-router-session-secret-0123456789abc';
const COOKIE = 'mlsession';

async function appWith(
  adapter: SealedCookieSession,
  extra: { store?: Store; onSignIn?: (p: MagicLinkProfile) => Express.User } = {},
): Promise<TestApp> {
  const t = await createTestApp({
    expressSession: false,
    rateLimit: false,
    ...(extra.store ? { store: extra.store } : {}),
    router: { session: adapter, ...(extra.onSignIn ? { onSignIn: extra.onSignIn } : {}) },
  });
  expressApp(t).post('/admin/sign-out-everywhere', (req, res, next) => {
    adapter.signOutEverywhere(req.user!.id).then(() => res.json({ ok: true }), next);
  });
  return t;
}

describe('sealedCookieSession through the real router, over HTTP', () => {
  let t: TestApp;
  let adapter: SealedCookieSession;
  beforeEach(async () => {
    adapter = sealedCookieSession({ secret: SESSION_SECRET });
    t = await appWith(adapter);
  });
  afterEach(() => t.close());

  it('signs in with no express-session: one sealed cookie, then /account works', async () => {
    const agent = request.agent(t.url);
    const before = await agent.get('/account');
    expect(before.status).toBe(303);
    const callback = await requestCallback(t, agent);
    const landed = await agent.get(callback);
    expect(landed.status).toBe(303);
    const line = setCookies(landed).find((l) => l.startsWith(`${COOKIE}=`));
    expect(line).toMatch(/; Path=\/; HttpOnly; SameSite=Lax; Max-Age=86400$/);
    expect(setCookies(landed).some((l) => l.startsWith('sid='))).toBe(false);
    const account = await agent.get('/account');
    expect(account.status).toBe(200);
    expect(account.body.email).toBe('alice@example.com');
    expect(t.events.some((e) => e.type === 'sign_in')).toBe(true);
  });

  it('sign-out makes a copied cookie worthless at once', async () => {
    const agent = request.agent(t.url);
    const callback = await requestCallback(t, agent);
    const stolen = cookieValue(await agent.get(callback), COOKIE)!;
    expect(stolen).toBeDefined();
    const copy = () => request(t.url).get('/account').set('Cookie', `${COOKIE}=${stolen}`);
    expect((await copy()).status).toBe(200);
    const out = await agent.post('/auth/logout');
    expect(out.status).toBe(303);
    expect(setCookies(out)).toContain(
      `${COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT`,
    );
    expect((await agent.get('/account')).status).toBe(303);
    const replay = await copy();
    expect(replay.status).toBe(303);
    expect(replay.headers.location).toMatch(/^\/auth\/magic-link\?returnTo=/);
  });

  it("signOutEverywhere ends a user's sessions in every browser", async () => {
    const laptop = request.agent(t.url);
    const phone = request.agent(t.url);
    await signIn(t, laptop);
    await signIn(t, phone);
    const bob = request.agent(t.url);
    await signIn(t, bob, 'bob@example.com');
    expect((await phone.post('/admin/sign-out-everywhere')).status).toBe(200);
    expect((await laptop.get('/account')).status).toBe(303);
    expect((await phone.get('/account')).status).toBe(303);
    expect((await bob.get('/account')).status).toBe(200);
  });

  it('loads req.user in the same tick on memoryStore: the fast path', async () => {
    const agent = request.agent(t.url);
    const value = cookieValue(await agent.get(await requestCallback(t, agent)), COOKIE)!;
    expect(value).toBeDefined();
    // The same adapter in a second router on the same store, called by hand.
    const router = magicLinkRouter({
      provider: selfHostedProvider(),
      delivery: async () => undefined,
      secret: TEST_SECRET,
      origin: t.url,
      store: t.store,
      session: adapter,
    });
    const req = new IncomingMessage(new Socket());
    req.url = '/somewhere';
    req.method = 'GET';
    req.headers.cookie = `${COOKIE}=${value}`;
    let calledInline = false;
    router(req, new ServerResponse(req), () => {
      calledInline = true;
    });
    expect(calledInline).toBe(true);
    expect((req as unknown as { user?: MagicLinkProfile }).user?.email).toBe('alice@example.com');
  });
});

describe('sealedCookieSession through the router: failures', () => {
  it('a user too large for a cookie answers 503, sets no session, and the event names the fix', async () => {
    const adapter = sealedCookieSession({ secret: SESSION_SECRET });
    const t = await appWith(adapter, {
      onSignIn: (p) => ({ ...p, rawAttributes: { groups: 'g'.repeat(5000) } }),
    });
    try {
      const agent = request.agent(t.url);
      const landed = await agent.get(await requestCallback(t, agent));
      expect(landed.status).toBe(503);
      expect(cookieValue(landed, COOKIE)).toBeUndefined();
      const event = t.events.find((e) => e.type === 'provider_error');
      expect(event).toMatchObject({ type: 'provider_error', reason: 'ERR_SESSION_FAILED' });
      expect(String((event as { error: Error }).error.message)).toContain(
        'onSignIn: (p) => ({ id: p.id, email: p.email })',
      );
      expect((await agent.get('/account')).status).toBe(303);
    } finally {
      await t.close();
    }
  });

  it('the same user trimmed by onSignIn signs in', async () => {
    const adapter = sealedCookieSession({ secret: SESSION_SECRET });
    const t = await appWith(adapter, {
      onSignIn: (p) => ({ id: p.id, email: p.email }),
    });
    try {
      const agent = request.agent(t.url);
      await signIn(t, agent);
      const account = await agent.get('/account');
      expect(account.status).toBe(200);
      expect(account.body).toEqual({ email: 'alice@example.com', id: expect.any(String) });
    } finally {
      await t.close();
    }
  });

  it('a store that fails on the revocation check: signed out (not 500), with an event', async () => {
    const inner = memoryStore();
    let broken = false;
    const store: Store = {
      get: (k) =>
        broken && k.startsWith('session:') ? Promise.reject(new Error('down')) : inner.get(k),
      set: (k, v, ttl) => inner.set(k, v, ttl),
      take: (k) => inner.take(k),
      increment: (k, ttl) => inner.increment(k, ttl),
      delete: (k) => inner.delete(k),
    };
    const adapter = sealedCookieSession({ secret: SESSION_SECRET });
    const t = await appWith(adapter, { store });
    try {
      const agent = request.agent(t.url);
      await signIn(t, agent);
      expect((await agent.get('/account')).status).toBe(200);
      broken = true;
      t.events.length = 0;
      const during = await agent.get('/account');
      expect(during.status).toBe(303);
      expect(t.events).toEqual([
        expect.objectContaining({ type: 'provider_error', reason: 'ERR_SESSION_FAILED' }),
      ]);
      broken = false;
      expect((await agent.get('/account')).status).toBe(200);
    } finally {
      await t.close();
    }
  });
});

describe('sealedCookieSession with an https router', () => {
  it('names the cookie __Host-mlsession and marks it Secure', async () => {
    const adapter = sealedCookieSession({ secret: SESSION_SECRET });
    magicLinkRouter({
      provider: selfHostedProvider(),
      delivery: async () => undefined,
      secret: TEST_SECRET,
      origin: 'https://app.example.test',
      session: adapter,
    });
    expect(adapter.cookieName).toBe('__Host-mlsession');
    const req = new IncomingMessage(new Socket());
    const res = new ServerResponse(req);
    await adapter.signIn(req, res, { id: 'user_1' });
    const [line] = res.getHeader('Set-Cookie') as string[];
    expect(line).toMatch(
      /^__Host-mlsession=[A-Za-z0-9_-]+; Path=\/; HttpOnly; SameSite=Lax; Max-Age=86400; Secure$/,
    );
  });
});
