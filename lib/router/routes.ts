import type { Fields } from '../http';
import type { Handler, Subject } from './context';
import type { Handlers } from './handlers';
import type { Paths } from './kit';
import type { PasskeyHandlers } from './passkey-handlers';

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
  /**
   * `'fields'`: a form or JSON body, parsed with the repeated-key rule; `'none'`: no body (a GET
   * reads its query); `'json'`: a JSON object that may nest (WebAuthn responses), in `json`.
   */
  body: 'none' | 'fields' | 'json';
  /**
   * Only for a signed-in user: others get 401 `ERR_UNAUTHENTICATED` (the sign-in page for a
   * browser). Checked after the same-origin rule, before the body.
   */
  signedIn?: boolean;
  /**
   * With `signedIn`: a signed-out browser's sign-in goes on to the query's `returnTo` rather than
   * back to this page. For the recent-sign-in page: a fresh sign-in is itself recent, so coming
   * back here would ask the person to confirm twice.
   */
  afterSignIn?: 'this-page' | 'query-return-to';
  /**
   * Only for a user who signed in recently (see `requireUser({ recentSignIn })`): others are sent
   * to confirm it is them, then back to `returnTo`; JSON callers get 401
   * `reauthentication_required`.
   */
  recentSignIn?: { returnTo: string };
  /** Counted, in this order, before the handler runs; the first refusal answers 429. */
  limits: readonly LimitScope[];
  /**
   * Reads what the request is about, once: the `'address'` scope counts its throttle key, and
   * the handler gets it as `subject`, so an address is parsed (or a state opened) only once.
   * `nonce` is the browser's pending nonce, for a subject that only its binding may claim;
   * `user` is the signed-in user (`req.user`), for a route that sends to the address in use.
   */
  subject?: (fields: Fields, nonce: string | null, user: unknown) => Subject;
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
  /** The passkey routes' handlers; `null` when passkeys are off. */
  pk: PasskeyHandlers | null = null,
): RouteSpec[] {
  const off: Handler = () => undefined;
  const passkeys = pk !== null;
  const json = {
    ...({ method: 'POST', sameOrigin: true, human: false } as const),
    body: 'json',
  } as const;
  const attempts = ['ip-attempts', 'binding'] as const;
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
    // Recent sign-in: confirm it is you by an emailed code (or link) to the address in use.
    {
      ...page,
      path: paths.reauth,
      method: 'GET',
      signedIn: true,
      afterSignIn: 'query-return-to',
      enabled: true,
      handler: h.reauthPage,
    },
    {
      ...post,
      path: paths.reauth,
      // The address in use is counted as a typed one is, so a session cannot flood its mailbox.
      limits: ['ip', 'address'],
      subject: (_fields, _nonce, user) => h.reauthSubject(user),
      signedIn: true,
      enabled: true,
      handler: h.reauth,
    },
    // Passkeys. Options and verification count as credential checks, per IP and per browser,
    // before any WebAuthn work (threat model W8).
    {
      ...page,
      path: paths.passkeyClient,
      method: 'GET',
      enabled: passkeys,
      handler: pk?.client ?? off,
    },
    {
      ...page,
      path: paths.passkeyOffer,
      method: 'GET',
      signedIn: true,
      enabled: passkeys,
      handler: pk?.offerPage ?? off,
    },
    {
      ...page,
      path: paths.passkeys,
      method: 'GET',
      signedIn: true,
      enabled: passkeys,
      handler: pk?.list ?? off,
    },
    {
      ...post,
      path: paths.passkeyRegisterOptions,
      limits: attempts,
      signedIn: true,
      // Adding a credential is as sensitive as removing one: an old (perhaps stolen) session
      // must not plant a passkey of its own.
      recentSignIn: { returnTo: paths.passkeys },
      enabled: passkeys,
      handler: pk?.registerOptions ?? off,
    },
    {
      ...json,
      path: paths.passkeyRegister,
      limits: attempts,
      signedIn: true,
      // Adding a credential is as sensitive as removing one: an old (perhaps stolen) session
      // must not plant a passkey of its own.
      recentSignIn: { returnTo: paths.passkeys },
      enabled: passkeys,
      handler: pk?.register ?? off,
    },
    {
      ...post,
      path: paths.passkeySignInOptions,
      limits: attempts,
      enabled: passkeys,
      handler: pk?.signInOptions ?? off,
    },
    {
      ...json,
      path: paths.passkeySignIn,
      limits: attempts,
      enabled: passkeys,
      handler: pk?.signIn ?? off,
    },
    {
      ...post,
      path: paths.passkeyRename,
      limits: [],
      signedIn: true,
      recentSignIn: { returnTo: paths.passkeys },
      enabled: passkeys,
      handler: pk?.rename ?? off,
    },
    {
      ...post,
      path: paths.passkeyDelete,
      limits: [],
      signedIn: true,
      recentSignIn: { returnTo: paths.passkeys },
      enabled: passkeys,
      handler: pk?.remove ?? off,
    },
  ];
}
