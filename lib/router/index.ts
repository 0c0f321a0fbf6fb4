import type { IncomingMessage, ServerResponse } from 'node:http';
import { MagicLinkError } from '../errors';
import { createSignInFlow } from '../flow/sign-in';
import type { DrainOptions, DrainResult } from '../flow/send';
import { resolveOptions } from '../resolve-options';
import type { MagicLinkOptions } from '../options';
import type { SessionAdapter } from '../sessions/adapter';
import { prefixedStore } from '../stores/prefix';
import { createDispatcher } from './dispatch';
import { createPasskeyFlow } from '../passkeys/flow';
import { createHandlers } from './handlers';
import { createPasskeyHandlers, passkeyLanding } from './passkey-handlers';
import { createResponder } from './respond';
import { createKit } from './kit';
import { createPendingCookie } from './pending-cookie';
import { createErrorPresenter } from './present-error';
import { routeTable } from './routes';

type WithUser = IncomingMessage & { user?: Express.User };
type Next = (err?: unknown) => void;

export interface RouterContext {
  signInPath: string;
  origin: string;
  /** Where `requireUser({ recentSignIn })` sends a browser to confirm it is them. */
  reauthPath?: string;
}

/**
 * Where `requireUser()` finds the settings of the router that ran for a request. A WeakMap, not
 * a property of `req`: Express gives every request a prototype of its own (`setPrototypeOf`),
 * after which V8 cannot share hidden classes between requests, so each property added to `req`
 * copies its whole layout (about 1.4 kB, on every request). Kept under a registered symbol, so
 * the CommonJS and ESM builds share one map when an app happens to load both.
 */
const CONTEXTS = Symbol.for('express-magic-link.router-contexts');
const registry = globalThis as { [CONTEXTS]?: WeakMap<object, RouterContext> };
export const routerContexts: WeakMap<object, RouterContext> = (registry[CONTEXTS] ??=
  new WeakMap());

/** A Connect/Express middleware function, usable with `app.use()` in Express 4 and 5. */
export type MagicLinkMiddleware = (req: IncomingMessage, res: ServerResponse, next: Next) => void;

/** What `magicLinkRouter()` returns: the middleware, plus a way to wait for background sends. */
export interface MagicLinkRouter extends MagicLinkMiddleware {
  /**
   * Resolves once every sign-in email started so far has been handed to the provider or mailer
   * (or has failed, and its event was emitted), or once `timeoutMs` has passed, so a hung mailer
   * cannot hold a shutdown. Await it on shutdown, after `server.close()`.
   *
   * @example
   * const { settled, pending } = await router.drain({ timeoutMs: 10_000 });
   * if (!settled) console.warn(`${pending} sign-in emails were still being sent`);
   */
  drain(options?: DrainOptions): Promise<DrainResult>;
  /**
   * Removes every passkey of a user, for account deletion; resolves with how many there were
   * (`0` when passkeys are off). Sign-ins with them end at once.
   */
  removePasskeys(userId: string): Promise<number>;
}

