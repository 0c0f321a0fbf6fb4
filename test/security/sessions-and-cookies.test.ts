import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import session from 'express-session';
import request from 'supertest';
import { WorkOS } from '@workos-inc/node';
import { magicLinkRouter, requireUser, workosProvider } from '../../lib/index';
import type { MagicLinkProfile, MagicLinkRouter, WorkOSClientLike } from '../../lib/index';
import { serializeCookie } from '../../lib/http';
import { startWorkOSEmulator } from '../../lib/testing/workos-emulator';
import type { WorkOSEmulator } from '../../lib/testing/workos-emulator';
import { createTestApp, follow, pathOf, TEST_SECRET } from '../helpers/app';
import type { TestApp } from '../helpers/app';
import {
  STACKS,
  cookieLine,
  cookieValue,
  expressApp,
  requestCallback,
  SESSION_COOKIE,
  setCookies,
  signIn,
} from './flow';

/** express-session's `s:<id>.<signature>` cookie value, reduced to the id. */
function sessionId(cookie: string): string {
  const decoded = decodeURIComponent(cookie);
  expect(decoded).toMatch(/^s:[^.]+\.[^.]+$/);
  return decoded.slice(2, decoded.lastIndexOf('.'));
}

describe.each(STACKS)('S5: session fixation (Express $express, SDK $sdk)', (stack) => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp({ ...stack, rateLimit: false });
    expressApp(t).get('/plant', (req, res) => {
      (req.session as unknown as Record<string, unknown>).planted = true;
      res.send('planted');
    });
  });
  afterEach(() => t.close());

  async function signInWith(planted: string): Promise<string> {
    const cookie = `${SESSION_COOKIE}=${planted}`;
    const asked = await request(t.url)
      .post('/auth/magic-link')
      .set('Cookie', cookie)
      .type('form')
      .send({ email: 'victim@example.com' });
    expect(asked.status).toBe(303);
    const nonce = cookieValue(asked, 'mlink')!;
    const callback = pathOf(await follow((await t.outbox()).at(-1)!.link));
    const landed = await request(t.url).get(callback).set('Cookie', `${cookie}; mlink=${nonce}`);
    expect(landed.status).toBe(303);
    const issued = cookieValue(landed, SESSION_COOKIE);
    expect(issued).toBeDefined();
    return issued!;
  }

  async function accountWith(sid: string): Promise<request.Response> {
    return request(t.url)
      .get('/account')
      .set('Cookie', `${SESSION_COOKIE}=${sid}`)
      .set('Accept', 'application/json');
  }

  it('issues a new id over an anonymous session the attacker planted', async () => {
    const planted = cookieValue(await request(t.url).get('/plant'), SESSION_COOKIE)!;
    expect(planted).toBeDefined();
    const issued = await signInWith(planted);
    expect(sessionId(issued)).not.toBe(sessionId(planted));
    expect((await accountWith(issued)).body.email).toBe('victim@example.com');
    expect((await accountWith(planted)).status).toBe(401);
  });

  it("issues a new id over the attacker's own signed-in session", async () => {
    const mallory = request.agent(t.url);
    const landed = await mallory.get(await requestCallback(t, mallory, 'mallory@example.com'));
    const planted = cookieValue(landed, SESSION_COOKIE)!;
    expect((await accountWith(planted)).body.email).toBe('mallory@example.com');

    const issued = await signInWith(planted);
    expect(sessionId(issued)).not.toBe(sessionId(planted));
    expect((await accountWith(issued)).body.email).toBe('victim@example.com');
    // regenerate() destroyed the planted session: it is signed in as no one.
    expect((await accountWith(planted)).status).toBe(401);
  });
});

describe('C1: cookies on an http origin', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp();
  });
  afterEach(() => t.close());

  it('sets mlink HttpOnly, SameSite=Lax, Path=/, with a Max-Age, and clears it at sign-in', async () => {
    const alice = request.agent(t.url);
    const asked = await alice
      .post('/auth/magic-link')
      .type('form')
      .send({ email: 'alice@example.com' });
    const set = cookieLine(asked, 'mlink')!;
    expect(set).toMatch(/^mlink=[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{22}; /);
    expect(set.split('; ').slice(1).sort()).toEqual(
      ['HttpOnly', 'Max-Age=1500', 'Path=/', 'SameSite=Lax'].sort(),
    );

    const landed = await alice.get(pathOf(await follow((await t.outbox())[0]!.link)));
    expect(landed.status).toBe(303);
    const cleared = cookieLine(landed, 'mlink')!;
    expect(cleared).toMatch(/^mlink=; /);
    expect(cleared).toContain('; Max-Age=0');
    expect(cleared).toContain('; Expires=Thu, 01 Jan 1970 00:00:00 GMT');
    expect(cleared).toContain('; HttpOnly');
    expect(cleared).toContain('; SameSite=Lax');
    expect(cleared).toContain('; Path=/');
  });

  it('gives every cookie it sets, through sign-out, the same attributes', async () => {
    const alice = request.agent(t.url);
    const lines: string[] = [];
    const asked = await alice
      .post('/auth/magic-link')
      .type('form')
      .send({ email: 'alice@example.com' });
    lines.push(...setCookies(asked));
    const landed = await alice.get(pathOf(await follow((await t.outbox())[0]!.link)));
    lines.push(...setCookies(landed));
    lines.push(...setCookies(await alice.post('/auth/logout')));
    const ours = lines.filter((line) => !line.startsWith(`${SESSION_COOKIE}=`));
    expect(ours.length).toBeGreaterThanOrEqual(3);
    for (const line of ours) {
      expect(line).toContain('; HttpOnly');
      expect(line).toContain('; SameSite=Lax');
      expect(line).toContain('; Path=/');
      expect(line).toMatch(/; Max-Age=\d+/);
      expect(line).not.toMatch(/; Domain=/i);
    }
  });
});

