// One benchmark server, alone in its process so that its CPU time and RSS are its own.
// bench/run.mjs forks it:
//
//   node bench/server.mjs <stack> '{"discard":false,"redisUrl":null,"postgresUrl":null}'
//
// Every stack serves the same three things, each in its own documented configuration:
//   GET  /private        a route only a signed-in user may see;
//   POST <request path>  ask for a sign-in link (the delivery function keeps the link, or
//                        discards it with "discard": true);
//   GET  <link>          the link itself, which signs the browser in and answers with a redirect.
//
// It listens on 127.0.0.1 and answers its parent over IPC: `cpu` (µs used so far), `rss`
// (now and peak), `links` (the links its delivery function kept since the last ask) and
// `events` (onEvent counts by type).
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { RedisStore } from 'connect-redis';
import express from 'express';
import session from 'express-session';
import passport from 'passport';
import { Strategy as MagicLinkStrategy } from 'passport-magic-link';
import pg from 'pg';
import { createClient } from 'redis';
import * as otelApi from '@opentelemetry/api';
import {
  magicLinkRouter,
  memoryPasskeyStore,
  memoryStore,
  openTelemetry,
  postgresStore,
  redisStore,
  requireUser,
  sealedCookieSession,
  selfHostedProvider,
} from '../dist/index.mjs';

const require = createRequire(import.meta.url);
// passport-magic-login ships CommonJS with the class as its default export.
const magicLogin = require('passport-magic-login');
const MagicLoginStrategy = magicLogin.default ?? magicLogin;

const SESSION_SECRET = 'bench-session-secret-0123456789abcdef0123';
const MAGIC_LINK_SECRET = 'bench-magic-link-secret-0123456789abcdef';
/** The user every stack keeps in its session: the shape this package stores. */
const BENCH_USER = {
  id: 'user_bench',
  idpId: 'user_bench',
  organizationId: null,
  connectionId: 'conn_self_hosted',
  connectionType: 'MagicLink',
  email: 'bench@example.com',
  firstName: null,
  lastName: null,
  rawAttributes: {},
};

const [stack, optionsJson = '{}'] = process.argv.slice(2);
const { discard = false, redisUrl = null, postgresUrl = null } = JSON.parse(optionsJson);

const links = [];
const events = {};
const routers = [];
/** The delivery function of every stack: keep the link for the parent, or drop it. */
const deliver = discard ? () => {} : (link) => links.push(link);

let redis;
async function redisClient() {
  if (!redisUrl) throw new Error(`bench/server.mjs: stack ${stack} needs a redisUrl`);
  redis ??= await createClient({ url: redisUrl }).connect();
  return redis;
}

let pool;
/** A postgresStore on a pool of its own (pg's default of 10 connections), its table ensured. */
async function postgres() {
  if (!postgresUrl) throw new Error(`bench/server.mjs: stack ${stack} needs a postgresUrl`);
  pool = new pg.Pool({ connectionString: postgresUrl });
  pool.on('error', () => undefined);
  const store = postgresStore(pool);
  await store.ensureSchema();
  return store;
}

function sessions(store) {
  return session({ secret: SESSION_SECRET, resave: false, saveUninitialized: false, store });
}

/** express-magic-link, with express-session (the default adapter) or sealedCookieSession. */
function magicLinkApp(origin, { sealed, store, telemetry = false, passkeys = false }) {
  const app = express();
  if (!sealed) app.use(sessions());
  const router = magicLinkRouter({
    provider: selfHostedProvider(),
    secret: MAGIC_LINK_SECRET,
    origin,
    store,
    ...(sealed ? { session: sealedCookieSession({ secret: SESSION_SECRET }) } : {}),
    delivery: async (message) => deliver(message.link),
    // Rate limits are off so that one address can be used throughout.
    dangerouslyDisableRateLimit: true,
    // Wired, but no SDK is registered in this process: the API's no-ops answer.
    ...(telemetry ? { telemetry: openTelemetry(otelApi) } : {}),
    ...(passkeys
      ? {
          passkeys: {
            store: memoryPasskeyStore({ warnInProduction: false }),
            offerAfterSignIn: false,
          },
        }
      : {}),
    onEvent: (event) => {
      events[event.type] = (events[event.type] ?? 0) + 1;
    },
  });
  routers.push(router);
  app.use(router);
  app.get('/private', requireUser(), (req, res) => {
    res.send(`hello ${req.user.email}`);
  });
  return app;
}

/** A memoryStore with room for every key one run writes (rate limits are off). */
const bigMemoryStore = () => memoryStore({ warnInProduction: false, maxEntries: 5_000_000 });

/** The guard an app would write for itself: a route middleware, as requireUser() is. */
function handGuardApp(store) {
  const app = express();
  app.use(sessions(store));
  app.get('/login', (req, res, next) => {
    req.session.user = BENCH_USER;
    req.session.save((err) => (err ? next(err) : res.sendStatus(204)));
  });
  const requireLogin = (req, res, next) => {
    if (!req.session.user) return res.status(401).json({ error: 'unauthenticated' });
    next();
  };
  app.get('/private', requireLogin, (req, res) => {
    res.send(`hello ${req.session.user.email}`);
  });
  return app;
}

