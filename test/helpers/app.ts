import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import express5 from 'express';
import session from 'express-session';
import helmet from 'helmet';
import type request from 'supertest';
import { WorkOS as WorkOS11 } from '@workos-inc/node';
import { WorkOS as WorkOS8 } from 'workos8';
import {
  magicLinkRouter,
  memoryStore,
  requireUser,
  selfHostedProvider,
  smtpMailer,
  workosMagicAuthProvider,
  workosProvider,
} from '../../lib/index';
import type {
  MagicLinkEvent,
  MagicLinkOptions,
  MagicLinkProfile,
  Provider,
  Store,
  WorkOSClientLike,
  WorkOSMagicAuthClientLike,
} from '../../lib/index';
import { startWorkOSEmulator } from '../../lib/testing/workos-emulator';
import type { WorkOSEmulator, WorkOSEmulatorOptions } from '../../lib/testing/workos-emulator';
import { startSmtpServer } from './smtp';
import type { TestSmtpServer } from './smtp';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const express4 = require('express4') as typeof express5;

export const TEST_SECRET = 'test-secret-0123456789abcdef0123456789abcdef';

/** How long the test app keeps an idle keep-alive socket: longer than any test's timeout. */
export const IDLE_SOCKET_MS = 10 * 60_000;

export interface TestAppOptions {
  /** @default 'workos' (Magic Link) */
  provider?: 'workos' | 'workos-magic-auth' | 'self-hosted';
  /** 'workos': WorkOS sends; 'smtp': our template over real SMTP. @default 'workos' for workos, 'smtp' otherwise */
  delivery?: 'workos' | 'smtp';
  /** @default 5 */
  express?: 4 | 5;
  /** @default 11 */
  sdk?: 8 | 11;
  helmet?: boolean;
  store?: Store;
  /** Extra router options; they win over the defaults below. */
  router?: Partial<MagicLinkOptions>;
  /** Express's `trust proxy`, so tests can send X-Forwarded-For. @default false */
  trustProxy?: boolean;
  /** Extra emulator options, e.g. `{ omitStateOnAccessDenied: true }`. */
  emulator?: Partial<WorkOSEmulatorOptions>;
  /**
   * A running emulator to use instead of starting one (e.g. a second app on the same WorkOS
   * environment); `close()` leaves it running. `emulator` options are then ignored.
   */
  sharedEmulator?: WorkOSEmulator;
  /** The API key and client id the app's SDK client uses. @default the emulator's own */
  workosCredentials?: { apiKey?: string; clientId?: string };
  /**
   * Mount express-session (cookie `sid`) before the router. Turn it off for a session adapter
   * that needs none, such as `sealedCookieSession`. @default true
   */
  expressSession?: boolean;
  /** Rate limits stay on unless a test turns them off. @default true */
  rateLimit?: boolean;
  /** Middleware mounted before everything else (e.g. a stand-in for an HTTP server span). */
  first?: ((req: IncomingMessage, res: ServerResponse, next: () => void) => void)[];
  /** More routes, mounted after the router and `/account`. */
  routes?: (app: ReturnType<typeof express5>) => void;
}

export interface TestApp {
  url: string;
  server: Server;
  emulator: WorkOSEmulator | null;
  smtp: TestSmtpServer | null;
  events: MagicLinkEvent[];
  store: Store;
  /** Waits for the background sends started so far (the answer comes before the email). */
  settled(): Promise<void>;
  /** The emulator's outbox once the background sends started so far are done. */
  outbox(): Promise<WorkOSEmulator['outbox']>;
  close(): Promise<void>;
}

/**
 * One real Express app, on a real port, with the real WorkOS SDK pointed at the emulator and a
 * real SMTP server; the origin is the app's own address so links can be followed.
 */
