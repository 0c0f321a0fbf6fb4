import { MagicLinkError } from '../errors';
import { isStatePayload } from './pending';
import type { StatePayload } from './pending';
import { createSealer } from './seal';
import { withTimeout } from './timeout';

/** A provider's single-use link sealed inside ours, with the sign-in it belongs to. */
export interface WrappedLink {
  /** The provider's link. */
  l: string;
  /** The sign-in's state payload. */
  p: StatePayload;
}

/**
 * Our email never carries a provider's single-use link in clear, since a scanner's GET would
 * spend it: it carries `<open route>?t=<sealed link>`. Only the browser that asked, or a person
 * who confirms, makes the server follow the provider's link. Wired only when the provider can
 * `follow`.
 */
export interface ThirdPartyLinks {
  wrap(link: string, payload: StatePayload, ttlMs: number): string;
  /** Opens `t`; throws `ERR_LINK_INVALID` / `ERR_LINK_EXPIRED`. */
  open(token: unknown, graceMs?: number): WrappedLink;
  /** Follows the provider's link server-side; the query of the callback it redirects to. */
  follow(link: string): Promise<URLSearchParams>;
}

export function createThirdPartyLinks(options: {
  secrets: readonly string[];
  openUrl: string;
  follow: (link: string) => Promise<URLSearchParams>;
  timeoutMs: number;
}): ThirdPartyLinks {
  const sealer = createSealer(options.secrets, 'open-link');
  return {
    wrap: (link, payload, ttlMs) =>
      `${options.openUrl}?t=${sealer.seal({ l: link, p: payload } satisfies WrappedLink, ttlMs)}`,
    open(token, graceMs = 0) {
      const result = sealer.unseal<Partial<WrappedLink>>(token, { graceMs });
      if (!result.ok) {
        throw new MagicLinkError(
          result.reason === 'expired' ? 'ERR_LINK_EXPIRED' : 'ERR_LINK_INVALID',
          `Open link ${result.reason}`,
        );
      }
      const { l, p } = result.value;
      if (typeof l !== 'string' || !/^https?:\/\//.test(l) || !isStatePayload(p)) {
        throw new MagicLinkError('ERR_LINK_INVALID', 'Open link payload malformed');
      }
      return { l, p };
    },
    follow: (link) => withTimeout(options.follow(link), options.timeoutMs),
  };
}