/** Passport with sessions, as both peers document it; the whole user goes in the session. */
function passportApp(strategy) {
  const app = express();
  const pass = new passport.Passport();
  pass.serializeUser((user, done) => done(null, user));
  pass.deserializeUser((user, done) => done(null, user));
  pass.use(strategy);
  app.use(sessions());
  app.use(pass.initialize());
  app.use(pass.session());
  app.get(
    '/private',
    (req, res, next) => {
      if (!req.isAuthenticated()) return res.status(401).json({ error: 'unauthenticated' });
      next();
    },
    (req, res) => {
      res.send(`hello ${req.user.email}`);
    },
  );
  return { app, pass };
}

const STACKS = {
  'magic-link': (origin) => magicLinkApp(origin, { sealed: false, store: bigMemoryStore() }),
  // The same, with passkeys on (bench/passkeys.mjs).
  'magic-link-passkeys': (origin) =>
    magicLinkApp(origin, { sealed: false, store: bigMemoryStore(), passkeys: true }),
  sealed: (origin) => magicLinkApp(origin, { sealed: true, store: bigMemoryStore() }),
  'sealed-otel': (origin) =>
    magicLinkApp(origin, { sealed: true, store: bigMemoryStore(), telemetry: true }),
  'sealed-redis': async (origin) =>
    magicLinkApp(origin, { sealed: true, store: redisStore(await redisClient()) }),
  'sealed-postgres': async (origin) =>
    magicLinkApp(origin, { sealed: true, store: await postgres() }),
  'hand-guard': () => handGuardApp(undefined),
  'hand-guard-redis': async () =>
    handGuardApp(new RedisStore({ client: await redisClient(), prefix: 'bench-sess:' })),
  bare: () => {
    const app = express();
    app.get('/private', (_req, res) => {
      res.send(`hello ${BENCH_USER.email}`);
    });
    app.post('/auth/magic-link', express.urlencoded({ extended: false }), (_req, res) => {
      res.redirect(303, '/auth/magic-link/sent');
    });
    return app;
  },
  // passport-magic-link 3: a signed JWT in the link; used tokens are remembered per user.
  'passport-magic-link': (origin) => {
    const { app, pass } = passportApp(
      new MagicLinkStrategy(
        { secret: MAGIC_LINK_SECRET, userFields: ['email'], tokenField: 'token' },
        async (user, token) => deliver(`${origin}/auth/magiclink/callback?token=${token}`),
        async (user) => ({ ...BENCH_USER, id: user.email, email: user.email }),
      ),
    );
    app.post(
      '/auth/magiclink',
      express.urlencoded({ extended: false }),
      pass.authenticate('magiclink', { action: 'requestToken' }),
      (_req, res) => res.redirect(303, '/check-your-inbox'),
    );
    app.get(
      '/auth/magiclink/callback',
      pass.authenticate('magiclink', { action: 'acceptToken' }),
      (_req, res) => res.redirect(303, '/private'),
    );
    return app;
  },
  // passport-magic-login 1.2: a JSON POST; a signed JWT in the link, valid until it expires.
  'passport-magic-login': (origin) => {
    const strategy = new MagicLoginStrategy({
      secret: MAGIC_LINK_SECRET,
      callbackUrl: '/auth/magiclogin/callback',
      sendMagicLink: async (_destination, href) => deliver(`${origin}${href}`),
      verify: (payload, callback) => {
        callback(null, { ...BENCH_USER, id: payload.destination, email: payload.destination });
      },
    });
    const { app, pass } = passportApp(strategy);
    app.post('/auth/magiclogin', express.json(), strategy.send);
    app.get('/auth/magiclogin/callback', pass.authenticate('magiclogin'), (_req, res) =>
      res.redirect(303, '/private'),
    );
    return app;
  },
};

if (!Object.hasOwn(STACKS, stack)) {
  console.error(`bench/server.mjs: unknown stack ${stack}. Use one of: ${Object.keys(STACKS)}`);
  process.exit(2);
}

const server = createServer();
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const origin = `http://127.0.0.1:${server.address().port}`;
server.on('request', await STACKS[stack](origin));

process.on('message', (message) => {
  switch (message) {
    case 'cpu': {
      const { user, system } = process.cpuUsage();
      process.send({ cpu: user + system });
      break;
    }
    case 'rss':
      process.send({
        rss: process.memoryUsage.rss(),
        peak: process.resourceUsage().maxRSS * 1024,
      });
      break;
    case 'links':
      // The answer comes before the email: wait for the sends already started.
      Promise.all(routers.map((router) => router.drain())).then(() =>
        process.send({ links: links.splice(0) }),
      );
      break;
    case 'events':
      process.send({ events });
      break;
  }
});
process.on('disconnect', () => {
  redis?.destroy();
  void pool?.end();
  process.exit(0);
});
process.send({ origin });
