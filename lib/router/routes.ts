import type { Fields } from '../http';
import type { Handler, Subject } from './context';
import type { Handlers } from './handlers';
import type { Paths } from './kit';

export type { Handler, RouteContext, Subject } from './context';

/**
 * A limiter scope a route can be counted in: sign-in emails per IP and per address, credential
 * checks per IP and per browser binding.
 */
export type LimitScope = 'ip' | 'address' | 'ip-attempts' | 'binding';

/**
 * One row of the route table: everything the dispatcher applies before the handler runs. A
 * guard written by hand in five handlers is missing from the sixth; a column cannot be.
 */
export interface RouteSpec {
  path: string;
  method: 'GET' | 'POST';
  /** Refuse cross-site requests (threat model S4). */
  sameOrigin: boolean;
  /** `'fields'`: a form or JSON body, parsed with the repeated-key rule; `'none'`: no body (a GET reads its query). */
  body: 'none' | 'fields';
  /** Counted, in this order, before the handler runs; the first refusal answers 429. */
  limits: readonly LimitScope[];
  /**
   * Reads what the request is about, once: the `'address'` scope counts its throttle key, and
   * the handler gets it as `subject`, so an address is parsed (or a state opened) only once.
   * `nonce` is the browser's pending nonce, for a subject that only its binding may claim.
   */
  subject?: (fields: Fields, nonce: string | null) => Subject;
  /**
   * Ask `verifyHuman` (when the app set one) after the limits, before the handler: the routes
   * that make the provider or the mailer send an email.
   */
  human: boolean;
  enabled: boolean;
  handler: Handler;
}

/** The route table. Every column is applied by the dispatcher; handlers never repeat a guard. */
export function routeTable(
  paths: Paths,
  h: Handlers,
  opts: {
    signInPage: boolean;
    checksCodes: boolean;
    followsLinks: boolean;
  },
): RouteSpec[] {
  const page = { sameOrigin: false, body: 'none', limits: [], human: false } as const;
  const post = { method: 'POST', sameOrigin: true, body: 'fields', human: false } as const;
  return [
    { ...page, path: paths.signIn, method: 'GET', enabled: opts.signInPage, handler: h.signInPage },
    {
      ...post,
      path: paths.signIn,
      limits: ['ip', 'address'],
      subject: h.requestSubject,
      human: true,
      enabled: true,
      handler: h.request,
    },
    { ...page, path: paths.sent, method: 'GET', enabled: true, handler: h.sentPage },
    {
      ...post,
      path: paths.verify,
      limits: ['ip-attempts', 'binding'],
      enabled: opts.checksCodes,
      handler: h.verify,
    },
    {
      ...post,
      path: paths.resend,
      limits: ['ip', 'address'],
      subject: h.resendSubject,
      human: true,
      enabled: true,
      handler: h.resend,
    },
    { ...page, path: paths.open, method: 'GET', enabled: opts.followsLinks, handler: h.openGet },
    {
      ...post,
      path: paths.open,
      limits: ['ip-attempts', 'binding'],
      enabled: opts.followsLinks,
      handler: h.openPost,
    },
    { ...page, path: paths.callback, method: 'GET', enabled: true, handler: h.callbackGet },
    {
      ...post,
      path: paths.callback,
      limits: ['ip-attempts', 'binding'],
      enabled: true,
      handler: h.callbackPost,
    },
    { ...post, path: paths.logout, body: 'none', limits: [], enabled: true, handler: h.logout },
  ];
}
