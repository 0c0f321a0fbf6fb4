import type { IncomingMessage } from 'node:http';

/** A request with a signed-in user: what {@link assertSignedIn} narrows `req` to. */
export type SignedInRequest = IncomingMessage & { user: Express.User };

/**
 * Narrows `req.user` from `Express.User | undefined` to `Express.User` in a handler that
 * `requireUser()` guards. Express's types cannot carry what one middleware set into the next
 * handler, so the handler says it: the call costs one check, and the framework's own request
 * type (`req.params`, `req.query`…) is kept. Should the guard be missing, it throws (Express
 * turns that into a 500) rather than let a visitor who is not signed in through.
 *
 * @example
 * app.get('/account', requireUser(), (req, res) => {
 *   assertSignedIn(req);
 *   res.send(`Hello ${req.user.id}`); // req.user: Express.User
 * });
 */
export function assertSignedIn(req: IncomingMessage): asserts req is SignedInRequest {
  if (!(req as { user?: unknown }).user) {
    throw new TypeError(
      "assertSignedIn: this request has no signed-in user. Fix: put requireUser() before the handler, e.g. app.get('/account', requireUser(), handler).",
    );
  }
}
