import type { IncomingMessage, ServerResponse } from 'node:http';
import { MagicLinkError } from '../errors';
import type { Outcome } from '../flow/outcomes';
import { parseEmail } from '../flow/email';
import { maskEmail } from '../flow/pending';
import { appendSetCookie, redirect, sendHtml, sendJson, wantsJson } from '../http';
import { confirmPage, relayPage } from '../pages/pages';
import { stampSignIn } from '../flow/reauth';
import type { RouterKit } from './kit';
import type { RouteContext } from './context';

type WithUser = IncomingMessage & { user?: Express.User };

/** The address this browser is signed in as, when it is not the one the link is for. */
function signedInAsOther(req: IncomingMessage, email: string): string | null {
  // An app's onSignIn may keep no address on its user: then there is nothing to compare.
  const current = ((req as WithUser).user as { email?: unknown } | undefined)?.email;
  if (typeof current !== 'string') return null;
  const a = parseEmail(current);
  const b = parseEmail(email);
  const same = a.ok && b.ok ? a.canonical === b.canonical : current === email;
  return same ? null : current;
}

/** What `onSignIn` must return to sign someone in: an object with a non-empty string id. */
function isUser(value: unknown): value is Express.User {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    typeof (value as { id?: unknown }).id === 'string' &&
    (value as { id: string }).id !== ''
  );
}

/** What kind of value `onSignIn` returned, without the value itself (it may hold an address). */
function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value !== 'object')
    return typeof value === 'undefined' ? 'undefined' : `a ${typeof value}`;
  const id = (value as { id?: unknown }).id;
  if (id === undefined) return 'an object without an id';
  return id === '' ? 'an object with an empty id' : `an object whose id is a ${typeof id}`;
}

/** Answers with a page for browsers and JSON for API clients. */
function render(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  page: () => string,
  json: unknown,
): void {
  if (wantsJson(req)) sendJson(res, status, json);
  else sendHtml(res, status, page());
}

/**
 * Turns the flow's outcome into a response: 303 / 202 / 200, as HTML or JSON. Finishing a
 * sign-in lives here, since it touches the app's session: `onSignIn`, `session.signIn`,
 * `req.user`, clearing the pending cookie and the `sign_in` event.
 */
export function createResponder(
  kit: RouterKit,
): (c: Pick<RouteContext, 'req' | 'res' | 'ip'>, outcome: Outcome) => Promise<void> {
  const { o, paths } = kit;

  async function finishSignIn(
    req: IncomingMessage,
    res: ServerResponse,
    outcome: Outcome & { kind: 'verified' },
    ip: string,
  ): Promise<void> {
    const user: unknown = await o.onSignIn(outcome.profile, req, {
      method: outcome.method,
      tokens: outcome.tokens,
    });
    if (user === false)
      throw new MagicLinkError('ERR_SIGN_IN_REFUSED', 'onSignIn refused the user');
    // Checked before the session is touched: a session with no user id in it could be neither
    // reported nor ended by signOutEverywhere (hardening round 2, G05).
    if (!isUser(user)) {
      throw new MagicLinkError('ERR_INTERNAL', 'onSignIn returned no user', {
        cause: new TypeError(
          `magicLinkRouter: onSignIn must return an object with a non-empty string id, or false to refuse the sign-in (it returned ${kindOf(user)}). Return the profile, or e.g. (p) => ({ id: p.id, email: p.email }).`,
        ),
      });
    }
    // The session keeps when and how this person signed in, for `recentSignIn`.
    const stamped = stampSignIn(user, outcome.method, outcome.profile);
    await kit.session.signIn(req, res, stamped);
    kit.warnings.signedIn(req, res);
    // Reported as soon as the session is set, whatever happens next. The address is the one
    // that signed in (the profile's), since the app's user need not keep one. The IP is the one
    // the dispatcher read once: Express computes req.ip anew on every read.
    kit.emitAt(ip, {
      type: 'sign_in',
      userId: user.id,
      email: maskEmail(outcome.profile.email),
      method: outcome.method,
    });
    (req as WithUser).user = stamped;
    if (outcome.bound) appendSetCookie(res, kit.cookie.clear());
    if (wantsJson(req)) sendJson(res, 200, { status: 'signed_in', returnTo: outcome.returnTo });
    else redirect(res, (await kit.landing?.(req, stamped, outcome)) ?? outcome.returnTo);
  }

  return async function respond({ req, res, ip }, outcome) {
    switch (outcome.kind) {
      case 'sent':
        appendSetCookie(res, kit.cookie.set(outcome.nonce));
        if (wantsJson(req)) sendJson(res, 202, { status: 'sent' });
        else redirect(res, paths.sent);
        return;
      case 'verified':
        return finishSignIn(req, res, outcome, ip);
      case 'confirm':
        // HEAD gets the same page's headers; neither spends anything.
        render(
          req,
          res,
          200,
          () =>
            confirmPage(
              {
                appName: o.appName,
                action: outcome.via === 'callback' ? paths.callback : paths.open,
                email: outcome.email,
                signedInAs: signedInAsOther(req, outcome.email),
                fields: outcome.fields,
              },
              kit.translation(req),
            ),
          { status: 'confirmation_required', email: outcome.maskedEmail },
        );
        return;
      case 'relay':
        // Nothing on this page spends the link or signs this browser in.
        render(
          req,
          res,
          200,
          () =>
            relayPage(
              { appName: o.appName, code: outcome.code, signInHref: paths.signIn },
              kit.translation(req),
            ),
          {
            status: 'relay_required',
            code: outcome.code,
          },
        );
        return;
      case 'redirect':
        redirect(res, outcome.location);
        return;
    }
  };
}
