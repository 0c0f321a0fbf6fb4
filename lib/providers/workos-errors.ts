import { MagicLinkError } from '../errors';

/** How both WorkOS providers read the SDK's errors (8.13 and 11 expose them differently). */

/** The HTTP status of an SDK error, when it has one. */
export function statusOf(err: unknown): number | undefined {
  const status = (err as { status?: unknown } | null)?.status;
  return typeof status === 'number' ? status : undefined;
}

/** The OAuth `error` of a `{ error, error_description }` answer, as either SDK exposes it. */
export function oauthError(err: unknown): unknown {
  const e = err as { error?: unknown; rawData?: { error?: unknown } } | null;
  return e?.error ?? e?.rawData?.error;
}

/** A wrong client id or API key: every sign-in fails until the app's configuration is fixed. */
export function isMisconfigured(err: unknown): boolean {
  return oauthError(err) === 'invalid_client' || statusOf(err) === 401;
}

export function misconfigured(err: unknown): MagicLinkError {
  return new MagicLinkError(
    'ERR_PROVIDER_MISCONFIGURED',
    'WorkOS refused the client id or API key; check WORKOS_API_KEY and WORKOS_CLIENT_ID',
    { cause: err },
  );
}

export function unavailable(err: unknown): MagicLinkError {
  const status = statusOf(err);
  return new MagicLinkError(
    'ERR_PROVIDER_UNAVAILABLE',
    `WorkOS request failed${status ? ` with HTTP ${status}` : ''}`,
    { cause: err },
  );
}

/** The `code` of a `{ code, message }` answer: SDK 11 copies it onto the error, 8.13 keeps it in `rawData`. */
export function codeOf(err: unknown): unknown {
  const e = err as { code?: unknown; rawData?: { code?: unknown } | null } | null;
  return e?.rawData?.code ?? e?.code;
}