describe('C1: cookies on an https origin', () => {
  const origin = 'https://app.example.com';
  let router: MagicLinkRouter;
  let emulator: WorkOSEmulator;
  let server: Server;
  let url: string;

  beforeEach(async () => {
    emulator = await startWorkOSEmulator({ defaultRedirectUri: `${origin}/auth/callback` });
    const workos = new WorkOS(emulator.apiKey, {
      ...emulator.sdkOptions(),
      maxRetries: 0,
    }) as unknown as WorkOSClientLike;
    const app = express();
    app.use(session({ secret: TEST_SECRET, resave: false, saveUninitialized: false, name: 'sid' }));
    router = magicLinkRouter({
      provider: workosProvider({ workos, clientId: emulator.clientId }),
      secret: TEST_SECRET,
      origin,
      dangerouslyDisableRateLimit: true,
      crossDevice: 'confirm',
    });
    app.use(router);
    app.get('/account', requireUser(), (req, res) => {
      res.json({ email: (req.user as MagicLinkProfile).email });
    });
    server = createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterEach(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await emulator.close();
  });

  async function pending(): Promise<{ nonce: string; line: string; callback: string }> {
    // No Origin header: a same-origin form POST from a browser that sends none.
    const asked = await request(url)
      .post('/auth/magic-link')
      .type('form')
      .send({ email: 'alice@example.com' });
    expect(asked.status).toBe(303);
    expect(cookieValue(asked, 'mlink')).toBeUndefined();
    const line = cookieLine(asked, '__Host-mlink')!;
    await router.drain();
    const location = await follow(emulator.outbox.at(-1)!.link);
    expect(location.startsWith(`${origin}/auth/callback?`)).toBe(true);
    return { nonce: cookieValue(asked, '__Host-mlink')!, line, callback: pathOf(location) };
  }

  it('names the pending cookie __Host-mlink, Secure, with no Domain', async () => {
    const { line } = await pending();
    expect(line.split('; ').slice(1).sort()).toEqual(
      ['HttpOnly', 'Max-Age=1500', 'Path=/', 'SameSite=Lax', 'Secure'].sort(),
    );
  });

  it('completes with __Host-mlink and clears it with the same prefix and Secure', async () => {
    const { nonce, callback } = await pending();
    const landed = await request(url).get(callback).set('Cookie', `__Host-mlink=${nonce}`);
    expect(landed.status).toBe(303);
    const cleared = cookieLine(landed, '__Host-mlink')!;
    expect(cleared).toMatch(/^__Host-mlink=; /);
    expect(cleared).toContain('; Max-Age=0');
    expect(cleared).toContain('; Secure');
    expect(cleared).toContain('; HttpOnly');
  });

  it('ignores an unprefixed mlink cookie (which a sibling subdomain could plant)', async () => {
    const { nonce, callback } = await pending();
    const res = await request(url).get(callback).set('Cookie', `mlink=${nonce}`);
    expect(res.status).toBe(200);
    expect(res.text).toContain('Continue signing in');
    expect(cookieValue(res, 'sid')).toBeUndefined();
  });

  it('serializes cookies with exactly these attributes', () => {
    expect(serializeCookie('__Host-mlink', 'v', { maxAgeSeconds: 90.7, secure: true })).toBe(
      '__Host-mlink=v; Path=/; HttpOnly; SameSite=Lax; Max-Age=90; Secure',
    );
    expect(serializeCookie('mlink', '', { maxAgeSeconds: 0, secure: false })).toBe(
      'mlink=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT',
    );
  });
});

describe.each(STACKS)('C2, C3: signing out (Express $express, SDK $sdk)', (stack) => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp(stack);
  });
  afterEach(() => t.close());

  it('C2: answers GET and HEAD /auth/logout with 405 and keeps the user signed in', async () => {
    const alice = request.agent(t.url);
    await signIn(t, alice);
    for (const res of [await alice.get('/auth/logout'), await alice.head('/auth/logout')]) {
      expect(res.status).toBe(405);
      expect(res.headers.allow).toBe('POST');
      expect(res.headers['cache-control']).toBe('no-store');
    }
    expect((await alice.get('/account')).status).toBe(200);
    expect(t.events.map((e) => e.type)).not.toContain('sign_out');
  });

  it('C3: refuses the old session cookie after sign-out', async () => {
    const alice = request.agent(t.url);
    const landed = await alice.get(await requestCallback(t, alice));
    const old = `${SESSION_COOKIE}=${cookieValue(landed, SESSION_COOKIE)!}`;
    expect((await request(t.url).get('/account').set('Cookie', old)).status).toBe(200);

    const out = await alice.post('/auth/logout');
    expect(out.status).toBe(303);
    expect(out.headers.location).toBe('/');

    const json = await request(t.url)
      .get('/account')
      .set('Cookie', old)
      .set('Accept', 'application/json');
    expect(json.status).toBe(401);
    expect(json.body).toEqual({ error: 'unauthenticated' });
    const page = await request(t.url).get('/account').set('Cookie', old).set('Accept', 'text/html');
    expect(page.status).toBe(303);
    expect(page.headers.location).toBe('/auth/magic-link?returnTo=%2Faccount');
  });
});
