// One benchmark server, alone in its process so that its RSS is its own. bench/run.mjs forks it:
//
//   node bench/server.mjs <magic-link | magic-link-discard | hand-guard | bare>
//
// It listens on 127.0.0.1 and answers its parent over IPC: `cpu` (µs used so far), `rss`,
// `links` (the links its delivery function captured since the last ask) and `events` (onEvent
// counts by type).
import { createServer } from 'node:http';
import express from 'express';
import session from 'express-session';
import { magicLinkRouter, memoryStore, requireUser, selfHostedProvider } from '../dist/index.mjs';

const SESSION_SECRET = 'bench-session-secret-0123456789abcdef0123';
const MAGIC_LINK_SECRET = 'bench-magic-link-secret-0123456789abcdef';
/** What the hand-written baseline keeps in its session: the same shape the package stores. */
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

const links = [];
const events = {};
const routers = [];

function sessions() {
  return session({ secret: SESSION_SECRET, resave: false, saveUninitialized: false });
}

function magicLinkApp(origin, delivery) {
  const app = express();
  app.use(sessions());
  const router = magicLinkRouter({
    provider: selfHostedProvider(),
    secret: MAGIC_LINK_SECRET,
    origin,
    // Rate limits are off, so one run writes a few hundred thousand keys: room for all of them,
    // so every round measures a sign-in request and not a full store refusing it.
    store: memoryStore({ warnInProduction: false, maxEntries: 5_000_000 }),
    delivery,
    dangerouslyDisableRateLimit: true,
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

const VARIANTS = {
  'magic-link': (origin) =>
    magicLinkApp(origin, async (message) => {
      links.push(message.link);
    }),
  'magic-link-discard': (origin) => magicLinkApp(origin, async () => {}),
  'hand-guard': () => {
    const app = express();
    app.use(sessions());
    app.get('/login', (req, res, next) => {
      req.session.user = BENCH_USER;
      req.session.save((err) => (err ? next(err) : res.sendStatus(204)));
    });
    // The guard an app would write for itself: a route middleware, as requireUser() is.
    const requireLogin = (req, res, next) => {
      if (!req.session.user) return res.status(401).json({ error: 'unauthenticated' });
      next();
    };
    app.get('/private', requireLogin, (req, res) => {
      res.send(`hello ${req.session.user.email}`);
    });
    return app;
  },
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
};

const variant = process.argv[2];
if (!Object.hasOwn(VARIANTS, variant)) {
  console.error(
    `bench/server.mjs: unknown variant ${variant}. Use one of: ${Object.keys(VARIANTS)}`,
  );
  process.exit(2);
}

const server = createServer();
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const origin = `http://127.0.0.1:${server.address().port}`;
server.on('request', VARIANTS[variant](origin));

process.on('message', (message) => {
  switch (message) {
    case 'cpu': {
      const { user, system } = process.cpuUsage();
      process.send({ cpu: user + system });
      break;
    }
    case 'rss':
      process.send({ rss: process.memoryUsage.rss() });
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
process.on('disconnect', () => process.exit(0));
process.send({ origin });
