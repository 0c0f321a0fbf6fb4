import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import request from 'supertest';
import { memoryStore, sealedCookieSession } from '../../lib/index';
import type { MagicLinkProfile, SealedCookieSession } from '../../lib/index';
import { createTestApp, pathOf } from '../helpers/app';
import type { TestApp } from '../helpers/app';
import { askForLink, nextEmail } from '../helpers/sign-in';
import { cookieValue, expressApp } from '../security/flow';

/**
 * Hardening round 2, G03: a sealed session cookie opens only in the app that issued it. The
 * origin and the cookie's name are sealed in, so an app sharing the secret (staging, a sibling
 * app) cannot mint cookies that open here.
 */

const SHARED_SECRET = 'one-session-secret-for-two-apps-0123456789';
const COOKIE = 'mlsession';

const profile = (id: string): MagicLinkProfile =>
  ({ id, email: `${id}@example.test` }) as MagicLinkProfile;

function requestWith(cookie?: string): IncomingMessage {
  const req = new IncomingMessage(new Socket());
  if (cookie !== undefined) req.headers.cookie = cookie;
  return req;
}

/** Signs `user` in through `adapter` alone and returns the cookie's value. */
async function issue(adapter: SealedCookieSession, user: MagicLinkProfile): Promise<string> {
  const res = new ServerResponse(requestWith());
  await adapter.signIn(requestWith(), res, user);
  const line = (res.getHeader('Set-Cookie') as string[])[0]!;
  return line.slice(line.indexOf('=') + 1, line.indexOf(';'));
}

function adapterAt(origin: string, cookieName?: string): SealedCookieSession {
  const adapter = sealedCookieSession({
    secret: SHARED_SECRET,
    ...(cookieName === undefined ? {} : { cookieName }),
  });
  adapter.init!({ store: memoryStore(), secure: false, origin, report: () => undefined });
  return adapter;
}

describe('G03: a sealed cookie opens only in the app that issued it', () => {
  const apps: TestApp[] = [];
  afterEach(async () => {
    for (const app of apps.splice(0)) await app.close();
  });

  async function app(): Promise<TestApp> {
    const t = await createTestApp({
      provider: 'self-hosted',
      expressSession: false,
      rateLimit: false,
      router: { session: sealedCookieSession({ secret: SHARED_SECRET }) },
    });
    apps.push(t);
    return t;
  }

  it("production refuses a cookie staging issued with the same secret, on the app's own routes", async () => {
    // Two apps, one secret, the same store contents (each has its own memory store, and a fresh
    // session is not revoked in either): only the origin differs.
    const production = await app();
    const staging = await app();
    const attacker = request.agent(staging.url);
    const landed = await attacker.get(await signInPath(staging, attacker, 'mallory@example.com'));
    const cookie = cookieValue(landed, COOKIE)!;
    expect(cookie).toBeDefined();
    const atStaging = await request(staging.url)
      .get('/account')
      .set('Cookie', `${COOKIE}=${cookie}`);
    expect(atStaging.status).toBe(200);

    const atProduction = await request(production.url)
      .get('/account')
      .set('Cookie', `${COOKIE}=${cookie}`);
    expect(atProduction.status).toBe(303);
    expect(atProduction.headers.location).toMatch(/^\/auth\/magic-link\?returnTo=/);
    // And production's own sign-in still works.
    const alice = request.agent(production.url);
    await signInSelfHosted(production, alice);
    expect((await alice.get('/account')).status).toBe(200);
  });

  it('another origin with the same secret and name: refused; the same origin: opens', async () => {
    const cookie = await issue(adapterAt('https://staging.example.com'), profile('u1'));
    const production = adapterAt('https://app.example.com');
    expect(production.getUser(requestWith(`${COOKIE}=${cookie}`))).toBeNull();
    const again = adapterAt('https://staging.example.com');
    expect(again.getUser(requestWith(`${COOKIE}=${cookie}`))).toMatchObject({ id: 'u1' });
  });

  it('a cookie issued under another cookie name is refused under this one', async () => {
    const origin = 'https://app.example.com';
    const cookie = await issue(adapterAt(origin, 'admin'), profile('u2'));
    const app = adapterAt(origin);
    expect(app.getUser(requestWith(`${COOKIE}=${cookie}`))).toBeNull();
    expect(adapterAt(origin, 'admin').getUser(requestWith(`admin=${cookie}`))).toMatchObject({
      id: 'u2',
    });
  });

  it('standalone, the origin option does the same; a router with another origin is refused', () => {
    const adapter = sealedCookieSession({
      secret: SHARED_SECRET,
      store: memoryStore(),
      origin: 'https://app.example.com',
    });
    expect(adapter.cookieName).toBe('__Host-mlsession');
    expect(() =>
      adapter.init!({
        store: memoryStore(),
        secure: true,
        origin: 'https://staging.example.com',
        report: () => undefined,
      }),
    ).toThrow(
      /origin is https:\/\/app\.example\.com, but the router's origin is https:\/\/staging/,
    );
    expect(() =>
      sealedCookieSession({ secret: SHARED_SECRET, origin: 'https://a.example/x' }),
    ).toThrow(/sealedCookieSession: origin must be a bare http\(s\) origin/);
    const noOrigin = sealedCookieSession({ secret: SHARED_SECRET, store: memoryStore() });
    expect(() => noOrigin.getUser(requestWith())).toThrow(/no origin\. .*\{ store, origin \}/);
  });
});

describe('a response that reseals the session cookie stays private', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp({
      provider: 'self-hosted',
      expressSession: false,
      rateLimit: false,
      // Reseal on every request, so each app answer below carries a new cookie.
      router: { session: sealedCookieSession({ secret: SHARED_SECRET, refreshAfter: 0 }) },
    });
    const app = expressApp(t);
    app.get('/public', (_req, res) => {
      res.set('Cache-Control', 'public, max-age=3600, s-maxage=86400').send('cacheable');
    });
    app.get('/head-public', (_req, res) => {
      res.writeHead(200, { 'Cache-Control': 'public, max-age=60', 'Content-Type': 'text/plain' });
      res.end('x');
    });
    app.get('/no-store', (_req, res) => {
      res.set('Cache-Control', 'no-store').send('x');
    });
    app.get('/plain', (_req, res) => {
      res.send('x');
    });
  });
  afterEach(() => t.close());

  it.each([
    ['/public', 'private, max-age=3600'],
    ['/head-public', 'private, max-age=60'],
    ['/no-store', 'no-store'],
    ['/plain', 'private'],
  ])('%s: Cache-Control %s alongside the new cookie', async (path, expected) => {
    const agent = request.agent(t.url);
    await signInSelfHosted(t, agent);
    const res = await agent.get(path);
    expect(res.status).toBe(200);
    expect(cookieValue(res, COOKIE)).toBeDefined();
    expect(res.headers['cache-control']).toBe(expected);
  });

  it('an answer without a signed-in cookie is left as the app made it', async () => {
    const res = await request(t.url).get('/public');
    expect(res.headers['cache-control']).toBe('public, max-age=3600, s-maxage=86400');
  });
});

/** The callback path of a self-hosted link asked for by `agent`. */
async function signInPath(t: TestApp, agent: request.Agent, email: string): Promise<string> {
  await askForLink(agent, email);
  return pathOf((await nextEmail(t, email)).link);
}

async function signInSelfHosted(t: TestApp, agent: request.Agent): Promise<void> {
  const landed = await agent.get(await signInPath(t, agent, 'alice@example.com'));
  expect(landed.status).toBe(303);
}
