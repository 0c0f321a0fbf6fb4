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
    /**
     * The signed-in user on `req.user`: what `onSignIn` returned, or the whole
     * {@link MagicLinkProfile} when the app has no `onSignIn`. An open interface, as passport's:
     * it promises only `id`, the one field every signed-in user has at run time. Declare the
     * fields your `onSignIn` keeps, and `req.user` has them with no cast.
     *
     * @example
     * declare global {
     *   namespace Express {
     *     interface User { email: string } // what onSignIn returns: ({ id: p.id, email: p.email })
     *   }
     * }
     * // Without an onSignIn, req.user is the whole profile:
     * // declare global { namespace Express { interface User extends MagicLinkProfile {} } }
     */
    interface User {
      /** Stable per user, never empty: `onSignIn` must return it (the profile's `id` by default). */
      id: string;
    }
    interface Request {
      user?: User;
    }
  }
}
