import request from 'supertest';
import { expressSessionAdapter, memoryStore, sealedCookieSession } from '../../lib/index';
import type { MagicLinkEvent, MagicLinkOptions, SessionAdapter, Store } from '../../lib/index';
import { createTestApp, pathOf } from '../helpers/app';
import type { TestApp } from '../helpers/app';
import { askForLink, nextEmail } from '../helpers/sign-in';
import { expectNoStackTrace } from './flow';

/**
 * Hardening round 2, G05 and "no stack trace, in any NODE_ENV": what the app plugs in (onSignIn,
 * a session adapter, a store) may return nonsense or throw. The package answers with its own
 * page and an event, never with Express's error page, and never sets a session it cannot report.
 */

const SESSION_SECRET = 'app-callbacks-session-secret-0123456789abcdef';
const SESSIONS = ['express-session', 'sealedCookieSession'] as const;
type SessionKind = (typeof SESSIONS)[number];
const COOKIES = { 'express-session': 'sid=', sealedCookieSession: 'mlsession=' } as const;
const GENERIC = 'Sign-in is temporarily unavailable. Try again in a moment.';

let seq = 0;
const address = () => `callbacks-${process.pid}-${++seq}@example.com`;

async function appWith(kind: SessionKind, router: Partial<MagicLinkOptions>, store?: Store) {
  return createTestApp({
    provider: 'self-hosted',
    rateLimit: false,
    expressSession: kind === 'express-session',
    ...(store ? { store } : {}),
    router: {
      ...(kind === 'sealedCookieSession'
        ? { session: sealedCookieSession({ secret: SESSION_SECRET }) }
        : {}),
      ...router,
    },
  });
}

/** Asks for a link as a new browser and opens it there: the sign-in's answer. */
async function clickLink(t: TestApp, json = false) {
  const agent = request.agent(t.url);
  const email = address();
  await askForLink(agent, email);
  const path = pathOf((await nextEmail(t, email)).link);
  const landed = await agent.get(path).set('Accept', json ? 'application/json' : 'text/html');
  return { agent, landed };
}

function setsSession(res: request.Response, kind: SessionKind): boolean {
  const lines = (res.headers['set-cookie'] as string[] | undefined) ?? [];
  return lines.some((line) => line.startsWith(COOKIES[kind]) && !line.includes('Max-Age=0'));
}

async function signedIn(agent: request.Agent): Promise<boolean> {
  return (await agent.get('/account').set('Accept', 'application/json')).status === 200;
}

const eventsOf = <T extends MagicLinkEvent['type']>(t: TestApp, type: T) =>
  t.events.filter((e): e is Extract<MagicLinkEvent, { type: T }> => e.type === type);

describe.each(SESSIONS)('G05: what onSignIn returns is checked before the session (%s)', (kind) => {
  let t: TestApp;
  afterEach(() => t.close());

  it('({ id }) is enough: signed in, sign_in emitted, no crash without an email', async () => {
    t = await appWith(kind, { onSignIn: (p) => ({ id: p.id }) as Express.User });
    const { agent, landed } = await clickLink(t);
    expect(landed.status).toBe(303);
    expect(landed.headers.location).toBe('/account');
    expect(setsSession(landed, kind)).toBe(true);
    expect(await signedIn(agent)).toBe(true);
    const [event] = eventsOf(t, 'sign_in');
    expect(event).toMatchObject({ method: 'link', email: expect.stringMatching(/^c•••@/) });
    expect(event!.userId).toMatch(/^user_/);
  });

  it.each<[string, unknown]>([
    ['null', null],
    ['undefined', undefined],
    ['a string', 'user_1'],
    ['a number', 42],
    ['an object without an id', { email: 'x@example.com' }],
    ['an object with a number id', { id: 42 }],
    ['an object with an empty id', { id: '' }],
    ['an array', ['user_1']],
    ['true', true],
  ])(
    '%s fails the sign-in: the package page, no session, an event naming the fix',
    async (_l, value) => {
      t = await appWith(kind, { onSignIn: () => value as Express.User });
      const { agent, landed } = await clickLink(t);
      expect(landed.status).toBe(500);
      expect(landed.headers['content-type']).toMatch(/^text\/html/);
      expect(landed.text).toContain(GENERIC);
      expectNoStackTrace(landed.text);
      expect(setsSession(landed, kind)).toBe(false);
      expect(await signedIn(agent)).toBe(false);
      expect(eventsOf(t, 'sign_in')).toEqual([]);
      const [failure] = eventsOf(t, 'provider_error');
      expect(failure).toMatchObject({ reason: 'ERR_INTERNAL' });
      expect(String((failure!.error as Error).message)).toMatch(
        /onSignIn must return .*non-empty string id.*or false/,
      );
      // The event names the kind of value, never the value (it may hold an address).
      expect(String((failure!.error as Error).message)).not.toContain('x@example.com');
    },
  );

  it('JSON clients get the JSON error', async () => {
    t = await appWith(kind, { onSignIn: () => null as unknown as Express.User });
    const { landed } = await clickLink(t, true);
    expect(landed.status).toBe(500);
    expect(landed.body).toEqual({ error: 'internal', message: GENERIC });
  });
});

