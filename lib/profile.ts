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
  /** `'MagicLink'` for WorkOS Magic Link and the self-hosted provider; `'MagicAuth'` for WorkOS Magic Auth. */
  connectionType: 'MagicLink' | 'MagicAuth';
  /** The address signed in. Self-hosted: the canonical address (lower-cased). WorkOS: as WorkOS returns it. */
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
