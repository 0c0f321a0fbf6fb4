import { MagicLinkError } from '../errors';
import type { MagicLinkProfile } from '../profile';
import type { Provider, StartContext, StartResult } from './provider';
import { isMisconfigured, misconfigured, oauthError, unavailable } from './workos-errors';

/** WorkOS Magic Link sessions live 15 minutes; the codes they yield, 10. */
export const WORKOS_LINK_TTL_MS = 15 * 60 * 1000;
export const WORKOS_CODE_TTL_MS = 10 * 60 * 1000;

/**
 * The part of a `WorkOS` client (`@workos-inc/node` 8.13 or later) this provider uses. Typed
 * structurally so that the SDK stays an optional peer dependency and either major version fits.
 */
export interface WorkOSClientLike {
  passwordless: {
    createSession(options: {
      type: 'MagicLink';
      email: string;
      redirectURI?: string;
      state?: string;
      /** Seconds, 900 to 86400; both SDK 8.13 and 11 send it as `expires_in`. */
      expiresIn?: number;
    }): Promise<{ id: string; email: string; expiresAt: Date | string; link: string }>;
    sendSession(sessionId: string): Promise<unknown>;
  };
  sso: {
    getProfileAndToken(options: { code: string; clientId: string }): Promise<{
      profile: {
        id: string;
        idpId: string;
        organizationId?: string | null;
        connectionId: string;
        connectionType: string;
        email: string;
        firstName?: string | null;
        lastName?: string | null;
        rawAttributes?: Record<string, unknown>;
      };
    }>;
  };
}

export interface WorkOSProviderOptions {
  /** A client: `new WorkOS(process.env.WORKOS_API_KEY, { clientId })`. */
  workos: WorkOSClientLike;
  /** Your WorkOS client id (`client_…`). */
  clientId: string;
}

/**
 * Only `invalid_grant` (an unknown, used or expired code) and `invalid_request` (a missing or
 * malformed one) are about the code the visitor brought; any other 400 is not their doing.
 */
function isInvalidGrant(err: unknown): boolean {
  const error = oauthError(err);
  return error === 'invalid_grant' || error === 'invalid_request';
}

/**
 * WorkOS Magic Link through the official SDK.
 *
 * @example
 * import { WorkOS } from '@workos-inc/node';
 * const provider = workosProvider({
 *   workos: new WorkOS(process.env.WORKOS_API_KEY, { clientId: process.env.WORKOS_CLIENT_ID }),
 *   clientId: process.env.WORKOS_CLIENT_ID!,
 * });
 */
export function workosProvider(options: WorkOSProviderOptions): Provider {
  const { workos, clientId } = options ?? ({} as WorkOSProviderOptions);
  if (
    !workos ||
    typeof workos.passwordless?.createSession !== 'function' ||
    typeof workos.sso?.getProfileAndToken !== 'function'
  ) {
    throw new TypeError(
      "workosProvider: workos must be a WorkOS client. Pass workos: new WorkOS(process.env.WORKOS_API_KEY, { clientId }) from '@workos-inc/node'.",
    );
  }
  if (typeof clientId !== 'string' || !clientId) {
    throw new TypeError(
      'workosProvider: clientId is required. Pass clientId: process.env.WORKOS_CLIENT_ID (it starts with client_).',
    );
  }

  async function start(email: string, ctx: StartContext): Promise<StartResult> {
    let session: Awaited<ReturnType<WorkOSClientLike['passwordless']['createSession']>>;
    try {
      session = await workos.passwordless.createSession({
        type: 'MagicLink',
        email,
        state: ctx.state,
        redirectURI: ctx.redirectUri,
        // Sent explicitly, so WorkOS's link, our state and our pending record expire together
        // and the email's "expires in 15 minutes" is true.
        expiresIn: WORKOS_LINK_TTL_MS / 1000,
      });
      if (ctx.providerSends) await workos.passwordless.sendSession(session.id);
    } catch (err) {
      throw isMisconfigured(err) ? misconfigured(err) : unavailable(err);
    }
    return {
      link: ctx.providerSends ? null : session.link,
      // The SDK types expiresAt as a Date, but passes the JSON string through.
      expiresAt: new Date(session.expiresAt),
      code: null,
      // A WorkOS link cannot be withdrawn; the router's pending record is deleted instead.
      revoke: async () => undefined,
    };
  }

  async function finish(code: string): Promise<MagicLinkProfile> {
    let result: Awaited<ReturnType<WorkOSClientLike['sso']['getProfileAndToken']>>;
    try {
      result = await workos.sso.getProfileAndToken({ code, clientId });
    } catch (err) {
      if (isInvalidGrant(err)) {
        throw new MagicLinkError('ERR_LINK_INVALID', 'WorkOS refused the code (invalid_grant)', {
          cause: err,
        });
      }
      throw isMisconfigured(err) ? misconfigured(err) : unavailable(err);
    }
    const p = result.profile;
    return {
      id: p.id,
      idpId: p.idpId,
      organizationId: p.organizationId ?? null,
      connectionId: p.connectionId,
      connectionType: 'MagicLink',
      email: p.email,
      firstName: p.firstName ?? null,
      lastName: p.lastName ?? null,
      rawAttributes: p.rawAttributes ?? {},
    };
  }

  async function follow(link: string): Promise<URLSearchParams> {
    let response: Response;
    try {
      response = await fetch(link, { redirect: 'manual', headers: { accept: 'text/html' } });
    } catch (err) {
      throw unavailable(err);
    }
    await response.body?.cancel();
    const location = response.headers.get('location');
    if (response.status < 300 || response.status > 399 || !location) {
      throw new MagicLinkError(
        'ERR_PROVIDER_UNAVAILABLE',
        `WorkOS link answered HTTP ${response.status} without a redirect`,
      );
    }
    return new URL(location, link).searchParams;
  }

  return {
    name: 'workos',
    linkTtlMs: WORKOS_LINK_TTL_MS,
    capabilities: { sendsOwnEmail: true, codeTtlMs: WORKOS_CODE_TTL_MS, remote: true },
    start,
    finish,
    follow,
  };
}
