import { MagicLinkError } from '../errors';
import { randomBytes } from '../flow/random';
import { createSealer } from '../flow/seal';
import type { Sealer } from '../flow/seal';
import type { MagicLinkProfile } from '../profile';
import type { Store } from '../stores/store';
import type {
  Provider,
  ProviderClient,
  ProviderContext,
  ProviderSignIn,
  ReserveCodeCheck,
  StartContext,
  StartResult,
} from './provider';
import { createLiveCodes, sameCode } from './workos-magic-auth-codes';
import type { LiveCode, LiveCodes } from './workos-magic-auth-codes';
import { authenticateError, startError } from './workos-magic-auth-errors';
import {
  WORKOS_MAGIC_AUTH_TTL_MS,
  isSealedCode,
  lifetimeOf,
  parseRecord,
  radar,
} from './workos-magic-auth-records';
import type { BindingRecord, SealedCode } from './workos-magic-auth-records';

export { WORKOS_MAGIC_AUTH_TTL_MS };
/** Codes typed in the browser that asked, per sign-in, before it is locked. */
export const MAGIC_AUTH_MAX_CODE_ATTEMPTS = 5;

/** The profile's `connectionType`, as WorkOS names the authentication method. */
const CONNECTION_TYPE: MagicLinkProfile['connectionType'] = 'MagicAuth';
const CONNECTION_ID = 'conn_magic_auth';
const SEAL_PURPOSE = 'workos-magic-auth:link';
const CODE = /^[0-9]{6}$/;

/**
 * The part of a `WorkOS` client (`@workos-inc/node` 8.13 or later) this provider uses. Typed
 * structurally so that the SDK stays an optional peer dependency and either major version fits.
 */
export interface WorkOSMagicAuthClientLike {
  userManagement: {
    /** `ipAddress` and `userAgent` reach WorkOS from SDK 10.1 on; 8.13 drops them. */
    createMagicAuth(options: { email: string; ipAddress?: string; userAgent?: string }): Promise<{
      id: string;
      email: string;
      code: string;
      /** ISO 8601; both SDKs pass the JSON string through. */
      expiresAt: Date | string;
    }>;
    authenticateWithMagicAuth(options: {
      clientId: string;
      code: string;
      email: string;
      ipAddress?: string;
      userAgent?: string;
    }): Promise<{
      user: {
        id: string;
        email: string;
        firstName?: string | null;
        lastName?: string | null;
      };
      organizationId?: string | null;
      accessToken?: string;
      refreshToken?: string;
    }>;
  };
}

export interface WorkOSMagicAuthProviderOptions {
  /** A client: `new WorkOS(process.env.WORKOS_API_KEY, { clientId })`. */
  workos: WorkOSMagicAuthClientLike;
  /** Your WorkOS client id (`client_…`). */
  clientId: string;
}

/**
 * WorkOS Magic Auth (User Management): a 6-digit code, emailed by WorkOS (`delivery:
 * 'provider'`) or by the app. When the app sends the email, it also carries a link to the
 * callback whose `code` is the Magic Auth code sealed with the address, so a scanner that opens
 * it spends nothing until the flow calls `finish`. A typed code counts only in the browser that
 * asked for it.
 *
 * @example
 * import { WorkOS } from '@workos-inc/node';
 * const provider = workosMagicAuthProvider({
 *   workos: new WorkOS(process.env.WORKOS_API_KEY, { clientId: process.env.WORKOS_CLIENT_ID }),
 *   clientId: process.env.WORKOS_CLIENT_ID!,
 * });
 */
