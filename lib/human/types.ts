import type { IncomingMessage } from 'node:http';

/**
 * What the sign-in page (and the expired page's resend form) shows when a human check is on.
 * Both strings come from the app or an adapter, never from a visitor.
 */
export interface HumanCheckWidget {
  /** The vendor's script, loaded with `async defer`. An `https:` URL. */
  scriptSrc: string;
  /**
   * Trusted markup placed inside the form, where the widget renders; the widget adds the token
   * field to the form itself. No `<script>`: that is `scriptSrc`.
   */
  html: string;
}

/**
 * A verifier's answer. `true`: a human, go on. `false`, or `{ human: false, reason }`: refuse with
 * 400; `reason` (e.g. the service's error code) reaches `onEvent`.
 */
export type HumanVerdict = boolean | { human: boolean; reason?: string };

/**
 * The `verifyHuman` option: decides whether a link request comes from a human, from the request
 * and its fields (the address excluded). Throw (or time out) when the check cannot be made: the
 * visitor gets 503 "try again", never a link.
 */
export type VerifyHuman = (
  req: IncomingMessage,
  fields: Readonly<Record<string, string>>,
) => Promise<HumanVerdict>;

/** What `turnstile()` and `hcaptcha()` return: a `verifyHuman`, with its widget when a sitekey was given. */
export interface HumanCheck {
  (req: IncomingMessage, fields: Readonly<Record<string, string>>): Promise<HumanVerdict>;
  /** The widget for the default pages; set when the adapter was given a `sitekey`. */
  readonly widget?: HumanCheckWidget;
}
