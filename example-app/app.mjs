// The example a user would copy from. It imports the package by name, exactly as an app would.
import { randomBytes } from 'node:crypto';
import express from 'express';
import session from 'express-session';
import helmet from 'helmet';
import {
  devMailbox,
  magicLinkRouter,
  memoryPasskeyStore,
  memoryStore,
  openTelemetry,
  postgresPasskeyStore,
  postgresStore,
  redisStore,
  requireUser,
  sealedCookieSession,
  selfHostedProvider,
  smtpMailer,
  workosMagicAuthProvider,
  workosProvider,
} from 'express-magic-link';
import { serviceMailerFrom } from './service-mailer.mjs';

const PROVIDERS = ['workos', 'workos-magic-auth', 'self-hosted'];
const SESSIONS = ['express-session', 'sealed'];

function escapeHtml(value) {
  return String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(title, body) {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(title)}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:10vh auto;padding:0 1rem}
button{font:inherit;padding:.5rem 1rem}:focus-visible{outline:3px solid #f5a623}</style></head>
<body><main>${body}</main></body></html>`;
}

/** A throwaway secret for development; production must set it. */
function secretFrom(env, name) {
  if (env[name]) return env[name];
  if (env.NODE_ENV === 'production') throw new Error(`${name} must be set in production.`);
  return randomBytes(32).toString('base64url');
}

/**
 * Builds the example app from environment variables:
 * - no keys: the WorkOS emulator runs in-process; emails land in /dev/mailbox;
 * - WORKOS_API_KEY + WORKOS_CLIENT_ID: real WorkOS (WorkOS sends the email, or SMTP_URL does);
 * - MAGIC_LINK_PROVIDER=workos-magic-auth: WorkOS Magic Auth (a 6-digit code); with no keys the
 *   emulator runs in-process and our email (scanner-safe link and code) lands in /dev/mailbox;
 *   with keys, WorkOS emails the code itself unless SMTP_URL is set;
 * - MAGIC_LINK_PROVIDER=self-hosted: no third party; email over SMTP_URL, or a local dev SMTP server;
 * - REDIS_URL: sessions, tokens and rate limits in Redis, shared by every instance;
 *   REDIS_CLUSTER_NODES=host:port,host:port,…: the same in a Redis Cluster.
 * - DATABASE_URL (and no Redis): tokens and rate limits in Postgres (postgresStore), shared by
 *   every instance, and passkeys too (postgresPasskeyStore); sessions are sealed cookies
 *   (SESSION=sealed is implied).
 * - MAILER=resend|postmark|ses|sendgrid + MAIL_FROM: email through that service's SDK, with its
 *   usual variables (RESEND_API_KEY, POSTMARK_SERVER_TOKEN, AWS_REGION + AWS credentials,
 *   SENDGRID_API_KEY); see example-app/service-mailer.mjs;
 * - SESSION=sealed: no express-session; the user lives in one sealed cookie
 *   (sealedCookieSession), and only its revocation list is kept in the store.
 * - OTEL=console: the package's OpenTelemetry spans printed to the console.
 * - passkeys are on, kept in memory (memoryPasskeyStore) unless DATABASE_URL puts them in
 *   Postgres; PASSKEYS=0 turns them off.
 *   RECENT_SIGN_IN (default 10m) is how recent a sign-in /account/danger needs.
 */
export async function createExampleApp(env = process.env) {
  const port = Number(env.PORT ?? 3000);
  const origin = env.ORIGIN ?? `http://localhost:${port}`;
  const cleanup = [];
  const realWorkOS = Boolean(env.WORKOS_API_KEY && env.WORKOS_CLIENT_ID);
  const providerName = env.MAGIC_LINK_PROVIDER || 'workos';
  if (!PROVIDERS.includes(providerName)) {
    throw new Error(
      `MAGIC_LINK_PROVIDER=${providerName} is not a provider. Use one of: ${PROVIDERS.join(', ')}.`,
    );
  }
  const selfHosted = providerName === 'self-hosted';
  const postgres = Boolean(env.DATABASE_URL && !env.REDIS_URL && !env.REDIS_CLUSTER_NODES);
  // express-session has no Postgres store here: with Postgres, the user lives in a sealed cookie.
  const sessionKind = env.SESSION || (postgres ? 'sealed' : 'express-session');
  if (!SESSIONS.includes(sessionKind)) {
    throw new Error(
      `SESSION=${sessionKind} is not a session kind. Use one of: ${SESSIONS.join(', ')}.`,
    );
  }
  const sealed = sessionKind === 'sealed';
  const dev = !realWorkOS && env.NODE_ENV !== 'production';
  const mailbox = dev ? devMailbox() : null;

  let store = memoryStore();
  let sessionStore;
  let passkeyStore;
  if (env.REDIS_URL || env.REDIS_CLUSTER_NODES) {
    const { createClient, createCluster } = await import('redis');
    const { RedisStore } = await import('connect-redis');
    // Fail fast while Redis is down, so requests get a 503 instead of hanging.
    const client = env.REDIS_CLUSTER_NODES
      ? createCluster({
          rootNodes: env.REDIS_CLUSTER_NODES.split(',').map((node) => ({
            url: `redis://${node.trim()}`,
          })),
          defaults: { disableOfflineQueue: true },
        })
      : createClient({ url: env.REDIS_URL, disableOfflineQueue: true });
    client.on('error', () => {});
    await client.connect();
    cleanup.push(() => client.quit().catch(() => client.destroy()));
    store = redisStore(client);
    if (!sealed) sessionStore = new RedisStore({ client, prefix: 'example:sess:' });
  } else if (postgres) {
    const { default: pg } = await import('pg');
    const pool = new pg.Pool({ connectionString: env.DATABASE_URL });
    pool.on('error', () => {});
    cleanup.push(() => pool.end());
    store = postgresStore(pool);
    await store.ensureSchema();
    passkeyStore = postgresPasskeyStore(pool);
    await passkeyStore.ensureSchema();
  }

  // MAILER picks an email service; otherwise SMTP_URL, or the development SMTP server.
  let mailer = await serviceMailerFrom(env);
  if (!mailer && env.SMTP_URL) {
    mailer = smtpMailer({
      transport: env.SMTP_URL,
      from: env.MAIL_FROM ?? 'Example <login@example.com>',
    });
  } else if (!mailer && dev && selfHosted) {
    // A development SMTP server on loopback: real SMTP end to end, messages shown in /dev/mailbox.
    const { startDevSmtp } = await import('./dev-smtp.mjs');
    const smtp = await startDevSmtp((message) => mailbox.record(message));
    cleanup.push(() => smtp.close());
    mailer = smtpMailer({ transport: smtp.url, from: 'Example <login@example.com>' });
  }

  let provider;
  let delivery;
  if (selfHosted) {
    provider = selfHostedProvider();
    delivery = mailer;
    if (!delivery)
      throw new Error('MAGIC_LINK_PROVIDER=self-hosted needs SMTP_URL or MAILER in production.');
  } else {
    const { WorkOS } = await import('@workos-inc/node');
    const create = providerName === 'workos-magic-auth' ? workosMagicAuthProvider : workosProvider;
    if (realWorkOS) {
      const workos = new WorkOS(env.WORKOS_API_KEY, { clientId: env.WORKOS_CLIENT_ID });
      provider = create({ workos, clientId: env.WORKOS_CLIENT_ID });
      // Without SMTP, WorkOS emails the link (Magic Link) or the code (Magic Auth) itself.
      delivery = mailer ?? 'workos';
    } else {
      const { startWorkOSEmulator } = await import('express-magic-link/testing');
      const emulator = await startWorkOSEmulator({
        defaultRedirectUri: `${origin}/auth/callback`,
        // Our email carries the code; the emulator need not "send" its own as well.
        workosEmails: false,
      });
      cleanup.push(() => emulator.close());
      const workos = new WorkOS(emulator.apiKey, { ...emulator.sdkOptions(), maxRetries: 0 });
      provider = create({ workos, clientId: emulator.clientId });
      // Our own email (scanner-safe link, and the code for Magic Auth) into the dev mailbox.
      delivery = mailer ?? mailbox;
    }
  }

  let telemetry;
  if (env.OTEL) {
    if (env.OTEL !== 'console')
      throw new Error(`OTEL=${env.OTEL} is not an exporter. Use OTEL=console.`);
    // The SDK is registered before the router is built; a real app would use NodeSDK and OTLP.
    const api = await import('@opentelemetry/api');
    const { AsyncLocalStorageContextManager } = await import('@opentelemetry/context-async-hooks');
    const { BasicTracerProvider, ConsoleSpanExporter, SimpleSpanProcessor } =
      await import('@opentelemetry/sdk-trace-base');
    api.context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    const tracerProvider = new BasicTracerProvider({
      spanProcessors: [new SimpleSpanProcessor(new ConsoleSpanExporter())],
    });
    api.trace.setGlobalTracerProvider(tracerProvider);
    cleanup.push(async () => {
      await tracerProvider.shutdown();
      api.trace.disable();
      api.context.disable();
    });
    telemetry = openTelemetry(api);
  }

  const passkeys = env.PASSKEYS !== '0';
  if (passkeys) passkeyStore ??= memoryPasskeyStore();
  const app = express();
  if (env.TRUST_PROXY) app.set('trust proxy', env.TRUST_PROXY);
  const https = origin.startsWith('https:');
  app.use(
    helmet({
      // Under helmet's default (no-referrer) Chromium sends `Origin: null` on this site's own form
      // POSTs, such as "Sign out". Only Sec-Fetch-Site can vouch for them then, and browsers send
      // it to https and localhost only; same-origin keeps the Origin and still sends no Referer
      // to other sites.
      referrerPolicy: { policy: 'same-origin' },
      // Over plain http on any host but localhost (a LAN address, a dev hostname), helmet's
      // upgrade-insecure-requests sends every form to https://, where nothing listens; HSTS and
      // COOP mean nothing there either, and COOP logs a console error on every page.
      contentSecurityPolicy: https ? true : { directives: { upgradeInsecureRequests: null } },
      strictTransportSecurity: https,
      crossOriginOpenerPolicy: https,
    }),
  );
  // Browsers ask for one on every page; a 404 here is a console error on every page.
  app.get('/favicon.ico', (req, res) => res.status(204).end());
  if (!sealed) {
    app.use(
      session({
        store: sessionStore,
        secret: secretFrom(env, 'SESSION_SECRET'),
        resave: false,
        saveUninitialized: false,
        cookie: { httpOnly: true, sameSite: 'lax', secure: https },
      }),
    );
  }
  const sessionOptions = sealed
    ? {
        // The cookie's flags (__Host-, Secure) follow the router's origin.
        session: sealedCookieSession({ secret: secretFrom(env, 'SESSION_SECRET') }),
        // A cookie holds about 4 KB: keep only what the pages need, not the whole profile.
        onSignIn: (profile) => ({ id: profile.id, email: profile.email }),
      }
    : {};
  const router = magicLinkRouter({
    ...sessionOptions,
    provider,
    delivery,
    store,
    secret: secretFrom(env, 'MAGIC_LINK_SECRET'),
    origin,
    appName: 'Example',
    afterSignIn: '/account',
    ...(telemetry ? { telemetry } : {}),
    // Passkeys after the first email sign-in; in Postgres with DATABASE_URL, else in memory.
    ...(passkeys ? { passkeys: { store: passkeyStore } } : {}),
  });
  app.use(router);
  if (mailbox) app.use('/dev', mailbox.handler());

  app.get('/', (req, res) => {
    res.send(
      page(
        'Example',
        `<h1>express-magic-link example</h1>
<p>${req.user ? `Signed in as ${escapeHtml(req.user.email)}.` : 'You are signed out.'}</p>
<p><a href="/account">Your account</a>${mailbox ? ' · <a href="/dev/mailbox">Dev mailbox</a>' : ''}</p>`,
      ),
    );
  });
  app.get('/account', requireUser(), (req, res) => {
    res.set('Cache-Control', 'no-store');
    res.send(
      page(
        'Your account',
        `<h1>Your account</h1>
<p>Signed in as <strong id="email">${escapeHtml(req.user.email)}</strong>.</p>
${passkeys ? '<p><a href="/auth/passkeys">Your passkeys</a> · <a href="/account/danger">Danger zone</a></p>' : ''}
<form method="post" action="/auth/logout"><button type="submit">Sign out</button></form>`,
      ),
    );
  });
  // A sensitive page: it needs a sign-in from the last RECENT_SIGN_IN (10 minutes by default).
  app.get(
    '/account/danger',
    requireUser({ recentSignIn: env.RECENT_SIGN_IN ?? '10m' }),
    (req, res) => {
      res.set('Cache-Control', 'no-store');
      res.send(
        page(
          'Danger zone',
          `<h1>Danger zone</h1>
<p>You confirmed it is you (<span id="method">${escapeHtml(req.user.lastSignIn?.method ?? '')}</span>).</p>`,
        ),
      );
    },
  );

  return {
    app,
    port,
    origin,
    mailbox,
    async close() {
      // Emails are sent after the answer: let the ones already started finish first.
      await router.drain();
      for (const fn of cleanup.reverse()) await fn();
    },
  };
}
