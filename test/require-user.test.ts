import { createServer, request as httpRequest } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express5 from 'express';
import type { ErrorRequestHandler, Express, RequestHandler } from 'express';
import session from 'express-session';
import request from 'supertest';
import { WorkOS } from '@workos-inc/node';
import { magicLinkRouter, requireUser, workosProvider } from '../lib/index';
import type {
  MagicLinkOptions,
  MagicLinkProfile,
  SessionAdapter,
  WorkOSClientLike,
} from '../lib/index';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const express4 = require('express4') as typeof express5;

const SECRET = 'require-user-test-secret-0123456789abcdef';
const ORIGIN = 'https://app.example.com';

/** Signed in as whoever the `x-test-user` header names; no cookies needed. */
const headerSession: SessionAdapter = {
  async getUser(req) {
    const email = req.headers['x-test-user'];
    return typeof email === 'string'
      ? {
          id: `user_${email}`,
          idpId: email,
          organizationId: null,
          connectionId: 'conn_test',
          connectionType: 'MagicLink',
          email,
          firstName: null,
          lastName: null,
          rawAttributes: {},
        }
      : null;
  },
  async signIn() {},
  async signOut() {},
};

function routerOptions(extra: Partial<MagicLinkOptions> = {}): MagicLinkOptions {
  const workos = new WorkOS('sk_test_require_user', {
    clientId: 'client_require_user',
  }) as unknown as WorkOSClientLike;
  return {
    provider: workosProvider({ workos, clientId: 'client_require_user' }),
    secret: SECRET,
    origin: ORIGIN,
    session: headerSession,
    ...extra,
  };
}

interface Harness {
  url: string;
  errors: unknown[];
  close(): Promise<void>;
}

async function start(express: typeof express5, build: (app: Express) => void): Promise<Harness> {
  const errors: unknown[] = [];
  const app = express();
  build(app);
  const onError: ErrorRequestHandler = (err, _req, res, next) => {
    errors.push(err);
    if (res.headersSent) return next(err);
    res.status(500).json({ error: 'misconfigured' });
  };
  app.use(onError);
  const server: Server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    errors,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
    },
  };
}

/** A GET with a raw request target, which supertest and fetch would normalise. */
function rawGet(url: string, path: string): Promise<{ status: number; location: string }> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port, path, headers: { accept: 'text/html' } },
      (res) => {
        res.resume();
        resolve({ status: res.statusCode ?? 0, location: res.headers.location ?? '' });
      },
    );
    req.on('error', reject);
    req.end();
  });
}

function returnToOf(location: string): string {
  const url = new URL(location, ORIGIN);
  expect(url.origin).toBe(ORIGIN);
  expect(url.pathname).toBe('/auth/magic-link');
  return url.searchParams.get('returnTo') ?? '';
}

describe.each([
  ['Express 5', express5],
  ['Express 4', express4],
] as const)('requireUser() guards routes (%s)', (_name, express) => {
  let h: Harness;
  beforeEach(async () => {
    h = await start(express, (app) => {
      app.use(magicLinkRouter(routerOptions()));
      app.get('/account', requireUser(), (req, res) => {
        res.json({ email: (req.user as MagicLinkProfile).email });
      });
      app.get('/api/me', requireUser({ api: true }), (req, res) => {
        res.json({ email: (req.user as MagicLinkProfile).email });
      });
      const admin = express.Router();
      admin.get('/panel', requireUser(), (_req, res) => {
        res.send('panel');
      });
      app.use('/admin', admin);
      app.use(requireUser());
      app.use((_req, res) => {
        res.send('guarded');
      });
    });
  });
  afterEach(() => h.close());

  it('lets a signed-in user through', async () => {
    const res = await request(h.url).get('/account').set('x-test-user', 'alice@example.com');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ email: 'alice@example.com' });
  });

  it('redirects an HTML client to sign-in with the path as returnTo', async () => {
    const res = await request(h.url).get('/account').set('Accept', 'text/html');
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/auth/magic-link?returnTo=%2Faccount');
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('keeps the query string, encoded, in returnTo', async () => {
    const res = await request(h.url).get('/account?tab=keys&sort=desc').set('Accept', 'text/html');
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe(
      '/auth/magic-link?returnTo=%2Faccount%3Ftab%3Dkeys%26sort%3Ddesc',
    );
    expect(returnToOf(res.headers.location as string)).toBe('/account?tab=keys&sort=desc');
  });

  it('keeps the mount path of a sub-router', async () => {
    const res = await request(h.url).get('/admin/panel').set('Accept', 'text/html');
    expect(returnToOf(res.headers.location as string)).toBe('/admin/panel');
  });

  it.each(['//evil.com', '//evil.com/account', '/\\evil.com', '/%2F%2Fevil.com', '/%5Cevil.com'])(
    'never turns the request target %j into an open redirect',
    async (target) => {
      const res = await rawGet(h.url, target);
      expect(res.status).toBe(303);
      expect(res.location.startsWith('/auth/magic-link?returnTo=')).toBe(true);
      expect(returnToOf(res.location)).toBe('/');
    },
  );

  it('falls back to / for a URL longer than returnTo may be', async () => {
    const res = await rawGet(h.url, `/account?q=${'a'.repeat(3000)}`);
    expect(res.status).toBe(303);
    expect(returnToOf(res.location)).toBe('/');
  });

  it('answers a JSON client with 401 {"error":"unauthenticated"}', async () => {
    const res = await request(h.url).get('/account').set('Accept', 'application/json');
    expect(res.status).toBe(401);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.text).toBe('{"error":"unauthenticated"}');
  });

  it('answers { api: true } routes with 401 JSON even for HTML clients', async () => {
    const res = await request(h.url).get('/api/me').set('Accept', 'text/html');
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ error: 'unauthenticated' });
    const signedIn = await request(h.url).get('/api/me').set('x-test-user', 'b@example.com');
    expect(signedIn.body).toEqual({ email: 'b@example.com' });
  });
});

