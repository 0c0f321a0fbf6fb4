import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Store } from '../stores/store';

/** What `magicLinkRouter()` hands an adapter's optional `init` once, when it is built. */
export interface SessionContext {
  /**
   * The router's store, under a prefix of its own (`session:`), so its keys cannot collide with
   * pending sign-ins, tokens or rate-limit counters. It has `getSync` when the router's store does.
   */
  store: Store;
  /** Whether the router's origin is https: cookies must then be `Secure` (and may be `__Host-`). */
  secure: boolean;
  /** The router's origin, e.g. `https://app.example.com`. */
  origin: string;
  /**
   * Reports a failure the adapter handled itself (it failed closed rather than throwing), as a
   * `provider_error` event with reason `ERR_SESSION_FAILED`.
   */
  report(req: IncomingMessage, error: unknown): void;
}

/**
 * Where a signed-in user lives. The app owns its sessions; the package only authenticates.
 *
 * Required:
 * - `getUser` returns the signed-in user, or `null`. It is called on every request, so it may
 *   answer synchronously when it can. The router passes the response too, for an adapter that
 *   refreshes its cookie (set headers only; never end the response).
 * - `signIn` must issue a new session identifier (to defeat session fixation) before storing the user.
 * - `signOut` must destroy the server-side session, so a replayed cookie is worthless.
 *
 * Optional:
 * - `init` is called once by `magicLinkRouter()` with the router's store and origin.
 */
export interface SessionAdapter {
  getUser(
    req: IncomingMessage,
    res?: ServerResponse,
  ): Express.User | null | Promise<Express.User | null>;
  signIn(req: IncomingMessage, res: ServerResponse, user: Express.User): Promise<void>;
  signOut(req: IncomingMessage, res: ServerResponse): Promise<void>;
  init?(context: SessionContext): void;
}
