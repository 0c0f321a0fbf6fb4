import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Fields } from '../http';
import type { Handlers } from './handlers';
import type { Paths } from './kit';

/**
 * A limiter scope a route can be counted in: sign-in emails per IP and per address, credential
 * checks per IP and per browser binding.
 */
export type LimitScope = 'ip' | 'address' | 'ip-attempts' | 'binding';

/** What a handler is given: the request, its fields, and the browser's pending nonce. */
export interface RouteContext {
  req: IncomingMessage;
  res: ServerResponse;
  /** The body's fields for `body: 'fields'`, the query's otherwise. */
  fields: Fields;
  nonce: string | null;
  ip: string;
}

export type Handler = (ctx: RouteContext) => Promise<void> | void;

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
  /** The address a request is about, for the `'address'` scope; `null` when it names none. */
  address?: (fields: Fields) => string | null;
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
    addressOfRequest: (email: unknown) => string | null;
    addressOfResend: (state: unknown) => string | null;
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
      address: (f) => opts.addressOfRequest(f.email),
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
      address: (f) => opts.addressOfResend(f.state),
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
