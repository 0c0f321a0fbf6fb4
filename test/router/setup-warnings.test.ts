import { createServer } from 'node:http';
import type { Server } from 'node:http';
import express from 'express';
import type { Express } from 'express';
import session from 'express-session';
import request from 'supertest';
import {
  magicLinkRouter,
  memoryPasskeyStore,
  requireUser,
  selfHostedProvider,
} from '../../lib/index';
import type { MagicLinkEvent, MagicLinkOptions, OutgoingLink } from '../../lib/index';

// Setup mistakes that used to fail silently (issue 19): each is reported once, through onEvent
// (`setup_warning`) and console.warn, naming the fix.

const SECRET = 'setup-warnings-secret-0123456789abcdef0123';
const HTTPS_ORIGIN = 'https://app.example.com';

type Warning = Extract<MagicLinkEvent, { type: 'setup_warning' }>;

interface Built {
  app: Express;
  server: Server;
  events: MagicLinkEvent[];
  outbox: OutgoingLink[];
  warnings(): Warning[];
}

interface BuildOptions {
  mount?: string;
  trustProxy?: number;
  secureCookie?: boolean;
  sameSite?: 'strict' | 'lax';
  router?: Partial<MagicLinkOptions>;
}

let warnSpy: jest.SpyInstance;
const servers: Server[] = [];
const savedEnv = { NODE_ENV: process.env.NODE_ENV, PORT: process.env.PORT };

