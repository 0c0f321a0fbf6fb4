import type { IncomingMessage, ServerResponse } from 'node:http';
import { MagicLinkError } from '../errors';
import { bindingOf } from '../flow/pending';
import type { RateLimiter } from '../flow/rate-limit';
import { bodyFields, clientIp, queryFields } from '../http';
import type { RouterKit } from './kit';
import { isSameOrigin } from './same-origin';
import type { RouteSpec, Subject } from './routes';

type Next = (err?: unknown) => void;

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

/**
 * The one dispatcher: for every route of the table it applies, in order, the response headers,
 * 405 with `Allow`, HEAD as GET, the same-origin rule, body parsing and the limits, and only
 * then runs the handler. A `MagicLinkError` becomes its page or JSON; anything else goes to
 * `next(err)`.
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
} {
  const byPath = new Map<string, Map<string, RouteSpec>>();
  for (const route of table) {
    if (!route.enabled) continue;
    const methods = byPath.get(route.path) ?? new Map<string, RouteSpec>();
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

  async function applyLimits(
    route: RouteSpec,
    req: IncomingMessage,
    subject: Subject | null,
    ip: string,
    nonce: string | null,
  ) {
    if (!limiter || route.limits.length === 0) return;
    const verdict = await verdictFor(limiter, route, subject, ip, nonce);
    if (!verdict.ok) {
      kit.emit(req, { type: 'rate_limited', scope: verdict.scope });
      throw new MagicLinkError('ERR_RATE_LIMITED', `Rate limited by ${verdict.scope}`, {
        retryAfter: verdict.retryAfterSeconds,
      });
    }
  }

  async function run(route: RouteSpec, req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (route.sameOrigin && !isSameOrigin(req.headers, kit.o.origin))
      throw new MagicLinkError('ERR_CROSS_SITE', 'Cross-site request refused');
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
    const subject = route.subject ? route.subject(fields) : null;
    await applyLimits(route, req, subject, ip, nonce);
    await route.handler({ req, res, fields, nonce, ip, subject });
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
    match: (path) => byPath.get(path),
    async dispatch(req, res, next, path, methods) {
      // Answered in the same tick as the request event, a keep-alive request that carries a
      // chunked body (HEAD or DELETE with a body, say) leaves Node's parser unable to reuse the
      // socket; one microtask later it drains the body as usual.
      await undefined;
      res.setHeader('Cache-Control', 'no-store');
      res.setHeader('Pragma', 'no-cache');
      res.setHeader('Referrer-Policy', 'no-referrer');
      forbidFraming(res);
      const route = methods.get(req.method === 'HEAD' ? 'GET' : (req.method ?? 'GET'));
      try {
        if (!route) throw notAllowed(res, methods);
        await run(route, req, res);
      } catch (err) {
        if (res.headersSent || !(err instanceof MagicLinkError)) return next(err);
        presentError(req, res, err, path);
      }
    },
  };
}
