import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { IncomingMessage, RequestListener, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { MagicLinkProfile } from '../profile';
import type { SessionAdapter } from '../sessions/adapter';
import type { StoreConformanceCase as ConformanceCase } from './store-suite';

/** A plain request handler, wrapped by the app's own session middleware in `mount`. */
export type SessionProbe = (req: IncomingMessage, res: ServerResponse) => void;

export interface SessionConformanceOptions {
  /** The adapter under test. */
  adapter: SessionAdapter;
  /**
   * Puts the app's session middleware in front of `probe` and returns a request listener.
   *
   * @example
   * mount: (probe) => { const app = express(); app.use(session({ secret, resave: false, saveUninitialized: false })); app.use(probe); return app; }
   */
  mount: (probe: SessionProbe) => RequestListener;
}

type Jar = Map<string, string>;

function profile(n: number): MagicLinkProfile {
  return {
    id: `user_conformance_${n}`,
    idpId: `user_conformance_${n}`,
    organizationId: null,
    connectionId: 'conn_conformance',
    connectionType: 'MagicLink',
    email: `user${n}@example.test`,
    firstName: null,
    lastName: null,
    rawAttributes: {},
  };
}

function probeFor(adapter: SessionAdapter): SessionProbe {
  return (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const reply = (status: number, body: unknown) => {
      res.statusCode = status;
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify(body));
    };
    const run = async () => {
      switch (url.pathname) {
        case '/sign-in':
          await adapter.signIn(req, res, profile(Number(url.searchParams.get('n') ?? 1)));
          return { ok: true };
        case '/sign-out':
          await adapter.signOut(req, res);
          return { ok: true };
        default:
          return { user: await adapter.getUser(req, res) };
      }
    };
    run().then(
      (body) => reply(200, body),
      (err: unknown) => reply(500, { error: err instanceof Error ? err.message : String(err) }),
    );
  };
}

async function call(
  base: string,
  path: string,
  jar: Jar,
): Promise<{ status: number; body: { user?: MagicLinkProfile | null; error?: string } }> {
  const cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
  const res = await fetch(`${base}${path}`, {
    headers: cookie ? { cookie } : {},
    redirect: 'manual',
  });
  for (const line of res.headers.getSetCookie()) {
    const pair = line.split(';')[0]!;
    const eq = pair.indexOf('=');
    const name = pair.slice(0, eq).trim();
    const value = pair.slice(eq + 1).trim();
    if (value === '' || /max-age=0/i.test(line)) jar.delete(name);
    else jar.set(name, value);
  }
  return { status: res.status, body: (await res.json()) as { user?: MagicLinkProfile | null } };
}

async function withServer(
  options: SessionConformanceOptions,
  fn: (base: string) => Promise<void>,
): Promise<void> {
  const server: Server = createServer(options.mount(probeFor(options.adapter)));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    await fn(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/**
 * A framework-agnostic conformance suite for a {@link SessionAdapter}: every case drives the
 * adapter through real HTTP requests behind the app's own session middleware.
 *
 * @example
 * for (const c of sessionAdapterConformanceCases({ adapter: expressSessionAdapter(), mount })) it(c.name, c.run);
 */
export function sessionAdapterConformanceCases(
  options: SessionConformanceOptions,
): ConformanceCase[] {
  const cases: ConformanceCase[] = [];
  const add = (name: string, fn: (base: string) => Promise<void>) =>
    cases.push({ name, run: () => withServer(options, fn) });

  add('getUser is null for a new visitor', async (base) => {
    const r = await call(base, '/me', new Map());
    assert.equal(r.status, 200, r.body.error);
    assert.equal(r.body.user, null);
  });

  add('signIn stores the user for later requests', async (base) => {
    const jar: Jar = new Map();
    assert.equal((await call(base, '/sign-in?n=1', jar)).status, 200);
    const r = await call(base, '/me', jar);
    assert.equal(r.body.user?.id, profile(1).id);
    assert.equal(r.body.user?.email, profile(1).email);
  });

  add('signIn issues a new session: cookies from before sign-in stay signed out', async (base) => {
    const jar: Jar = new Map();
    await call(base, '/sign-in?n=1', jar);
    await call(base, '/sign-out', jar);
    const planted = new Map(jar);
    await call(base, '/sign-in?n=2', jar);
    assert.equal((await call(base, '/me', jar)).body.user?.id, profile(2).id);
    assert.equal((await call(base, '/me', new Map(planted))).body.user ?? null, null);
  });

  add('signOut destroys the session: a replayed cookie is signed out', async (base) => {
    const jar: Jar = new Map();
    await call(base, '/sign-in?n=1', jar);
    const stolen = new Map(jar);
    assert.equal((await call(base, '/sign-out', jar)).status, 200);
    assert.equal((await call(base, '/me', jar)).body.user ?? null, null);
    assert.equal((await call(base, '/me', stolen)).body.user ?? null, null);
  });

  add('signOut of a visitor who is not signed in succeeds', async (base) => {
    const r = await call(base, '/sign-out', new Map());
    assert.equal(r.status, 200, r.body.error);
  });

  add('two visitors are kept apart', async (base) => {
    const a: Jar = new Map();
    const b: Jar = new Map();
    await call(base, '/sign-in?n=1', a);
    await call(base, '/sign-in?n=2', b);
    assert.equal((await call(base, '/me', a)).body.user?.id, profile(1).id);
    assert.equal((await call(base, '/me', b)).body.user?.id, profile(2).id);
    await call(base, '/sign-out', a);
    assert.equal((await call(base, '/me', b)).body.user?.id, profile(2).id);
  });

  return cases;
}