beforeEach(() => {
  warnSpy = jest.spyOn(console, 'warn').mockImplementation(() => {});
});
afterEach(async () => {
  warnSpy.mockRestore();
  process.env.NODE_ENV = savedEnv.NODE_ENV;
  if (savedEnv.PORT === undefined) delete process.env.PORT;
  else process.env.PORT = savedEnv.PORT;
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

function build(options: BuildOptions = {}): Built {
  const events: MagicLinkEvent[] = [];
  const outbox: OutgoingLink[] = [];
  const app = express();
  if (options.trustProxy !== undefined) app.set('trust proxy', options.trustProxy);
  app.use(
    session({
      secret: 'setup-warnings-session-secret',
      resave: false,
      saveUninitialized: false,
      cookie: { secure: options.secureCookie ?? false, sameSite: options.sameSite ?? 'lax' },
    }),
  );
  const router = magicLinkRouter({
    provider: selfHostedProvider(),
    secret: SECRET,
    origin: HTTPS_ORIGIN,
    delivery: async (message) => void outbox.push(message),
    onEvent: (event) => events.push(event),
    dangerouslyDisableRateLimit: true,
    ...options.router,
  });
  if (options.mount) app.use(options.mount, router);
  else app.use(router);
  app.get('/account', requireUser(), (_req, res) => res.send('account'));
  const server = createServer(app);
  servers.push(server);
  return {
    app,
    server,
    events,
    outbox,
    warnings: () => events.filter((e): e is Warning => e.type === 'setup_warning'),
  };
}

/** The response's Set-Cookie lines. */
function cookiesOf(res: request.Response): string[] {
  const value = res.headers['set-cookie'] as unknown;
  return Array.isArray(value) ? (value as string[]) : [];
}

/** Waits (without a time assertion) until `check` holds, for events emitted after a response. */
async function eventually(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
}

/** Asks for a link and opens it in the same browser, as a proxy in front of the app would pass them. */
async function signIn(b: Built, headers: Record<string, string>): Promise<request.Response> {
  const asked = await request(b.server)
    .post('/auth/magic-link')
    .set({ ...headers, origin: HTTPS_ORIGIN })
    .type('form')
    .send({ email: 'ada@example.com', returnTo: '/account' });
  expect(asked.status).toBe(303);
  await eventually(() => b.outbox.length === 1);
  const pending = cookiesOf(asked)
    .map((line) => line.split(';')[0]!)
    .join('; ');
  const link = new URL(b.outbox[0]!.link);
  return request(b.server)
    .get(link.pathname + link.search)
    .set({ ...headers, cookie: pending, accept: 'text/html' });
}

describe('mounted under a path', () => {
  it('warns once: mount at the root; use basePath', async () => {
    const b = build({ mount: '/auth' });
    expect((await request(b.server).get('/auth/magic-link')).status).toBe(404);
    await request(b.server).get('/auth/auth/magic-link');
    const [warning, ...more] = b.warnings();
    expect(more).toEqual([]);
    expect(warning).toMatchObject({ code: 'mounted_under_path' });
    expect(warning!.message).toMatch(/mount at the root.*use basePath/);
    expect(warnSpy).toHaveBeenCalledTimes(1);
    expect(warnSpy.mock.calls[0]![0]).toBe(warning!.message);
  });

  it("requireUser()'s error names the mount path and basePath, not only 'mount it before'", async () => {
    const b = build({ mount: '/auth' });
    const errors: unknown[] = [];
    b.app.use((err: unknown, _req: unknown, res: express.Response, _next: unknown) => {
      void _next;
      errors.push(err);
      res.status(500).end();
    });
    expect((await request(b.server).get('/account')).status).toBe(500);
    expect(String(errors[0])).toMatch(/app\.use\('\/auth', magicLinkRouter.*basePath/);
  });

  it('says nothing when mounted at the root', async () => {
    const b = build();
    expect((await request(b.server).get('/auth/magic-link')).status).toBe(200);
    expect(b.warnings()).toEqual([]);
    expect(warnSpy).not.toHaveBeenCalled();
  });
});

describe('behind a TLS proxy without trust proxy', () => {
  it("an https origin, requests as http with X-Forwarded-Proto: https: set app.set('trust proxy', …)", async () => {
    const b = build();
    await request(b.server).get('/auth/magic-link').set('x-forwarded-proto', 'https');
    await request(b.server).get('/auth/magic-link').set('x-forwarded-proto', 'https');
    expect(b.warnings()).toEqual([
      expect.objectContaining({ code: 'trust_proxy_protocol' }) as unknown,
    ]);
    expect(b.warnings()[0]!.message).toContain("app.set('trust proxy'");
  });

  it('many clients behind one proxy address with X-Forwarded-For: set trust proxy', async () => {
    const b = build();
    for (const client of ['203.0.113.1', '203.0.113.2', '203.0.113.3', '203.0.113.4'])
      await request(b.server).get('/auth/magic-link').set('x-forwarded-for', client);
    const warnings = b.warnings();
    expect(warnings.map((w) => w.code)).toEqual(['trust_proxy_forwarded_for']);
    expect(warnings[0]!.message).toContain("app.set('trust proxy'");
    // An event never carries a client address beyond the usual `ip` field.
    expect(warnings[0]!.message).not.toContain('203.0.113');
  });

  it('one client repeating its X-Forwarded-For is not "many"', async () => {
    const b = build();
    for (let i = 0; i < 4; i++)
      await request(b.server).get('/auth/magic-link').set('x-forwarded-for', '203.0.113.9');
    expect(b.warnings()).toEqual([]);
  });

  it('says nothing once trust proxy is set', async () => {
    const b = build({ trustProxy: 1 });
    for (const client of ['203.0.113.1', '203.0.113.2', '203.0.113.3'])
      await request(b.server)
        .get('/auth/magic-link')
        .set({ 'x-forwarded-for': client, 'x-forwarded-proto': 'https' });
    expect(b.warnings()).toEqual([]);
  });
});

describe('a sign-in that set no session cookie', () => {
  const proxied = { 'x-forwarded-proto': 'https' };

  it('warns after the response: the secure session cookie was dropped; set trust proxy', async () => {
    const b = build({ secureCookie: true });
    const landed = await signIn(b, proxied);
    expect(landed.status).toBe(303);
    expect(cookiesOf(landed).some((c) => c.startsWith('connect.sid='))).toBe(false);
    await eventually(() => b.warnings().some((w) => w.code === 'session_cookie_not_set'));
    const warning = b.warnings().find((w) => w.code === 'session_cookie_not_set');
    expect(warning?.message).toMatch(
      /set no session cookie.*secure: true.*app\.set\('trust proxy'/,
    );
    expect(b.events.some((e) => e.type === 'sign_in')).toBe(true);
  });

  it('says nothing when the session cookie is set', async () => {
    const b = build({ secureCookie: true, trustProxy: 1 });
    const landed = await signIn(b, proxied);
    expect(landed.status).toBe(303);
    expect(cookiesOf(landed).some((c) => c.startsWith('connect.sid='))).toBe(true);
    await new Promise((r) => setImmediate(r));
    expect(b.warnings()).toEqual([]);
  });
});

describe('a SameSite=Strict session cookie', () => {
  it('warns: withheld on the first page after a link opened from mail; use lax', async () => {
    const b = build({ sameSite: 'strict' });
    const landed = await signIn(b, {});
    expect(landed.status).toBe(303);
    expect(cookiesOf(landed).some((c) => /^connect\.sid=.*SameSite=Strict/.test(c))).toBe(true);
    await eventually(() => b.warnings().length > 0);
    expect(b.warnings().map((w) => w.code)).toEqual(['session_cookie_strict']);
    expect(b.warnings()[0]!.message).toContain("sameSite: 'lax'");
  });

  it('says nothing for SameSite=Lax', async () => {
    const b = build({ sameSite: 'lax' });
    expect((await signIn(b, {})).status).toBe(303);
    await new Promise((r) => setImmediate(r));
    expect(b.warnings()).toEqual([]);
  });
});

describe('in development', () => {
  function development(port?: string): void {
    process.env.NODE_ENV = 'development';
    if (port === undefined) delete process.env.PORT;
    else process.env.PORT = port;
  }

  it('a same-origin refusal logs the expected and the received origin, and says pass origin', async () => {
    development();
    const b = build({ router: { origin: 'http://localhost:3000' } });
    const res = await request(b.server)
      .post('/auth/magic-link')
      .set({ origin: 'http://localhost:5173', host: 'localhost:3000' })
      .type('form')
      .send({ email: 'ada@example.com' });
    expect(res.status).toBe(403);
    const warning = b.warnings().find((w) => w.code === 'cross_site_refused');
    expect(warning?.message).toMatch(
      /expected origin http:\/\/localhost:3000, received http:\/\/localhost:5173.*pass origin/,
    );
  });

  it('an app on a port other than 3000, with no origin and no PORT: says pass origin', async () => {
    development();
    const b = build({ router: { origin: undefined } });
    await request(b.server).get('/auth/magic-link').set('host', 'localhost:4000');
    const warning = b.warnings().find((w) => w.code === 'origin_mismatch');
    expect(warning?.message).toMatch(
      /origin is http:\/\/localhost:3000, but this request came to localhost:4000.*pass origin: 'http:\/\/localhost:4000'/,
    );
  });

  it('passkeys on an IP-address origin: says browsers refuse it, use localhost', async () => {
    development();
    const b = build({
      router: {
        origin: 'http://127.0.0.1:3000',
        passkeys: { store: memoryPasskeyStore({ warnInProduction: false }) },
      },
    });
    await request(b.server).get('/auth/magic-link').set('host', '127.0.0.1:3000');
    const warning = b.warnings().find((w) => w.code === 'passkeys_ip_origin');
    expect(warning?.message).toMatch(
      /passkeys.*127\.0\.0\.1.*IP address.*Fix: .*http:\/\/localhost:3000/,
    );
    const named = build({
      router: {
        origin: 'http://localhost:3000',
        passkeys: { store: memoryPasskeyStore({ warnInProduction: false }) },
      },
    });
    await request(named.server).get('/auth/magic-link').set('host', 'localhost:3000');
    expect(named.warnings()).toEqual([]);
  });

  it('says nothing when the origin matches', async () => {
    development('4000');
    const b = build({ router: { origin: undefined } });
    await request(b.server).get('/auth/magic-link').set('host', 'localhost:4000');
    expect(b.warnings()).toEqual([]);
  });

  it('stays quiet about origins in production', async () => {
    process.env.NODE_ENV = 'production';
    const b = build({ router: { origin: 'http://localhost:3000' } });
    await request(b.server).get('/auth/magic-link').set('host', 'localhost:4000');
    await request(b.server)
      .post('/auth/magic-link')
      .set({ origin: 'http://localhost:5173' })
      .type('form')
      .send({ email: 'ada@example.com' });
    expect(b.warnings()).toEqual([]);
  });
});
