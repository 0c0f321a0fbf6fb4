import type { MagicLinkEvent } from '../options';

// The flow's inputs and events, shared by sign-in.ts and the steps it composes (landing.ts,
// send.ts). They sit below all of them, so no step imports the module that composes it.

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
/** An event as the flow reports it; the router adds the time and the client IP. */
export type FlowEvent = DistributiveOmit<MagicLinkEvent, 'at' | 'ip'>;

/**
 * What every step is told about the browser: its pending nonce (if any), IP, user agent and
 * language. The router picks the language (from `Accept-Language` or the `locale` option); the
 * flow only carries the tag into the email.
 */
export interface Client {
  nonce: string | null;
  ip: string;
  userAgent?: string | null;
  /** A shipped locale tag such as `'fr'`. @default 'en' */
  locale?: string;
}

export type LandInput = Client & {
  head: boolean;
  /** The request carried query parameters the link never has (a `follow=true`-style probe). */
  probe?: boolean;
} & (
    | { via: 'callback'; code?: string; state?: string; error?: string }
    | { via: 'wrapped'; t?: string }
  );
export type ConfirmInput = Client & {
  /** Finishing a relayed sign-in: the browser typed the code another browser was shown. */
  relayed?: boolean;
} & ({ via: 'callback'; code?: string; state?: string } | { via: 'wrapped'; t?: string });
