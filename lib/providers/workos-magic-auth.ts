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
  StartContext,
  StartResult,
} from './provider';
import { authenticateError, startError } from './workos-magic-auth-errors';

/** WorkOS Magic Auth codes live 10 minutes. */
export const WORKOS_MAGIC_AUTH_TTL_MS = 10 * 60 * 1000;
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

/** What `verifyCode` needs, stored under the browser's binding. Never the code. */
interface BindingRecord {
  /** address */
  e: string;
  /** sealed state */
  s: string;
  /** link id: names this sign-in's link marker and attempt counter */
  n: string;
}

/** What the link carries, sealed. */
interface SealedCode {
  /** the Magic Auth code */
  c: string;
  /** address */
  e: string;
  /** link id */
  n: string;
}

/** The browser's IP and user agent, for WorkOS Radar's risk checks. */
function radar(client: ProviderClient | undefined): { ipAddress?: string; userAgent?: string } {
  if (!client) return {};
  return {
    ipAddress: client.ip,
    ...(client.userAgent !== null && { userAgent: client.userAgent }),
  };
}

/** How long the code WorkOS issued lives by our clock: its `expiresAt`, at most 10 minutes. */
function lifetimeOf(expiresAt: Date | string): number {
  const left = new Date(expiresAt).getTime() - Date.now();
  if (!Number.isFinite(left) || left <= 0) return WORKOS_MAGIC_AUTH_TTL_MS;
  return Math.min(Math.floor(left), WORKOS_MAGIC_AUTH_TTL_MS);
}

function parseRecord(raw: string | null): BindingRecord | null {
  if (!raw) return null;
  try {
    const record = JSON.parse(raw) as Partial<BindingRecord> | null;
    return record &&
      typeof record.e === 'string' &&
      typeof record.s === 'string' &&
      typeof record.n === 'string'
      ? (record as BindingRecord)
      : null;
  } catch {
    return null;
  }
}

function isSealedCode(value: unknown): value is SealedCode {
  const v = value as Partial<SealedCode> | null;
  return !!v && typeof v.c === 'string' && typeof v.e === 'string' && typeof v.n === 'string';
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

  function ready(): { store: Store; sealer: Sealer } {
    if (!store || !sealer) {
      throw new TypeError(
        'workosMagicAuthProvider: not initialised. Pass it to magicLinkRouter({ provider }) rather than calling it directly.',
      );
    }
    return { store, sealer };
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

  async function start(email: string, ctx: StartContext): Promise<StartResult> {
    const { store, sealer } = ready();
    let magicAuth: Awaited<
      ReturnType<WorkOSMagicAuthClientLike['userManagement']['createMagicAuth']>
    >;
    try {
      magicAuth = await workos.userManagement.createMagicAuth({ email, ...radar(ctx.client) });
    } catch (err) {
      throw startError(err);
    }
    const ttlMs = lifetimeOf(magicAuth.expiresAt);
    const expiresAt = new Date(Date.now() + ttlMs);
    const n = randomBytes(16).toString('base64url');
    const record: BindingRecord = { e: email, s: ctx.state, n };
    await store.set(recordKey(ctx.binding), JSON.stringify(record), ttlMs);
    const revoke = async () => {
      await store.delete(linkKey(n));
      await forget(ctx.binding, n);
    };
    if (ctx.providerSends) return { link: null, expiresAt, code: null, revoke };

    await store.set(linkKey(n), ctx.binding, ttlMs);
    const sealed: SealedCode = { c: magicAuth.code, e: email, n };
    const link = new URL(ctx.redirectUri);
    link.searchParams.set('code', sealer.seal(sealed, ttlMs));
    link.searchParams.set('state', ctx.state);
    return { link: link.href, expiresAt, code: magicAuth.code, revoke };
  }

  async function finish(token: string, client?: ProviderClient): Promise<ProviderSignIn> {
    const { store, sealer } = ready();
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
      throw err;
    }
    await forget(binding, n);
    return result;
  }

  async function verifyCode(
    binding: string,
    code: string,
    client?: ProviderClient,
  ): Promise<ProviderSignIn & { state: string }> {
    const { store } = ready();
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
    let result;
    try {
      result = await authenticate(code, record.e, 'code', client);
    } catch (err) {
      if (
        err instanceof MagicLinkError &&
        (err.code === 'ERR_LINK_EXPIRED' || err.code === 'ERR_SIGN_IN_REFUSED')
      ) {
        // WorkOS will never accept this code again: stop asking it.
        await store.delete(linkKey(record.n));
        await forget(binding, record.n);
      }
      throw err;
    }
    await store.delete(linkKey(record.n));
    await forget(binding, record.n);
    await store.delete(attemptsKey(binding));
    return { ...result, state: record.s };
  }

  function init(context: ProviderContext): void {
    store = context.store;
    sealer = createSealer(context.secrets, SEAL_PURPOSE);
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