describe('req.user', () => {
  let h: Harness;
  afterEach(() => h.close());

  it('is the session user, and never a value an earlier middleware left on req', async () => {
    h = await start(express5, (app) => {
      app.use((req, _res, next) => {
        if (req.headers['x-stale'] !== undefined)
          (req as { user?: unknown }).user = { email: 'stale@example.com' };
        next();
      });
      app.use(magicLinkRouter(routerOptions()));
      app.get('/who', (req, res) => {
        res.json({
          user: (req.user as MagicLinkProfile | undefined)?.email ?? null,
          own: Object.hasOwn(req, 'user'),
        });
      });
      app.get('/account', requireUser({ api: true }), (req, res) => {
        res.json({ email: (req.user as MagicLinkProfile).email });
      });
    });
    const anonymous = await request(h.url).get('/who');
    expect(anonymous.body).toEqual({ user: null, own: false });
    const stale = await request(h.url).get('/who').set('x-stale', '1');
    expect(stale.body).toEqual({ user: null, own: true });
    const guarded = await request(h.url).get('/account').set('x-stale', '1');
    expect(guarded.status).toBe(401);
    const signedIn = await request(h.url)
      .get('/who')
      .set('x-stale', '1')
      .set('x-test-user', 'alice@example.com');
    expect(signedIn.body).toEqual({ user: 'alice@example.com', own: true });
  });
});

describe('requireUser() explains its misuse', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('throws a TypeError naming requireUser() when called as a middleware', () => {
    const req = { method: 'GET', headers: {}, url: '/' };
    const call = requireUser as unknown as (...args: unknown[]) => unknown;
    expect(() => call(req, {}, () => undefined)).toThrow(TypeError);
    expect(() => call(req, {}, () => undefined)).toThrow('it should be `app.use(requireUser())`');
  });

  it('reports app.use(requireUser) at the first request', async () => {
    h = await start(express5, (app) => {
      app.use(magicLinkRouter(routerOptions()));
      app.use(requireUser as unknown as RequestHandler);
    });
    const res = await request(h.url).get('/');
    expect(res.status).toBe(500);
    expect(h.errors).toHaveLength(1);
    expect(h.errors[0]).toBeInstanceOf(TypeError);
    expect((h.errors[0] as Error).message).toContain('requireUser()');
  });

  it('refuses a non-boolean api option', () => {
    expect(() => requireUser({ api: 'yes' as unknown as boolean })).toThrow(
      'requireUser: api must be a boolean',
    );
  });

  it('names magicLinkRouter when it runs before the router', async () => {
    h = await start(express5, (app) => {
      app.get('/early', requireUser(), (_req, res) => {
        res.send('never');
      });
      app.use(magicLinkRouter(routerOptions()));
    });
    const res = await request(h.url).get('/early').set('x-test-user', 'alice@example.com');
    expect(res.status).toBe(500);
    expect(res.text).not.toBe('never');
    expect(h.errors[0]).toBeInstanceOf(TypeError);
    expect((h.errors[0] as Error).message).toMatch(
      /^requireUser: magicLinkRouter\(\) has not run.*app\.use\(magicLinkRouter\(/,
    );
  });

  it('says express-session is missing when the default adapter finds no req.session', async () => {
    h = await start(express5, (app) => {
      app.use(magicLinkRouter(routerOptions({ session: undefined })));
      app.get('/account', requireUser(), (_req, res) => {
        res.send('never');
      });
    });
    const res = await request(h.url).get('/account');
    expect(res.status).toBe(500);
    expect(h.errors[0]).toBeInstanceOf(TypeError);
    expect((h.errors[0] as Error).message).toContain('express-session');
    expect((h.errors[0] as Error).message).toContain('app.use(session(');
  });

  it('works once express-session is mounted before the router', async () => {
    h = await start(express5, (app) => {
      app.use(session({ secret: SECRET, resave: false, saveUninitialized: false }));
      app.use(magicLinkRouter(routerOptions({ session: undefined })));
      app.get('/account', requireUser(), (_req, res) => {
        res.send('never');
      });
    });
    const res = await request(h.url).get('/account').set('Accept', 'application/json');
    expect(res.status).toBe(401);
    expect(h.errors).toHaveLength(0);
  });
});