describe.each(['development', 'production'])(
  'No stack trace reaches a client (NODE_ENV=%s)',
  (env) => {
    const before = process.env.NODE_ENV;
    let t: TestApp;
    beforeAll(() => {
      process.env.NODE_ENV = env;
    });
    afterAll(() => {
      process.env.NODE_ENV = before;
    });
    afterEach(() => t.close());

    async function expectPackagePage(res: request.Response, status: number, kind?: SessionKind) {
      expect(res.status).toBe(status);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expectNoStackTrace(res.text);
      expect(res.text).not.toContain('boom');
      if (kind) expect(setsSession(res, kind)).toBe(false);
    }

    it.each(SESSIONS)('onSignIn throws (%s): the generic page, 500', async (kind) => {
      t = await appWith(kind, {
        onSignIn: () => {
          throw new Error('boom at /srv/app/sign-in.js:12:3');
        },
      });
      const { agent, landed } = await clickLink(t);
      await expectPackagePage(landed, 500, kind);
      expect(landed.text).toContain(GENERIC);
      expect(await signedIn(agent)).toBe(false);
      expect(eventsOf(t, 'provider_error')).toMatchObject([{ reason: 'ERR_INTERNAL' }]);
    });

    it.each([
      ['an Error', () => new Error('boom: redis at /var/run/redis.sock'), 503],
      ['a TypeError', () => new TypeError('boom: misconfigured'), 500],
    ])(
      'a session adapter whose signIn throws %s: the package page, %i',
      async (_l, error, status) => {
        const inner = expressSessionAdapter();
        const adapter: SessionAdapter = {
          getUser: (req, res) => inner.getUser(req, res),
          signIn: async () => {
            throw error();
          },
          signOut: (req, res) => inner.signOut(req, res),
        };
        t = await appWith('express-session', { session: adapter });
        const { agent, landed } = await clickLink(t);
        await expectPackagePage(landed, status, 'express-session');
        expect(await signedIn(agent)).toBe(false);
        expect(eventsOf(t, 'sign_in')).toEqual([]);
      },
    );

    it("a session adapter whose getUser throws: the package's routes answer with its page", async () => {
      const adapter: SessionAdapter = {
        getUser: () => {
          throw new Error('boom in getUser');
        },
        signIn: async () => undefined,
        signOut: async () => undefined,
      };
      t = await appWith('express-session', { session: adapter });
      await expectPackagePage(await request(t.url).get('/auth/magic-link'), 503);
      const asyncAdapter = { ...adapter, getUser: () => Promise.reject(new Error('boom async')) };
      await t.close();
      t = await appWith('express-session', { session: asyncAdapter });
      await expectPackagePage(await request(t.url).get('/auth/magic-link/sent'), 503);
    });

    it('a store that throws a plain Error: 503, the package page', async () => {
      const inner = memoryStore();
      let broken = false;
      const store: Store = {
        get: (k) => (broken ? Promise.reject(new Error('boom ECONNREFUSED /tmp/s')) : inner.get(k)),
        set: (k, v, ttl) => inner.set(k, v, ttl),
        take: (k) => (broken ? Promise.reject(new Error('boom take')) : inner.take(k)),
        increment: (k, ttl) => inner.increment(k, ttl),
        delete: (k) => inner.delete(k),
      };
      t = await appWith('express-session', {}, store);
      const agent = request.agent(t.url);
      const email = address();
      await askForLink(agent, email);
      const path = pathOf((await nextEmail(t, email)).link);
      broken = true;
      await expectPackagePage(await agent.get(path), 503, 'express-session');
    });

    it('a custom sign-in page that throws: the generic page, 500', async () => {
      t = await appWith('express-session', {
        signInPage: () => {
          throw new Error('boom in the template');
        },
      });
      const res = await request(t.url).get('/auth/magic-link');
      await expectPackagePage(res, 500);
      expect(res.text).toContain(GENERIC);
    });
  },
);