export async function createTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const providerName = options.provider ?? 'workos';
  const deliveryName = options.delivery ?? (providerName === 'workos' ? 'workos' : 'smtp');
  const server = createServer();
  // Node closes a keep-alive socket after 5 s idle. A test client that pauses longer (a busy
  // machine, an SMTP wait between requests) would then reuse a socket the server is closing and
  // get ECONNRESET. Keep idle sockets for longer than any test runs; close() ends them all.
  server.keepAliveTimeout = IDLE_SOCKET_MS;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const ownEmulator =
    providerName !== 'self-hosted' && !options.sharedEmulator
      ? await startWorkOSEmulator({
          defaultRedirectUri: `${url}/auth/callback`,
          ...options.emulator,
        })
      : null;
  const emulator = options.sharedEmulator ?? ownEmulator;
  const smtp = deliveryName === 'smtp' ? await startSmtpServer() : null;
  const mailer = smtp
    ? smtpMailer({ transport: smtp.url, from: 'Test <login@example.test>' })
    : null;
  const events: MagicLinkEvent[] = [];
  const store = options.store ?? memoryStore();

  let provider: Provider;
  if (emulator) {
    const apiKey = options.workosCredentials?.apiKey ?? emulator.apiKey;
    const clientId = options.workosCredentials?.clientId ?? emulator.clientId;
    const sdkOptions = { ...emulator.sdkOptions(), clientId };
    const workos =
      options.sdk === 8
        ? new WorkOS8(apiKey, sdkOptions)
        : new WorkOS11(apiKey, { ...sdkOptions, maxRetries: 0 });
    provider =
      providerName === 'workos-magic-auth'
        ? workosMagicAuthProvider({ workos: workos as WorkOSMagicAuthClientLike, clientId })
        : workosProvider({ workos: workos as unknown as WorkOSClientLike, clientId });
  } else {
    provider = selfHostedProvider();
  }

  const express = options.express === 4 ? express4 : express5;
  const app = express();
  if (options.trustProxy) app.set('trust proxy', true);
  for (const middleware of options.first ?? []) app.use(middleware);
  if (options.helmet) app.use(helmet());
  if (options.expressSession !== false) {
    app.use(session({ secret: TEST_SECRET, resave: false, saveUninitialized: false, name: 'sid' }));
  }
  const router = magicLinkRouter({
    provider,
    secret: TEST_SECRET,
    origin: url,
    store,
    delivery: deliveryName === 'workos' ? 'workos' : mailer!,
    onEvent: (event) => events.push(event),
    dangerouslyDisableRateLimit: options.rateLimit === false,
    ...options.router,
  });
  app.use(router);
  app.get('/account', requireUser(), (req, res) => {
    res.json({ email: (req.user as MagicLinkProfile).email, id: req.user!.id });
  });
  app.get('/', (_req, res) => {
    res.send('home');
  });
  options.routes?.(app as ReturnType<typeof express5>);
  server.on('request', app);

  return {
    url,
    server,
    emulator,
    smtp,
    events,
    store,
    settled: async () => {
      await router.drain();
    },
    async outbox() {
      await router.drain();
      if (!emulator) throw new Error('This test app has no WorkOS emulator');
      return emulator.outbox;
    },
    async close() {
      mailer?.close();
      // server.close() waits for every connection it does not count as idle; a client's
      // keep-alive socket can miss that count (seen with supertest's agent after a 400 page),
      // so end them all at once rather than after.
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
      await ownEmulator?.close();
      await smtp?.close();
    },
  };
}

/** The raw Set-Cookie lines of a response. */
export function setCookies(res: { headers: Record<string, unknown> }): string[] {
  const raw = res.headers['set-cookie'] as string[] | string | undefined;
  if (raw === undefined) return [];
  return Array.isArray(raw) ? raw : [raw];
}

/** The value a response gives a cookie, or undefined when it does not set it. */
export function cookieValue(res: request.Response, name: string): string | undefined {
  for (const line of setCookies(res)) {
    const pair = line.split(';', 1)[0]!;
    const eq = pair.indexOf('=');
    if (pair.slice(0, eq) === name) return pair.slice(eq + 1);
  }
  return undefined;
}

/** Follows a provider link (WorkOS emulator or our own) without a browser, returning the Location. */
export async function follow(link: string): Promise<string> {
  const res = await fetch(link, { redirect: 'manual' });
  await res.body?.cancel();
  const location = res.headers.get('location');
  if (!location) throw new Error(`Expected a redirect from ${link}, got HTTP ${res.status}`);
  return location;
}

/** A path+query from an absolute URL on the test app. */
export function pathOf(absolute: string): string {
  const u = new URL(absolute);
  return u.pathname + u.search;
}