function pathOf(req: IncomingMessage): string {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

/**
 * Mounts the magic-link routes and loads `req.user` on every request. Mount it at the root,
 * after express-session: `app.use(magicLinkRouter(opts))`.
 *
 * | Route | What it does |
 * | --- | --- |
 * | `GET  <basePath>/magic-link` | the sign-in page (unless `signInPage: false`) |
 * | `POST <basePath>/magic-link` | `email` (+ `returnTo`) as a form or JSON → 303 to the sent page, or 202 JSON |
 * | `GET  <basePath>/magic-link/sent` | "check your email", with the code form for providers with codes |
 * | `POST <basePath>/magic-link/verify` | a one-time code, from the browser that asked |
 * | `POST <basePath>/magic-link/resend` | a fresh link for the address in an expired state |
 * | `GET/POST <basePath>/magic-link/open` | the scanner-safe wrapper around a provider's own links |
 * | `GET/POST <basePath>/callback` | the link's landing page; POST is the cross-device confirmation |
 * | `POST <basePath>/logout` | sign out |
 *
 * @example
 * app.use(session({ secret: process.env.SESSION_SECRET!, resave: false, saveUninitialized: false }));
 * app.use(magicLinkRouter({ provider: selfHostedProvider(), delivery: smtpMailer({ transport: process.env.SMTP_URL!, from: 'login@example.com' }), secret: process.env.MAGIC_LINK_SECRET!, origin: 'https://app.example.com' }));
 * app.get('/account', requireUser(), (req, res) => res.json(req.user));
 */
export function magicLinkRouter(options: MagicLinkOptions): MagicLinkRouter {
  const o = resolveOptions(options);
  const telemetry = o.instrumentation;
  const provider = telemetry.provider(o.provider);
  const providerKeys = `p:${provider.name.replace(/[^A-Za-z0-9_-]/g, '_')}:`;
  provider.init?.({ store: prefixedStore(o.store, providerKeys), secrets: o.secrets });
  const cookie = createPendingCookie({
    secure: o.secureCookies,
    ttlMs: provider.linkTtlMs,
    secrets: o.secrets,
  });
  const kit = createKit(o, cookie);
  o.session.init?.({
    store: prefixedStore(o.store, 'session:'),
    secure: o.secureCookies,
    origin: o.origin,
    report: (req, error) =>
      kit.emit(req, { type: 'provider_error', reason: 'ERR_SESSION_FAILED', error }),
  });
  const flow = createSignInFlow({
    provider,
    capabilities: o.capabilities,
    store: o.store,
    secrets: o.secrets,
    origin: o.origin,
    redirectUri: o.redirectUri,
    openUrl: `${o.origin}${kit.paths.open}`,
    delivery: o.delivery,
    allow: o.allow,
    crossDevice: o.crossDevice,
    afterSignIn: o.afterSignIn,
    providerTimeoutMs: o.providerTimeoutMs,
    emit: (event, ip) => kit.emitAt(ip, event),
    background: telemetry.background,
  });
  const passkeys = o.passkeys;
  const passkeyHandlers = passkeys
    ? createPasskeyHandlers(
        kit,
        passkeys,
        createPasskeyFlow({
          passkeys,
          store: o.store,
          afterSignIn: o.afterSignIn,
          emit: (event, ip) => kit.emitAt(ip, event),
        }),
        createResponder(kit),
      )
    : null;
  if (passkeys) kit.landing = passkeyLanding(kit, passkeys);
  const table = routeTable(
    kit.paths,
    createHandlers(kit, flow),
    {
      signInPage: o.signInPage !== false,
      // Relay codes are typed on the same form as the email's codes.
      checksCodes: o.capabilities.checksCodes || o.crossDevice === 'relay',
      followsLinks: o.capabilities.followsLinks,
    },
    passkeyHandlers,
  );
  const dispatcher = createDispatcher(
    kit,
    table,
    o.rateLimiter,
    telemetry.presenter(createErrorPresenter(kit)),
  );
  const dispatch = telemetry.dispatch(dispatcher.dispatch);
  const context: RouterContext = {
    signInPath: kit.paths.signIn,
    origin: o.origin,
    reauthPath: kit.paths.reauth,
  };
  const prefix = `${o.basePath}/`;
  const session = kit.session;
  const warnings = kit.warnings;

  function proceed(
    req: IncomingMessage,
    res: ServerResponse,
    next: Next,
    user: Express.User | null,
  ): void {
    // `req.user` is read as `undefined` when absent: only write it when there is something to
    // set or to clear (see routerContexts on what a property of `req` costs).
    if (user !== null) (req as WithUser).user = user;
    else if ((req as WithUser).user !== undefined) (req as WithUser).user = undefined;
    const path = pathOf(req);
    const methods = path.startsWith(prefix) ? dispatcher.match(path) : undefined;
    if (!methods) return next();
    warnings.route(req);
    dispatch(req, res, next, path, methods).catch(next);
  }

  /**
   * The session adapter could not load the user. On the app's own routes that is the app's to
   * handle (`next(err)`); on ours it is answered with our page, as every failure there is.
   */
  function userFailed(req: IncomingMessage, res: ServerResponse, next: Next, err: unknown): void {
    const path = pathOf(req);
    if (!path.startsWith(prefix) || !dispatcher.match(path)) return next(err);
    const failure =
      err instanceof MagicLinkError || err instanceof TypeError
        ? err
        : new MagicLinkError('ERR_SESSION_FAILED', 'The session adapter failed', { cause: err });
    dispatcher.fail(req, res, next, path, failure);
  }

  const middleware: MagicLinkMiddleware = function magicLinkRouter(req, res, next) {
    routerContexts.set(req, context);
    warnings.request(req);
    let user: ReturnType<SessionAdapter['getUser']>;
    try {
      user = session.getUser(req, res);
    } catch (err) {
      return userFailed(req, res, next, err);
    }
    // Most requests are not ours and most adapters answer synchronously: no promise, no tick.
    if (user !== null && typeof (user as Promise<unknown>).then === 'function') {
      (user as Promise<Express.User | null>).then(
        (u) => proceed(req, res, next, u),
        (err: unknown) => userFailed(req, res, next, err),
      );
    } else {
      proceed(req, res, next, user as Express.User | null);
    }
  };
  return Object.assign(middleware, {
    drain: (options?: DrainOptions) => flow.drain(options),
    removePasskeys: async (userId: string) => (passkeys ? passkeys.store.deleteByUser(userId) : 0),
  });
}
