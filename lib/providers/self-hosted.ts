import { createHmac, hash as digestOf, randomInt, timingSafeEqual } from 'node:crypto';
import { MagicLinkError } from '../errors';
import { randomBase64url } from '../flow/random';
import { deriveKey } from '../flow/seal';
import { parseEmail } from '../flow/email';
import type { MagicLinkProfile } from '../profile';
import type { Store } from '../stores/store';
import type {
  Provider,
  ProviderClient,
  ProviderContext,
  ReserveCodeCheck,
  StartContext,
  StartResult,
} from './provider';

export const DEFAULT_TOKEN_TTL_MS = 15 * 60 * 1000;
export const MAX_TOKEN_TTL_MS = 60 * 60 * 1000;
export const DEFAULT_MAX_CODE_ATTEMPTS = 5;
const TOKEN = /^[A-Za-z0-9_-]{43}$/;
const CODE = /^[0-9]{6}$/;

export interface SelfHostedProviderOptions {
  /** How long a link and its code stay valid. At most 60 minutes. @default 900000 (15 minutes) */
  ttlMs?: number;
  /** Put a 6-digit one-time code in the email, for signing in on another device. @default true */
  codes?: boolean;
  /** Code checks allowed per link; past them only the link itself, or a new link, works. @default 5 */
  maxCodeAttempts?: number;
}

/**
 * What is stored under `tok:<sha256 of the token>`, as `<c>.<s>.<e>`: the code's keyed digest
 * (22 characters, or empty without codes), the sealed state minted with the link, and the
 * address. Both digests and the state are base64url, so the first two dots split it, and the
 * address may hold dots. No names, no binding (nothing read it) and no expiry (the store's TTL
 * enforces it, and the state carries its own): about 100 bytes fewer than the JSON it replaced.
 */
interface TokenRecord {
  /** address */
  e: string;
  /** sealed state minted with this link */
  s: string;
  /** keyed digest of the one-time code, or '' */
  c: string;
}

function encodeRecord(record: TokenRecord): string {
  // Our states are base64url; JSON keeps an odd one (with a dot) whole.
  return record.s.includes('.') ? JSON.stringify(record) : `${record.c}.${record.s}.${record.e}`;
}

function sha256(value: string): string {
  return digestOf('sha256', value, 'base64url');
}

const URL_SAFE = /^[A-Za-z0-9_-]*$/;

/**
 * `redirectUri` with `code` and `state` in its query, as `URL` and `searchParams.set` would
 * write it. A redirect URI with no query and no fragment, and values that need no escaping (our
 * tokens and sealed states are base64url), take a string concatenation instead: building a
 * `URL` and its search params cost about 3 kB and 4 µs per link.
 */
