import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseDuration, reauthLocation, signedInRecently } from './flow/reauth';
import { safeReturnTo } from './flow/return-to';
import { redirect, sendJson, wantsJson } from './http';
import { routerContexts } from './router';
import type { MagicLinkMiddleware } from './router';

export interface RequireUserOptions {
  /**
   * Answer 401 JSON instead of redirecting, whatever the client accepts (for API routes).
   * @default false: HTML clients are redirected, JSON clients get 401
   */
  api?: boolean;
  /**
   * Also require a recent sign-in: a duration (`'10m'`, `'90s'`, `'1h'`) or milliseconds. A person
   * who signed in longer ago is asked to confirm it is them (by passkey, or by a code emailed to
   * the address they use), then comes back here; JSON callers get
   * `401 {"error":"reauthentication_required"}`.
   * @default no limit: any sign-in passes
   */
  recentSignIn?: number | string;
}

function looksLikeRequest(value: unknown): boolean {
  return !!value && typeof value === 'object' && 'method' in value && 'headers' in value;
}

/**
 * Guards a route: signed-in requests pass; others get a 303 to the sign-in page (HTML) carrying
 * a safe returnTo, or `401 {"error":"unauthenticated"}` (JSON and API clients).
 * Mount `magicLinkRouter()` first.
 *
 * @example
 * app.get('/account', requireUser(), (req, res) => {
 *   assertSignedIn(req); // types req.user as set
 *   res.send(`Hello ${req.user.id}`);
 * });
 */
export function requireUser(options?: RequireUserOptions): MagicLinkMiddleware {
  if (looksLikeRequest(options)) {
    throw new TypeError(
      'requireUser: it appears you have done something like `app.use(requireUser)`, but it should be `app.use(requireUser())`.',
    );
  }
  const api = options?.api ?? false;
  if (typeof api !== 'boolean')
    throw new TypeError(
      'requireUser: api must be a boolean. Pass { api: true } for JSON-only routes.',
    );

  const recentMs = options?.recentSignIn === undefined ? null : parseDuration(options.recentSignIn);
  if (options?.recentSignIn !== undefined && recentMs === null)
    throw new TypeError(
      `requireUser: recentSignIn must be a duration such as '10m', '90s' or '1h', or a positive number of milliseconds (got ${JSON.stringify(options.recentSignIn)}). Pass e.g. { recentSignIn: '10m' }.`,
    );

  return function requireUser(
    req: IncomingMessage,
    res: ServerResponse,
    next: (err?: unknown) => void,
  ) {
    const context = routerContexts.get(req);
    if (!context) {
      next(
        new TypeError(
          "requireUser: magicLinkRouter() has not run for this request. Fix: mount it at the root, before the routes that use requireUser(): app.use(magicLinkRouter({...})). Mounted under a path, as app.use('/auth', magicLinkRouter(...)), it sees only that path's requests: use its basePath option instead.",
        ),
      );
      return;
    }
    const user = (req as { user?: unknown }).user;
    if (user && (recentMs === null || signedInRecently(user, recentMs))) {
      next();
      return;
    }
    res.setHeader('Cache-Control', 'no-store');
    if (user) {
      if (api || wantsJson(req) || !context.reauthPath) {
        sendJson(res, 401, { error: 'reauthentication_required' });
        return;
      }
      const back = (req as { originalUrl?: string }).originalUrl ?? req.url ?? '/';
      redirect(res, reauthLocation(context.reauthPath, safeReturnTo(back, context.origin, '/')));
      return;
    }
    if (api || wantsJson(req)) {
      sendJson(res, 401, { error: 'unauthenticated' });
      return;
    }
    // originalUrl keeps the mount path that Express strips from req.url in sub-apps.
    const here = (req as { originalUrl?: string }).originalUrl ?? req.url ?? '/';
    const returnTo = safeReturnTo(here, context.origin, '/');
    redirect(res, `${context.signInPath}?returnTo=${encodeURIComponent(returnTo)}`);
  };
}
