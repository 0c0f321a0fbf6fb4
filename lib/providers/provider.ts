import type { MagicLinkProfile } from '../profile';
import type { Store } from '../stores/store';

/**
 * Reserves one code check against the address's failure budget; rejects with `ERR_CODE_LOCKED`
 * when the budget is spent. The flow passes it to `verifyCode`.
 */
export type ReserveCodeCheck = (email: string) => Promise<void>;

/** What `magicLinkRouter()` shares with its provider. */
export interface ProviderContext {
  store: Store;
  /** The app's secrets, newest first. */
  secrets: readonly string[];
}

/**
 * The browser a provider call is made for. Providers that score risk (WorkOS Radar) pass it on;
 * the others ignore it.
 */
export interface ProviderClient {
  /** The client IP, as Express's `trust proxy` setting resolves it. */
  ip: string;
  /** The `User-Agent` header, at most 512 characters, or `null`. */
  userAgent: string | null;
}

/**
 * Credentials a provider issued with the sign-in (WorkOS Magic Auth's access and refresh
 * tokens). They reach `onSignIn` only, never `req.user` or the session, unless the app puts
 * them there.
 */
export interface ProviderTokens {
  accessToken: string;
  refreshToken: string;
}

/** What `finish` and `verifyCode` may return beside the profile. */
export interface ProviderSignIn {
  profile: MagicLinkProfile;
  tokens?: ProviderTokens | null;
}

/** What the flow hands a provider when a sign-in starts. */
export interface StartContext {
  /** The sealed state to carry across the redirect. */
  state: string;
  /** The absolute callback URL, `<origin><basePath>/callback`. */
  redirectUri: string;
  /** Digest of this browser's pending nonce; ties a one-time code to the browser that asked. */
  binding: string;
  /** True when the provider itself should email the link (`capabilities.sendsOwnEmail`). */
  providerSends: boolean;
  /** The browser that asked (absent when a provider is driven outside the flow). */
  client?: ProviderClient;
}

/** What a provider returns from `start`. */
export interface StartResult {
  /** The link to put in the email, or `null` when the provider emailed the user itself. */
  link: string | null;
  expiresAt: Date;
  /** A one-time code to show in the email, for providers that support codes. */
  code: string | null;
  /** Withdraw this sign-in, e.g. because its email could not be sent. */
  revoke(): Promise<void>;
}

/**
 * What a provider can do. The flow wires the matching mechanism once, at setup, instead of
 * testing which provider it has.
 */
export interface ProviderCapabilities {
  /**
   * The provider can email the link itself (`delivery: 'provider'`). Its link then never passes
   * through our hands, so the flow keeps a code a scanner delivered for the browser that asked.
   * @default false
   */
  sendsOwnEmail: boolean;
  /**
   * How long the code the provider's redirect carries stays valid.
   * @default the provider's `linkTtlMs`
   */
  codeTtlMs: number;
  /**
   * `finish` calls a third party, whose rate limit all users share. The flow then spends a
   * state after a few codes the provider refused, so junk against one genuine state costs at
   * most that many calls (threat model A4). A local provider's refusals cost one store read.
   * @default true
   */
  remote: boolean;
}

/**
 * A source of magic links. The flow knows nothing about WorkOS; a provider knows nothing about
 * HTTP routes. Every failure is a `MagicLinkError` (`ERR_LINK_INVALID`, `ERR_PROVIDER_UNAVAILABLE`, …).
 */
export interface Provider {
  readonly name: 'workos' | 'self-hosted' | (string & {});
  /** How long a link stays valid; the state that rides along lives as long. */
  readonly linkTtlMs: number;
  /** What the provider can do beyond `start` and `finish`. Presence of `verifyCode` and `follow` speaks for itself. */
  readonly capabilities?: Partial<ProviderCapabilities>;
  /** Called once by `magicLinkRouter()` with the shared store and the app secrets. */
  init?(context: ProviderContext): void;
  start(email: string, ctx: StartContext): Promise<StartResult>;
  /**
   * Exchange the `code` from the callback for the user's profile, or for the profile and the
   * tokens issued with it. Spends the code. `client` is the browser that finishes.
   */
  finish(code: string, client?: ProviderClient): Promise<MagicLinkProfile | ProviderSignIn>;
  /**
   * Check a one-time code typed by the user in the browser that holds `binding`. Spends the link
   * too. Once it knows which address the code belongs to, and before it compares the code (or
   * sends it to a third party), it awaits `reserve(address)`: the flow's one failure budget per
   * address, which throws `ERR_CODE_LOCKED` when it is spent (threat model A11).
   */
  verifyCode?(
    binding: string,
    code: string,
    client?: ProviderClient,
    reserve?: ReserveCodeCheck,
  ): Promise<ProviderSignIn & { state: string }>;
  /**
   * For scanner-safe WorkOS links: follow the provider's link server-side and return the
   * callback parameters it redirects to.
   */
  follow?(link: string): Promise<URLSearchParams>;
}

/** Every capability, resolved once from what a provider declares and which methods it has. */
export interface ResolvedCapabilities extends ProviderCapabilities {
  /** `verifyCode` exists: the "check your email" page takes a code. */
  checksCodes: boolean;
  /** `follow` exists: our email carries the provider's link wrapped in a scanner-safe one. */
  followsLinks: boolean;
}

export function capabilitiesOf(provider: Provider): ResolvedCapabilities {
  return {
    sendsOwnEmail: provider.capabilities?.sendsOwnEmail === true,
    codeTtlMs: provider.capabilities?.codeTtlMs ?? provider.linkTtlMs,
    remote: provider.capabilities?.remote !== false,
    checksCodes: typeof provider.verifyCode === 'function',
    followsLinks: typeof provider.follow === 'function',
  };
}

/** `finish` may answer with a bare profile (most providers) or with the profile and tokens. */
export function signInOf(result: MagicLinkProfile | ProviderSignIn): Required<ProviderSignIn> {
  return 'profile' in result && typeof result.profile === 'object' && result.profile !== null
    ? { profile: result.profile, tokens: result.tokens ?? null }
    : { profile: result as MagicLinkProfile, tokens: null };
}

/** The part of the flow's view of a browser a provider may see (never its nonce). */
export function providerClient(client: { ip: string; userAgent?: string | null }): ProviderClient {
  return { ip: client.ip, userAgent: client.userAgent ?? null };
}
