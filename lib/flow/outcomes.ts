import type { MagicLinkProfile } from '../profile';
import type { ProviderTokens } from '../providers/provider';

/** How a sign-in was finished, as the `sign_in` event reports it. */
export type SignInMethod = 'link' | 'code' | 'confirmed' | 'relay' | 'passkey';

/**
 * What the sign-in flow decided. The router turns each into a response; the flow never sees
 * `req` or `res` (passport's split: the strategy decides, the middleware responds).
 */
export type Outcome =
  /** A link was requested. The answer never says whether an email went out. */
  | { kind: 'sent'; nonce: string }
  /** The credential checked out: sign this profile in and land on `returnTo`. */
  | {
      kind: 'verified';
      profile: MagicLinkProfile;
      /** Tokens the provider issued with the sign-in, for `onSignIn` only. */
      tokens: ProviderTokens | null;
      returnTo: string;
      method: SignInMethod;
      /** The browser holds the binding, so its pending cookie has done its job. */
      bound: boolean;
    }
  /** Another browser (or a scanner) opened the link: ask before spending anything. */
  | {
      kind: 'confirm';
      via: 'callback' | 'wrapped';
      /** The whole address: a person tells their own from a look-alike only by reading all of it. */
      email: string;
      maskedEmail: string;
      fields: Readonly<Record<string, string>>;
    }
  /**
   * Another browser (or a scanner) opened the link under `crossDevice: 'relay'`: show it a code
   * to type in the browser that asked. Nothing was spent, and nothing here signs anyone in.
   */
  | { kind: 'relay'; code: string; maskedEmail: string }
  /** Go on to the provider's own link (the browser that asked opened a wrapped link). */
  | { kind: 'redirect'; location: string };
