import type { IncomingMessage, ServerResponse } from 'node:http';
import type { MagicLinkProfile } from '../profile';

/**
 * Where a signed-in user lives. The app owns its sessions; the package only authenticates.
 *
 * Required:
 * - `getUser` returns the signed-in user, or `null`. It is called on every request, so it may
 *   answer synchronously when it can.
 * - `signIn` must issue a new session identifier (to defeat session fixation) before storing the user.
 * - `signOut` must destroy the server-side session, so a replayed cookie is worthless.
 */
export interface SessionAdapter {
  getUser(req: IncomingMessage): MagicLinkProfile | null | Promise<MagicLinkProfile | null>;
  signIn(req: IncomingMessage, res: ServerResponse, user: MagicLinkProfile): Promise<void>;
  signOut(req: IncomingMessage, res: ServerResponse): Promise<void>;
}
