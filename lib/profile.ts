/**
 * The signed-in user as every provider returns it: WorkOS's Profile shape, in camelCase.
 * The self-hosted provider fills the same fields, so apps can switch providers freely.
 */
export interface MagicLinkProfile {
  /** Stable per user. WorkOS: the profile id. Self-hosted: a keyed hash of the canonical email. */
  id: string;
  idpId: string;
  organizationId: string | null;
  connectionId: string;
  connectionType: 'MagicLink';
  /** The address the link was sent to, as the user typed it after validation (lower-cased domain). */
  email: string;
  firstName: string | null;
  lastName: string | null;
  rawAttributes: Record<string, unknown>;
}

declare global {
  // Declaration merging, as passport does it, so `req.user` is typed in the app with no cast.
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    // eslint-disable-next-line @typescript-eslint/no-empty-object-type
    interface User extends MagicLinkProfile {}
    interface Request {
      user?: User;
    }
  }
}