function linkBuilder(): (redirectUri: string, code: string, state: string) => string {
  let base: { uri: string; prefix: string | null } | null = null;
  return (redirectUri, code, state) => {
    if (base?.uri !== redirectUri) {
      const href = new URL(redirectUri).href;
      base = { uri: redirectUri, prefix: /[?#]/.test(href) ? null : `${href}?` };
    }
    if (base.prefix !== null && URL_SAFE.test(code) && URL_SAFE.test(state))
      return `${base.prefix}code=${code}&state=${state}`;
    const link = new URL(redirectUri);
    link.searchParams.set('code', code);
    link.searchParams.set('state', state);
    return link.href;
  };
}

/**
 * Magic links with no third party: 256-bit tokens of which only the SHA-256 is stored, spent by
 * an atomic take, plus an optional 6-digit code bound to the requesting browser.
 *
 * @example
 * app.use(magicLinkRouter({ provider: selfHostedProvider(), delivery: smtpMailer({...}), secret, origin }));
 */
export function selfHostedProvider(options: SelfHostedProviderOptions = {}): Provider {
  const ttlMs = options.ttlMs ?? DEFAULT_TOKEN_TTL_MS;
  if (!Number.isInteger(ttlMs) || ttlMs < 60_000 || ttlMs > MAX_TOKEN_TTL_MS) {
    throw new TypeError(
      `selfHostedProvider: ttlMs must be an integer between 60000 and ${MAX_TOKEN_TTL_MS} (got ${String(ttlMs)}). Pass e.g. ttlMs: 15 * 60 * 1000.`,
    );
  }
  const codes = options.codes ?? true;
  if (typeof codes !== 'boolean')
    throw new TypeError(
      'selfHostedProvider: codes must be a boolean. Pass codes: false to send links only.',
    );
  const maxAttempts = options.maxCodeAttempts ?? DEFAULT_MAX_CODE_ATTEMPTS;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1 || maxAttempts > 10) {
    throw new TypeError(
      'selfHostedProvider: maxCodeAttempts must be an integer from 1 to 10. Pass e.g. maxCodeAttempts: 5.',
    );
  }

  const linkTo = linkBuilder();
  let store: Store | null = null;
  let idKey: Buffer | null = null;
  let codeKey: Buffer | null = null;

  function ready(): { store: Store; idKey: Buffer; codeKey: Buffer } {
    if (!store || !idKey || !codeKey) {
      throw new TypeError(
        'selfHostedProvider: not initialised. Pass it to magicLinkRouter({ provider }) rather than calling it directly.',
      );
    }
    return { store, idKey, codeKey };
  }

  /** 128 bits of HMAC-SHA-256: plenty against forging a digest for one of 10^6 codes. */
  function codeDigest(code: string, tokenHash: string): string {
    return createHmac('sha256', ready().codeKey)
      .update(`${tokenHash}:${code}`)
      .digest()
      .subarray(0, 16)
      .toString('base64url');
  }

  function profileFor(address: string): MagicLinkProfile {
    const parsed = parseEmail(address);
    const canonical = parsed.ok ? parsed.canonical : address.toLowerCase();
    const id = `user_${createHmac('sha256', ready().idKey).update(canonical).digest('base64url').slice(0, 26)}`;
    return {
      id,
      idpId: id,
      organizationId: null,
      connectionId: 'conn_self_hosted',
      connectionType: 'MagicLink',
      email: canonical,
      firstName: null,
      lastName: null,
      rawAttributes: {},
    };
  }

  function parseRecord(raw: string | null): TokenRecord | null {
    if (!raw) return null;
    // JSON: a state with a dot in it, or a record written before the compact form (with `x`,
    // and a longer code digest), by a link sent just before an upgrade.
    if (raw.startsWith('{')) {
      try {
        const { e, s, c, x } = JSON.parse(raw) as TokenRecord & { x?: number };
        return x === undefined || x > Date.now() ? { e, s, c } : null;
      } catch {
        return null;
      }
    }
    const first = raw.indexOf('.');
    const second = raw.indexOf('.', first + 1);
    if (first < 0 || second < 0) return null;
    return { c: raw.slice(0, first), s: raw.slice(first + 1, second), e: raw.slice(second + 1) };
  }

  async function start(email: string, ctx: StartContext): Promise<StartResult> {
    const { store } = ready();
    const token = randomBase64url(32);
    const hash = sha256(token);
    const code = codes ? String(randomInt(0, 1_000_000)).padStart(6, '0') : null;
    const expiresAt = new Date(Date.now() + ttlMs);
    const record = encodeRecord({ e: email, s: ctx.state, c: code ? codeDigest(code, hash) : '' });
    const writes = [{ key: `tok:${hash}`, value: record, ttlMs }];
    if (code) writes.push({ key: `otp:${ctx.binding}`, value: hash, ttlMs });
    // One round trip for both where the store can (the router's always can).
    if (store.setMany) await store.setMany(writes);
    else for (const w of writes) await store.set(w.key, w.value, w.ttlMs);
    return {
      link: linkTo(ctx.redirectUri, token, ctx.state),
      expiresAt,
      code,
      revoke: async () => {
        await store.delete(`tok:${hash}`);
        if (code && (await store.get(`otp:${ctx.binding}`)) === hash)
          await store.delete(`otp:${ctx.binding}`);
      },
    };
  }

  async function finish(token: string): Promise<MagicLinkProfile> {
    if (!TOKEN.test(token)) throw new MagicLinkError('ERR_LINK_INVALID', 'Malformed token');
    const { store } = ready();
    const record = parseRecord(await store.take(`tok:${sha256(token)}`));
    if (!record) throw new MagicLinkError('ERR_LINK_INVALID', 'Unknown, used or expired token');
    return profileFor(record.e);
  }

  /** Reserves one check (increment first, then compare), so parallel guesses cannot slip through. */
  async function reserveCheck(key: string, limit: number, ttl: number, why: string): Promise<void> {
    const { count, resetMs } = await ready().store.increment(key, ttl);
    if (count > limit) {
      throw new MagicLinkError('ERR_CODE_LOCKED', why, {
        retryAfter: Math.max(1, Math.ceil(resetMs / 1000)),
      });
    }
  }

  async function verifyCode(
    binding: string,
    code: string,
    _client?: ProviderClient,
    reserve?: ReserveCodeCheck,
  ): Promise<{ profile: MagicLinkProfile; state: string }> {
    const { store } = ready();
    // Counted per browser before anything is looked up, so a browser whose address got no
    // email (allow() refused it) is locked after exactly as many wrong codes as one with a code
    // on record: the lock must not tell the two apart (threat model T7). The binding comes
    // from a MAC'd pending cookie, and the router's per-browser limit writes a counter anyway.
    await reserveCheck(`otpb:${binding}`, maxAttempts, ttlMs, 'Too many attempts in this browser');
    const hash = await store.get(`otp:${binding}`);
    const record = parseRecord(hash ? await store.get(`tok:${hash}`) : null);
    if (!hash || !record || !record.c)
      throw new MagicLinkError('ERR_CODE_INVALID', 'No pending code for this browser');
    await reserveCheck(`otpn:${hash}`, maxAttempts, ttlMs, 'Too many attempts for this link');
    // The address's budget, shared with every other kind of code, lives in the flow.
    await reserve?.(record.e);
    const given = Buffer.from(CODE.test(code) ? codeDigest(code, hash) : '');
    const expected = Buffer.from(record.c);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new MagicLinkError('ERR_CODE_INVALID', 'Wrong code');
    }
    const spent = parseRecord(await store.take(`tok:${hash}`));
    if (!spent)
      throw new MagicLinkError('ERR_CODE_INVALID', 'The link for this code was already used');
    await store.delete(`otp:${binding}`);
    await store.delete(`otpb:${binding}`);
    return { profile: profileFor(spent.e), state: spent.s };
  }

  function init(context: ProviderContext): void {
    store = context.store;
    // The oldest secret (last in the list) keys user ids, so ids survive rotation: new secrets
    // go first, and the original stays last for as long as the user ids must stay stable.
    const stable = context.secrets[context.secrets.length - 1]!;
    idKey = deriveKey(stable, 'self-hosted:user-id');
    codeKey = deriveKey(stable, 'self-hosted:code');
  }

  return {
    name: 'self-hosted',
    linkTtlMs: ttlMs,
    capabilities: { remote: false },
    init,
    start,
    finish,
    ...(codes ? { verifyCode } : {}),
  };
}