export function workosMagicAuthProvider(options: WorkOSMagicAuthProviderOptions): Provider {
  const { workos, clientId } = options ?? ({} as WorkOSMagicAuthProviderOptions);
  if (
    !workos ||
    typeof workos.userManagement?.createMagicAuth !== 'function' ||
    typeof workos.userManagement?.authenticateWithMagicAuth !== 'function'
  ) {
    throw new TypeError(
      "workosMagicAuthProvider: workos must be a WorkOS client (@workos-inc/node 8.13 or later). Pass workos: new WorkOS(process.env.WORKOS_API_KEY, { clientId }) from '@workos-inc/node'.",
    );
  }
  if (typeof clientId !== 'string' || !clientId) {
    throw new TypeError(
      'workosMagicAuthProvider: clientId is required. Pass clientId: process.env.WORKOS_CLIENT_ID (it starts with client_).',
    );
  }

  let store: Store | null = null;
  let sealer: Sealer | null = null;
  let codes: LiveCodes | null = null;

  function ready(): { store: Store; sealer: Sealer; codes: LiveCodes } {
    if (!store || !sealer || !codes) {
      throw new TypeError(
        'workosMagicAuthProvider: not initialised. Pass it to magicLinkRouter({ provider }) rather than calling it directly.',
      );
    }
    return { store, sealer, codes };
  }

  const recordKey = (binding: string) => `b:${binding}`;
  /** Present while the link of sign-in `n` is unspent; holds its binding. */
  const linkKey = (n: string) => `n:${n}`;
  const attemptsKey = (binding: string) => `a:${binding}`;

  async function authenticate(
    code: string,
    email: string,
    via: 'link' | 'code',
    client: ProviderClient | undefined,
  ): Promise<ProviderSignIn> {
    let result;
    try {
      result = await workos.userManagement.authenticateWithMagicAuth({
        clientId,
        code,
        email,
        ...radar(client),
      });
    } catch (err) {
      throw authenticateError(err, via);
    }
    const { accessToken, refreshToken } = result;
    const tokens =
      typeof accessToken === 'string' && typeof refreshToken === 'string'
        ? { accessToken, refreshToken }
        : null;
    return { profile: profileOf(result), tokens };
  }

  function profileOf(
    result: Awaited<
      ReturnType<WorkOSMagicAuthClientLike['userManagement']['authenticateWithMagicAuth']>
    >,
  ): MagicLinkProfile {
    const { user } = result;
    return {
      id: user.id,
      idpId: user.id,
      organizationId: result.organizationId ?? null,
      connectionId: CONNECTION_ID,
      connectionType: CONNECTION_TYPE,
      email: user.email,
      firstName: user.firstName ?? null,
      lastName: user.lastName ?? null,
      rawAttributes: {},
    };
  }

  /** Deletes the binding's record if it still belongs to sign-in `n` (not a newer one). */
  async function forget(binding: string, n: string): Promise<void> {
    const { store } = ready();
    const record = parseRecord(await store.get(recordKey(binding)));
    if (record?.n === n) await store.delete(recordKey(binding));
  }

  /**
   * The address's live code if it has one (see `LiveCodes` for why it is handed out again
   * rather than replaced), else a new one from WorkOS, kept for the next request.
   */
  async function codeFor(email: string, ctx: StartContext): Promise<LiveCode> {
    const { codes } = ready();
    const live = await codes.reusable(email);
    if (live) return live;
    let magicAuth: Awaited<
      ReturnType<WorkOSMagicAuthClientLike['userManagement']['createMagicAuth']>
    >;
    try {
      magicAuth = await workos.userManagement.createMagicAuth({ email, ...radar(ctx.client) });
    } catch (err) {
      throw startError(err);
    }
    const code = {
      i: magicAuth.id,
      c: magicAuth.code,
      x: Date.now() + lifetimeOf(magicAuth.expiresAt),
    };
    await codes.keep(email, code);
    return code;
  }

  async function start(email: string, ctx: StartContext): Promise<StartResult> {
    const { store, sealer } = ready();
    // With `delivery: 'provider'`, a reused code means WorkOS sends no new email: the owner's
    // earlier email (whoever asked for it) still holds the code, and it still works.
    const magicAuth = await codeFor(email, ctx);
    const ttlMs = magicAuth.x - Date.now();
    const expiresAt = new Date(magicAuth.x);
    const n = randomBytes(16).toString('base64url');
    const record: BindingRecord = { e: email, s: ctx.state, n, m: magicAuth.i };
    await store.set(recordKey(ctx.binding), JSON.stringify(record), ttlMs);
    const revoke = async () => {
      await store.delete(linkKey(n));
      await forget(ctx.binding, n);
    };
    if (ctx.providerSends) return { link: null, expiresAt, code: null, revoke };

    await store.set(linkKey(n), ctx.binding, ttlMs);
    const sealed: SealedCode = { c: magicAuth.c, e: email, n };
    const link = new URL(ctx.redirectUri);
    link.searchParams.set('code', sealer.seal(sealed, ttlMs));
    link.searchParams.set('state', ctx.state);
    return { link: link.href, expiresAt, code: magicAuth.c, revoke };
  }

  async function finish(token: string, client?: ProviderClient): Promise<ProviderSignIn> {
    const { store, sealer, codes } = ready();
    // Base64url has several spellings of the same bytes (unused trailing bits, a stray last
    // character); only the one we issued is accepted, so no forgery decodes to a genuine seal.
    const canonical =
      typeof token === 'string' && Buffer.from(token, 'base64url').toString('base64url') === token;
    const opened = canonical ? sealer.unseal<unknown>(token) : null;
    if (!opened?.ok || !isSealedCode(opened.value))
      throw new MagicLinkError('ERR_LINK_INVALID', 'Unknown, tampered or expired link');
    const { c, e, n } = opened.value;
    // Spent here, atomically, before WorkOS sees the code: a replayed or concurrent link is
    // refused locally, and so is a link whose code was typed in the browser already.
    const binding = await store.take(linkKey(n));
    if (binding === null)
      throw new MagicLinkError('ERR_LINK_INVALID', 'Link already used, revoked or expired');
    let result;
    try {
      result = await authenticate(c, e, 'link', client);
    } catch (err) {
      const left = opened.expiresAt - Date.now();
      if (
        err instanceof MagicLinkError &&
        (err.code === 'ERR_PROVIDER_UNAVAILABLE' || err.code === 'ERR_PROVIDER_MISCONFIGURED') &&
        left > 0
      ) {
        // WorkOS spent nothing: the link may be retried.
        await store.set(linkKey(n), binding, left).catch(() => undefined);
      }
      // The sealed code is genuine, so a refusal means WorkOS will not take it again (voided
      // elsewhere, used or locked): stop handing it out.
      if (
        err instanceof MagicLinkError &&
        (err.code === 'ERR_LINK_EXPIRED' || err.code === 'ERR_LINK_INVALID')
      )
        await codes.forget(e, (live) => sameCode(c, live)).catch(() => undefined);
      throw err;
    }
    await forget(binding, n);
    await codes.forget(e, (live) => sameCode(c, live));
    return result;
  }

  async function verifyCode(
    binding: string,
    code: string,
    client?: ProviderClient,
    reserve?: ReserveCodeCheck,
  ): Promise<ProviderSignIn & { state: string }> {
    const { store, codes } = ready();
    // Reserved before the check (increment, then compare), so parallel guesses cannot slip
    // through; and per browser before the record is looked up, so a browser whose address got
    // no code (sign-up off, allow() refused it) locks exactly like one with a code: the lock
    // must not tell the two apart (threat model T7).
    const { count, resetMs } = await store.increment(
      attemptsKey(binding),
      WORKOS_MAGIC_AUTH_TTL_MS,
    );
    if (count > MAGIC_AUTH_MAX_CODE_ATTEMPTS) {
      throw new MagicLinkError('ERR_CODE_LOCKED', 'Too many attempts for this code', {
        retryAfter: Math.max(1, Math.ceil(resetMs / 1000)),
      });
    }
    const record = parseRecord(await store.get(recordKey(binding)));
    if (!record) throw new MagicLinkError('ERR_CODE_INVALID', 'No pending code for this browser');
    if (typeof code !== 'string' || !CODE.test(code))
      throw new MagicLinkError('ERR_CODE_INVALID', 'Malformed code');
    // The address's budget (the flow's), before WorkOS sees the code (threat model A11).
    await reserve?.(record.e);
    // A wrong guess against the code we hold is refused here and never reaches WorkOS, so
    // guesses cannot trip WorkOS's per-code lock and void the owner's code.
    const live = record.m === undefined ? null : await codes.live(record.e);
    if (live !== null && live.i === record.m && !sameCode(code, live))
      throw new MagicLinkError('ERR_CODE_INVALID', 'Wrong code');
    let result;
    try {
      result = await authenticate(code, record.e, 'code', client);
    } catch (err) {
      if (!(err instanceof MagicLinkError)) throw err;
      if (err.code === 'ERR_LINK_EXPIRED' || err.code === 'ERR_SIGN_IN_REFUSED') {
        // WorkOS will never accept this code again: stop asking it, and stop handing it out.
        await store.delete(linkKey(record.n));
        await forget(binding, record.n);
        await codes.forget(record.e, (held) => held.i === record.m);
      } else if (err.code === 'ERR_CODE_INVALID' && live !== null) {
        // The code we hold was typed, yet WorkOS no longer knows it (voided elsewhere): the
        // next request must ask for a new one rather than hand this one out again.
        await codes.forget(record.e, (held) => held.i === record.m);
      }
      throw err;
    }
    await store.delete(linkKey(record.n));
    await forget(binding, record.n);
    await codes.forget(record.e, (held) => held.i === record.m);
    await store.delete(attemptsKey(binding));
    return { ...result, state: record.s };
  }

  function init(context: ProviderContext): void {
    store = context.store;
    sealer = createSealer(context.secrets, SEAL_PURPOSE);
    codes = createLiveCodes(store, createSealer(context.secrets, 'workos-magic-auth:live-code'));
  }

  return {
    name: 'workos-magic-auth',
    linkTtlMs: WORKOS_MAGIC_AUTH_TTL_MS,
    capabilities: {
      sendsOwnEmail: true,
      codeTtlMs: WORKOS_MAGIC_AUTH_TTL_MS,
      remote: true,
    },
    init,
    start,
    finish,
    verifyCode,
  };
}
