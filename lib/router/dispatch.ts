import type { IncomingMessage, ServerResponse } from 'node:http';
import { ERRORS, MagicLinkError } from '../errors';
import { bindingOf } from '../flow/pending';
import { safeReturnTo } from '../flow/return-to';
import type { RateLimiter } from '../flow/rate-limit';
import { withTimeout } from '../flow/timeout';
import { signedInRecently, reauthLocation } from '../flow/reauth';
import { bodyFields, bodyJson, clientIp, queryFields, redirect, wantsJson } from '../http';
import type { Fields } from '../http';
import type { RouterKit } from './kit';
import { isSameOrigin } from './same-origin';
import type { RouteSpec, Subject } from './routes';

type Next = (err?: unknown) => void;

function pathOf(req: IncomingMessage): string {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

/**
 * Every page we render refuses to be framed (threat model A8), with or without helmet. Another
 * `Content-Security-Policy` header is added rather than replacing helmet's: browsers enforce
 * each policy, so helmet's rules and ours both hold.
 */
function forbidFraming(res: ServerResponse): void {
  // appendHeader() with no header to append to validates and then calls setHeader(), which
  // validates again: only append when there is something to append to.
  if (res.hasHeader('Content-Security-Policy'))
    res.appendHeader('Content-Security-Policy', "frame-ancestors 'none'");
  else res.setHeader('Content-Security-Policy', "frame-ancestors 'none'");
  res.setHeader('X-Frame-Options', 'DENY');
}
type Methods = ReadonlyMap<string, RouteSpec>;

/** How long ago a sign-in may be for the routes with a `recentSignIn` column. */
export const ROUTE_RECENT_SIGN_IN_MS = 10 * 60 * 1000;
const SEGMENT = /^[A-Za-z0-9_-]{1,1400}$/;

/** `/a/:id/b` against `/a/xyz/b`: `{ id: 'xyz' }`, or `null`. */
function paramsOf(pattern: string, path: string): Record<string, string> | null {
  const want = pattern.split('/');
  const got = path.split('/');
  if (want.length !== got.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const w = want[i]!;
    const g = got[i]!;
    if (w.startsWith(':')) {
      if (!SEGMENT.test(g)) return null;
      params[w.slice(1)] = g;
    } else if (w !== g) return null;
  }
  return params;
}

/**
 * The one dispatcher: for every route of the table it applies, in order, the response headers,
 * 405 with `Allow`, HEAD as GET, the same-origin rule, body parsing, the limits and the human
 * check, and only then runs the handler. Every failure becomes the package's own page or JSON.
 */
export function createDispatcher(
  kit: RouterKit,
  table: readonly RouteSpec[],
  limiter: RateLimiter | null,
  presentError: (
    req: IncomingMessage,
    res: ServerResponse,
    err: MagicLinkError,
    path: string,
  ) => void,
): {
  match(path: string): Methods | undefined;
  dispatch(
    req: IncomingMessage,
    res: ServerResponse,
    next: Next,
    path: string,
    methods: Methods,
  ): Promise<void>;
  /** Answers a failure that came before dispatch (loading the user) with our own page. */
  fail(req: IncomingMessage, res: ServerResponse, next: Next, path: string, err: unknown): void;
} {
  const byPath = new Map<string, Map<string, RouteSpec>>();
  const patterns: [string, Map<string, RouteSpec>][] = [];
  for (const route of table) {
    if (!route.enabled) continue;
    const methods = byPath.get(route.path) ?? new Map<string, RouteSpec>();
    if (!byPath.has(route.path) && route.path.includes('/:')) patterns.push([route.path, methods]);
    methods.set(route.method, route);
    byPath.set(route.path, methods);
  }

  async function verdictFor(
    limits: RateLimiter,
    route: RouteSpec,
    subject: Subject | null,
    ip: string,
    nonce: string | null,
  ) {
    const sends: { ip?: string; email?: string } = {};
    const attempts: { ip?: string; binding?: string } = {};
    for (const scope of route.limits) {
      if (scope === 'ip') sends.ip = ip;
      else if (scope === 'ip-attempts') attempts.ip = ip;
      else if (scope === 'binding') {
        if (nonce !== null) attempts.binding = bindingOf(nonce);
      } else {
        const address = subject?.throttleKey ?? null;
        if (address !== null) sends.email = address;
      }
    }
    const verdict = await limits.check(sends);
    return verdict.ok ? limits.checkAttempt(attempts) : verdict;
  }

  /**
   * Counts the request against the route's limits. With `addressOnly`, only its address
   * limits: the second half for a route with a human check (see run()).
   */
  async function applyLimits(
    route: RouteSpec,
    req: IncomingMessage,
    subject: Subject | null,
    ip: string,
    nonce: string | null,
    addressOnly = false,
  ) {
    if (!limiter || route.limits.length === 0) return;
    let verdict;
    if (!addressOnly) verdict = await verdictFor(limiter, route, subject, ip, nonce);
    else if (subject?.throttleKey != null && route.limits.includes('address'))
      verdict = await limiter.checkAddress({ email: subject.throttleKey, ip });
    else return;
    if (!verdict.ok) {
      kit.emit(req, { type: 'rate_limited', scope: verdict.scope });
      throw new MagicLinkError('ERR_RATE_LIMITED', `Rate limited by ${verdict.scope}`, {
        retryAfter: verdict.retryAfterSeconds,
      });
    }
  }

  /**
   * The `human` column: asks `verifyHuman`, bounded by `providerTimeoutMs`, with the fields less
   * the address, so neither its answer nor its timing can depend on the address (A3). A `false`
   * refuses with 400; a throw or no answer refuses with 503: never a link without a yes.
   */
  async function checkHuman(route: RouteSpec, req: IncomingMessage, fields: Fields) {
    const verify = kit.o.verifyHuman;
    if (!route.human || !verify) return;
    // Neither the address nor the resend's sealed state (which holds it) reaches the verifier.
    const rest: Fields = { ...fields };
    delete rest.email;
    delete rest.state;
    let verdict: unknown;
    try {
      verdict = await withTimeout(Promise.resolve(verify(req, rest)), kit.o.providerTimeoutMs);
    } catch (err) {
      if (
        err instanceof MagicLinkError &&
        (err.code === 'ERR_HUMAN_CHECK_UNAVAILABLE' || err.code === 'ERR_HUMAN_CHECK_MISCONFIGURED')
      )
        throw err;
      const timedOut = err instanceof MagicLinkError && err.code === 'ERR_PROVIDER_UNAVAILABLE';
      throw new MagicLinkError(
        'ERR_HUMAN_CHECK_UNAVAILABLE',
        timedOut
          ? `verifyHuman did not answer within ${kit.o.providerTimeoutMs} ms`
          : 'verifyHuman failed',
        timedOut ? {} : { cause: err },
      );
    }
    const human =
      typeof verdict === 'object' && verdict !== null
        ? (verdict as { human?: unknown }).human
        : verdict;
    if (typeof human !== 'boolean') {
      throw new MagicLinkError(
        'ERR_HUMAN_CHECK_MISCONFIGURED',
        'verifyHuman must resolve to true, false or { human, reason }. Return a boolean from your function.',
      );
    }
    if (human) return;
    const reason = (verdict as { reason?: unknown }).reason;
    kit.emit(req, {
      type: 'human_check_failed',
      reason:
        typeof reason === 'string' && reason
          ? reason.replace(/[^\w.,:-]/g, '_').slice(0, 100)
          : 'rejected',
    });
    const err = new MagicLinkError('ERR_HUMAN_CHECK_FAILED', 'verifyHuman said no');
    err.context.returnTo = safeReturnTo(fields.returnTo, kit.o.origin, kit.o.afterSignIn);
    throw err;
  }

  async function run(route: RouteSpec, req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (route.sameOrigin && !isSameOrigin(req.headers, kit.o.origin)) {
      kit.warnings.crossSite(req);
      throw new MagicLinkError('ERR_CROSS_SITE', 'Cross-site request refused');
    }
    const user = (req as { user?: unknown }).user;
    if (route.signedIn && !user) {
      if (!req.readableEnded) req.resume();
      const err = new MagicLinkError('ERR_UNAUTHENTICATED', 'Not signed in');
      if (route.method === 'GET') {
        const then = route.afterSignIn === 'query-return-to' ? queryFields(req).returnTo : req.url;
        err.context.returnTo = safeReturnTo(then, kit.o.origin, kit.o.afterSignIn);
      }
      throw err;
    }
    if (route.recentSignIn && !signedInRecently(user, ROUTE_RECENT_SIGN_IN_MS)) {
      if (!req.readableEnded) req.resume();
      if (wantsJson(req))
        throw new MagicLinkError('ERR_REAUTHENTICATION_REQUIRED', 'Sign-in not recent');
      return redirect(res, reauthLocation(kit.paths.reauth, route.recentSignIn.returnTo));
    }
    let json: unknown;
    if (route.body === 'json') json = await bodyJson(req);
    const fields =
      route.body === 'fields'
        ? await bodyFields(req)
        : route.method === 'GET'
          ? queryFields(req)
          : {};
    const ip = clientIp(req);
    const nonce = kit.cookie.read(
      req.headers.cookie,
      (req as { cookies?: Record<string, unknown> }).cookies,
    );
    const subject = route.subject ? route.subject(fields, nonce, user) : null;
    if (route.human && kit.o.verifyHuman) {
      // The per-IP limits first, so a flood is refused before anyone calls the CAPTCHA
      // service; the address's limits only once the check has passed, so a bot that fails it
      // cannot use up the owner's emails for the hour (threat model A6).
      await applyLimits(route, req, null, ip, nonce);
      await checkHuman(route, req, fields);
      await applyLimits(route, req, subject, ip, nonce, true);
    } else {
      await applyLimits(route, req, subject, ip, nonce);
    }
    const params = route.path.includes('/:') ? (paramsOf(route.path, pathOf(req)) ?? {}) : {};
    await route.handler({ req, res, fields, nonce, ip, subject, json, params });
  }

  function notAllowed(res: ServerResponse, methods: Methods): MagicLinkError {
    const allowed = [...methods.keys()];
    res.setHeader(
      'Allow',
      allowed.includes('GET') ? [...allowed, 'HEAD'].join(', ') : allowed.join(', '),
    );
    return new MagicLinkError('ERR_BAD_REQUEST', 'Method not allowed', { status: 405 });
  }

  return {
    match(path) {
      const exact = byPath.get(path);
      if (exact || patterns.length === 0) return exact;
      for (const [pattern, methods] of patterns) if (paramsOf(pattern, path)) return methods;
      return undefined;
    },
    async dispatch(req, res, next, path, methods) {
      // Answered in the same tick as the request event, a keep-alive request that carries a
      // chunked body (HEAD or DELETE with a body, say) leaves Node's parser unable to reuse the
      // socket; one microtask later it drains the body as usual.
      await undefined;
      ourHeaders(res);
      const route = methods.get(req.method === 'HEAD' ? 'GET' : (req.method ?? 'GET'));
      try {
        res.setHeader('Content-Language', kit.translation(req).locale);
        if (!route) throw notAllowed(res, methods);
        await run(route, req, res);
      } catch (err) {
        fail(req, res, next, path, err);
      }
    },
    fail(req, res, next, path, err) {
      if (!res.headersSent) ourHeaders(res);
      fail(req, res, next, path, err);
    },
  };

  /** The headers every answer of ours carries, set before anything can fail. */
  function ourHeaders(res: ServerResponse): void {
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Pragma', 'no-cache');
    res.setHeader('Referrer-Policy', 'no-referrer');
    // Never read as another type than the one sent (the passkey script, JSON), helmet or not.
    res.setHeader('X-Content-Type-Options', 'nosniff');
    forbidFraming(res);
    // Pages and emails follow Accept-Language unless the app fixed the language.
    if (kit.o.languages.negotiates) {
      // appendHeader validates twice; most answers have no Vary yet.
      if (res.hasHeader('Vary')) res.appendHeader('Vary', 'Accept-Language');
      else res.setHeader('Vary', 'Accept-Language');
    }
  }

  /**
   * Answers a failure on one of our routes with our own page or JSON, in every NODE_ENV: never
   * Express's error page, which shows the stack outside production. What is not a
   * MagicLinkError (an app callback or an adapter that threw) becomes ERR_INTERNAL, its
   * original in the event. Only an answer already under way goes on to `next`.
   */
  function fail(
    req: IncomingMessage,
    res: ServerResponse,
    next: Next,
    path: string,
    err: unknown,
  ): void {
    if (res.headersSent) return next(err);
    const known =
      err instanceof MagicLinkError
        ? err
        : new MagicLinkError('ERR_INTERNAL', 'Unexpected failure', { cause: err });
    try {
      presentError(req, res, known, path);
    } catch (failure) {
      // The page itself failed (a custom page or the app's locale function threw): a bare one.
      kit.emit(req, { type: 'provider_error', reason: 'ERR_INTERNAL', error: failure });
      if (res.headersSent) {
        res.destroy();
        return;
      }
      res.statusCode = 500;
      res.setHeader('Content-Type', 'text/plain; charset=utf-8');
      res.end(ERRORS.ERR_INTERNAL.message);
    }
  }
}
