import type { IncomingMessage, ServerResponse } from 'node:http';
import { MagicLinkError } from './errors';
import type { MagicLinkErrorCode } from './errors';
import { parseEmail } from './flow/email';
import {
  bindingOf,
  holdsBinding,
  isNonce,
  isStatePayload,
  maskEmail,
  newId,
  newNonce,
} from './flow/pending';
import type { StatePayload } from './flow/pending';
import { safeReturnTo } from './flow/return-to';
import { createSealer } from './flow/seal';
import {
  appendSetCookie,
  bodyFields,
  parsedBodyFields,
  clientIp,
  queryFields,
  readCookie,
  redirect,
  sendHtml,
  sendJson,
  serializeCookie,
  wantsJson,
} from './http';
import type { Fields } from './http';
import { resolveOptions } from './options';
import type { MagicLinkEvent, MagicLinkOptions } from './options';
import {
  confirmPage,
  deniedPage,
  errorPage,
  expiredPage,
  sentPage,
  signInPage,
} from './pages/pages';
import type { MagicLinkProfile } from './profile';
import type { SessionAdapter } from './sessions/adapter';

type WithUser = IncomingMessage & { user?: Express.User };

/** A WorkOS link wrapped for our own email: the provider's link and the sign-in it belongs to. */
interface OpenLink {
  l: string;
  p: StatePayload;
}

/** Where `requireUser()` finds the router's settings on a request. */
export const ROUTER_CONTEXT = Symbol.for('express-magic-link.router');

export interface RouterContext {
  signInPath: string;
  origin: string;
}

type Next = (err?: unknown) => void;

/** A Connect/Express middleware function, usable with `app.use()` in Express 4 and 5. */
export type MagicLinkMiddleware = (req: IncomingMessage, res: ServerResponse, next: Next) => void;

/** Longest `code` the callback will look at; real ones are 43 (self-hosted) or ~30 (WorkOS). */
const MAX_CODE_LENGTH = 512;
const CODE_CHARS = /^[A-Za-z0-9_-]+$/;
/** An expired state still names the address, so its "send a new link" button works for a day. */
const RESEND_GRACE_MS = 24 * 60 * 60 * 1000;
/** The pending cookie outlives the links it binds, so a slow click still finds it. */
const COOKIE_SLACK_MS = 10 * 60 * 1000;
/** WorkOS authorization codes live 10 minutes. */
const WORKOS_CODE_TTL_MS = 10 * 60 * 1000;

const USER_MESSAGES: Record<MagicLinkErrorCode, string> = {
  ERR_BAD_REQUEST: 'The request was not understood.',
  ERR_BAD_EMAIL: 'Enter a valid email address.',
  ERR_BODY_TOO_LARGE: 'The request was too large.',
  ERR_CROSS_SITE: 'This request came from another site and was refused.',
  ERR_STATE_INVALID: 'This sign-in link is not valid.',
  ERR_STATE_EXPIRED: 'This sign-in link has expired or was already used.',
  ERR_LINK_INVALID: 'This sign-in link has expired or was already used.',
  ERR_LINK_EXPIRED: 'This sign-in link has expired or was already used.',
  ERR_CODE_INVALID: 'That code is not right, or it has expired.',
  ERR_CODE_LOCKED: 'Too many attempts. Ask for a new link.',
  ERR_CROSS_DEVICE_DENIED: 'Open the link in the browser where you asked for it.',
  ERR_SIGN_IN_REFUSED: 'This account cannot sign in.',
  ERR_RATE_LIMITED: 'Too many requests. Wait a little, then try again.',
  ERR_PROVIDER_UNAVAILABLE: 'We could not reach the sign-in service. Try again in a moment.',
  ERR_MAIL_FAILED: 'We could not send the email. Try again in a moment.',
  ERR_STORE_UNAVAILABLE: 'Sign-in is temporarily unavailable. Try again in a moment.',
  ERR_SESSION_FAILED: 'Sign-in is temporarily unavailable. Try again in a moment.',
  ERR_NOT_FOUND: 'Not found.',
};

function guardSession(session: SessionAdapter): SessionAdapter {
  const wrap = async <R>(fn: () => Promise<R>): Promise<R> => {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof MagicLinkError || err instanceof TypeError) throw err;
      throw new MagicLinkError('ERR_SESSION_FAILED', 'The session adapter failed', { cause: err });
    }
  };
  return {
    getUser: (req) => session.getUser(req),
    signIn: (req, res, user) => wrap(() => session.signIn(req, res, user)),
    signOut: (req, res) => wrap(() => session.signOut(req, res)),
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(
      () =>
        reject(
          new MagicLinkError(
            'ERR_PROVIDER_UNAVAILABLE',
            `The provider did not answer within ${ms} ms`,
          ),
        ),
      ms,
    );
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}

function sameAddress(a: string, b: string): boolean {
  const x = parseEmail(a);
  const y = parseEmail(b);
  return x.ok && y.ok ? x.canonical === y.canonical : a.toLowerCase() === b.toLowerCase();
}

function pathOf(req: IncomingMessage): string {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

/**
 * Mounts the magic-link routes and loads `req.user` on every request. Mount it at the root,
 * after express-session: `app.use(magicLinkRouter(opts))`.
 *
 * | Route | What it does |
 * | --- | --- |
 * | `GET  <basePath>/magic-link` | the sign-in page (unless `signInPage: false`) |
 * | `POST <basePath>/magic-link` | `email` (+ `returnTo`) as a form or JSON → 303 to the sent page, or 202 JSON |
 * | `GET  <basePath>/magic-link/sent` | "check your email", with the code form for providers with codes |
 * | `POST <basePath>/magic-link/verify` | a one-time code, from the browser that asked |
 * | `POST <basePath>/magic-link/resend` | a fresh link for the address in an expired state |
 * | `GET/POST <basePath>/magic-link/open` | the scanner-safe wrapper around WorkOS links |
 * | `GET/POST <basePath>/callback` | the link's landing page; POST is the cross-device confirmation |
 * | `POST <basePath>/logout` | sign out |
 *
 * @example
 * app.use(session({ secret: process.env.SESSION_SECRET!, resave: false, saveUninitialized: false }));
 * app.use(magicLinkRouter({ provider: selfHostedProvider(), delivery: smtpMailer({ transport: process.env.SMTP_URL!, from: 'login@example.com' }), secret: process.env.MAGIC_LINK_SECRET!, origin: 'https://app.example.com' }));
 * app.get('/account', requireUser(), (req, res) => res.json(req.user));
 */
export function magicLinkRouter(options: MagicLinkOptions): MagicLinkMiddleware {
  const o = resolveOptions(options);
  const store = o.store;
  const session = guardSession(o.session);
  const provider = o.provider;
  provider.init?.({ store, secrets: o.secrets });
  const stateSealer = createSealer(o.secrets, 'state');
  const linkSealer = createSealer(o.secrets, 'open-link');
  const limiter = o.rateLimiter;
  const cookieName = o.secureCookies ? '__Host-mlink' : 'mlink';
  const ttlMs = provider.linkTtlMs;
  const base = o.basePath;
  const paths = {
    signIn: `${base}/magic-link`,
    sent: `${base}/magic-link/sent`,
    verify: `${base}/magic-link/verify`,
    resend: `${base}/magic-link/resend`,
    open: `${base}/magic-link/open`,
    callback: `${base}/callback`,
    logout: `${base}/logout`,
  };
  const context: RouterContext = { signInPath: paths.signIn, origin: o.origin };
  const hasCodes = typeof provider.verifyCode === 'function';

  function emit(req: IncomingMessage, event: DistributiveOmit<MagicLinkEvent, 'at' | 'ip'>): void {
    try {
      o.onEvent({ ...event, at: new Date(), ip: clientIp(req) } as MagicLinkEvent);
    } catch {
      // A failing log hook must never break a sign-in.
    }
  }

  function isSameOrigin(req: IncomingMessage): boolean {
    const site = req.headers['sec-fetch-site'];
    if (site !== undefined && site !== 'same-origin') return false;
    const origin = req.headers.origin;
    // Under `Referrer-Policy: no-referrer` (helmet's default) Chromium sends `Origin: null` on a
    // page's own form POSTs. Sec-Fetch-Site cannot be set by page script, so it decides then.
    if (origin === 'null') return site === 'same-origin';
    if (origin !== undefined) return origin === o.origin;
    if (site === 'same-origin') return true;
    const referer = req.headers.referer;
    if (referer !== undefined) {
      try {
        return new URL(referer).origin === o.origin;
      } catch {
        return false;
      }
    }
    // Browsers send Origin on every cross-origin POST; a request with neither header is not
    // from a browser that could carry the victim's cookies.
    return true;
  }

  function requireSameOrigin(req: IncomingMessage): void {
    if (!isSameOrigin(req))
      throw new MagicLinkError('ERR_CROSS_SITE', 'Cross-site request refused');
  }

  function nonceOf(req: IncomingMessage): string | null {
    const value = readCookie(req, cookieName);
    return isNonce(value) ? value : null;
  }

  function setPendingCookie(res: ServerResponse, nonce: string): void {
    appendSetCookie(
      res,
      serializeCookie(cookieName, nonce, {
        maxAgeSeconds: (ttlMs + COOKIE_SLACK_MS) / 1000,
        secure: o.secureCookies,
      }),
    );
  }

  function clearPendingCookie(res: ServerResponse): void {
    appendSetCookie(
      res,
      serializeCookie(cookieName, '', { maxAgeSeconds: 0, secure: o.secureCookies }),
    );
  }

  function openState(state: unknown): StatePayload {
    const result = stateSealer.unseal<unknown>(state);
    if (!result.ok) {
      throw new MagicLinkError(
        result.reason === 'expired' ? 'ERR_STATE_EXPIRED' : 'ERR_STATE_INVALID',
        `State ${result.reason}`,
      );
    }
    if (!isStatePayload(result.value))
      throw new MagicLinkError('ERR_STATE_INVALID', 'State payload malformed');
    return result.value;
  }

  /** A genuine state, even one expired up to a day ago: enough to offer a resend. */
  function resendablePayload(state: unknown): StatePayload | null {
    const result = stateSealer.unseal<unknown>(state, { graceMs: RESEND_GRACE_MS });
    return result.ok && isStatePayload(result.value) ? result.value : null;
  }

  function checkCode(code: unknown): string {
    if (
      typeof code !== 'string' ||
      code.length === 0 ||
      code.length > MAX_CODE_LENGTH ||
      !CODE_CHARS.test(code)
    ) {
      throw new MagicLinkError('ERR_LINK_INVALID', 'Malformed code');
    }
    return code;
  }

  function render(
    req: IncomingMessage,
    res: ServerResponse,
    status: number,
    page: () => string,
    json: unknown,
  ): void {
    if (wantsJson(req)) sendJson(res, status, json);
    else sendHtml(res, status, page());
  }

  async function sendLink(
    req: IncomingMessage,
    res: ServerResponse,
    input: unknown,
    returnTo: string,
  ): Promise<void> {
    const email = parseEmail(input);
    if (!email.ok) {
      throw new MagicLinkError('ERR_BAD_EMAIL', `Email ${email.reason}`);
    }
    if (limiter) {
      const verdict = await limiter.check({ email: email.throttleKey, ip: clientIp(req) });
      if (!verdict.ok) {
        emit(req, { type: 'rate_limited', scope: verdict.scope });
        throw new MagicLinkError('ERR_RATE_LIMITED', `Rate limited by ${verdict.scope}`, {
          retryAfter: verdict.retryAfterSeconds,
        });
      }
    }
    // Reuse this browser's nonce, so every link it asked for stays bound to it.
    const nonce = nonceOf(req) ?? newNonce();
    setPendingCookie(res, nonce);
    if (await o.allow(email.address)) {
      const binding = bindingOf(nonce);
      const id = newId();
      const payload: StatePayload = { i: id, b: binding, r: returnTo, e: email.address };
      const state = stateSealer.seal(payload, ttlMs);
      const started = await withTimeout(
        provider.start(email.address, {
          state,
          redirectUri: o.redirectUri,
          binding,
          providerSends: o.delivery === 'workos',
        }),
        o.providerTimeoutMs,
      );
      if (o.delivery !== 'workos' && started.link) {
        // Our email never carries a raw WorkOS link: a scanner's GET must not be able to spend it.
        const link = provider.follow
          ? `${o.origin}${paths.open}?t=${linkSealer.seal({ l: started.link, p: payload } satisfies OpenLink, ttlMs)}`
          : started.link;
        try {
          await o.delivery({
            to: email.address,
            link,
            code: started.code,
            expiresAt: started.expiresAt,
          });
        } catch (err) {
          await started.revoke().catch(() => undefined);
          throw err instanceof MagicLinkError && err.code === 'ERR_MAIL_FAILED'
            ? err
            : new MagicLinkError('ERR_MAIL_FAILED', 'The email could not be sent', { cause: err });
        }
      }
      // Written only once the email is out: a link from a failed attempt finds no record.
      await store.set(`pending:${id}`, binding, ttlMs);
      emit(req, { type: 'link_sent', email: maskEmail(email.address) });
    }
    if (wantsJson(req)) sendJson(res, 202, { status: 'sent' });
    else redirect(res, paths.sent);
  }

  async function signIn(
    req: IncomingMessage,
    res: ServerResponse,
    payload: StatePayload,
    profile: MagicLinkProfile,
    method: 'link' | 'code' | 'confirmed',
  ): Promise<void> {
    const user = await o.onSignIn(profile, req);
    if (user === false)
      throw new MagicLinkError('ERR_SIGN_IN_REFUSED', 'onSignIn refused the user');
    await session.signIn(req, res, user);
    (req as WithUser).user = user;
    if (holdsBinding(nonceOf(req), payload.b)) clearPendingCookie(res);
    emit(req, { type: 'sign_in', userId: user.id, email: maskEmail(user.email), method });
    if (wantsJson(req)) sendJson(res, 200, { status: 'signed_in', returnTo: payload.r });
    else redirect(res, payload.r);
  }

  /**
   * Whether a failed exchange leaves the sign-in usable: after transient failures, and after a
   * code the provider refused (forged or truncated, so nothing of the user's was spent). A
   * refused guess costs nothing more: tokens carry 256 bits, and the state rides with the link.
   */
  function restorable(err: MagicLinkError): boolean {
    return (
      err.code === 'ERR_PROVIDER_UNAVAILABLE' ||
      err.code === 'ERR_STORE_UNAVAILABLE' ||
      err.code === 'ERR_LINK_INVALID'
    );
  }

  /** Spends the pending record, then the provider's code; gives the record back where `restorable`. */
  async function complete(
    req: IncomingMessage,
    res: ServerResponse,
    payload: StatePayload,
    code: string,
    method: 'link' | 'confirmed',
  ): Promise<void> {
    const binding = await store.take(`pending:${payload.i}`);
    if (binding === null)
      throw new MagicLinkError(
        'ERR_LINK_EXPIRED',
        'No pending sign-in (expired, used or never sent)',
      );
    const giveBack = () => store.set(`pending:${payload.i}`, binding, ttlMs).catch(() => undefined);
    let profile: MagicLinkProfile;
    try {
      profile = await withTimeout(provider.finish(code), o.providerTimeoutMs);
    } catch (err) {
      if (err instanceof MagicLinkError && restorable(err)) await giveBack();
      throw err;
    }
    // The credential and the state must name the same address, so the confirmation page can
    // never show one account while another signs in.
    if (!sameAddress(profile.email, payload.e)) {
      await giveBack();
      throw new MagicLinkError('ERR_STATE_INVALID', 'The code belongs to another sign-in');
    }
    await signIn(req, res, payload, profile, method);
  }

  /**
   * The person's own click on a WorkOS link a scanner already burned comes back as
   * `error=access_denied`. If the scanner delivered the code here first, the browser that asked
   * (and only it) finishes with that code.
   */
  async function rescue(
    req: IncomingMessage,
    res: ServerResponse,
    state: string | undefined,
  ): Promise<boolean> {
    if (o.delivery !== 'workos' || state === undefined) return false;
    const opened = stateSealer.unseal<unknown>(state);
    if (!opened.ok || !isStatePayload(opened.value)) return false;
    const payload = opened.value;
    if (!holdsBinding(nonceOf(req), payload.b)) return false;
    const code = await store.take(`rescue:${payload.i}`);
    if (code === null) return false;
    await complete(req, res, payload, code, 'link');
    return true;
  }

  /** GET of a link: completes only in the browser that asked; anyone else must confirm. */
  async function landing(
    req: IncomingMessage,
    res: ServerResponse,
    payload: StatePayload,
    proceed: () => Promise<void>,
    confirmFields: Fields,
    action: string,
  ): Promise<void> {
    if (holdsBinding(nonceOf(req), payload.b) && req.method === 'GET') return proceed();
    if (o.crossDevice === 'deny')
      throw new MagicLinkError('ERR_CROSS_DEVICE_DENIED', 'Link opened in another browser');
    // HEAD gets the same page's headers; neither spends anything.
    render(
      req,
      res,
      200,
      () =>
        confirmPage({
          appName: o.appName,
          action,
          maskedEmail: maskEmail(payload.e),
          fields: confirmFields,
        }),
      {
        status: 'confirmation_required',
        email: maskEmail(payload.e),
      },
    );
  }

  async function callbackGet(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const q = queryFields(req);
    if (q.error !== undefined) {
      if (await rescue(req, res, q.state)) return;
      throw new MagicLinkError(
        'ERR_LINK_EXPIRED',
        `Provider answered error=${q.error.slice(0, 40)}`,
      );
    }
    const code = checkCode(q.code);
    const payload = openState(q.state);
    if ((await store.get(`pending:${payload.i}`)) === null) {
      throw new MagicLinkError(
        'ERR_LINK_EXPIRED',
        'No pending sign-in (expired, used or never sent)',
      );
    }
    if (o.delivery === 'workos' && !holdsBinding(nonceOf(req), payload.b)) {
      // A WorkOS-branded email carries WorkOS's own link, which a scanner's GET burns. When the
      // scanner follows the redirect here, keep its unspent code for the browser that asked.
      await store.set(`rescue:${payload.i}`, code, Math.min(ttlMs, WORKOS_CODE_TTL_MS));
    }
    await landing(
      req,
      res,
      payload,
      () => complete(req, res, payload, code, 'link'),
      { code, state: q.state! },
      paths.callback,
    );
  }

  async function callbackPost(req: IncomingMessage, res: ServerResponse): Promise<void> {
    requireSameOrigin(req);
    const f = await bodyFields(req);
    const code = checkCode(f.code);
    const payload = openState(f.state);
    const bound = holdsBinding(nonceOf(req), payload.b);
    if (!bound && o.crossDevice === 'deny')
      throw new MagicLinkError('ERR_CROSS_DEVICE_DENIED', 'Link confirmed in another browser');
    await complete(req, res, payload, code, bound ? 'link' : 'confirmed');
  }

  function openLink(token: unknown, graceMs = 0): OpenLink {
    const result = linkSealer.unseal<Partial<OpenLink>>(token, { graceMs });
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
  }

  async function openGet(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const q = queryFields(req);
    const { l, p } = openLink(q.t);
    if ((await store.get(`pending:${p.i}`)) === null) {
      throw new MagicLinkError('ERR_LINK_EXPIRED', 'No pending sign-in');
    }
    await landing(req, res, p, async () => redirect(res, l), { t: q.t! }, paths.open);
  }

  async function openPost(req: IncomingMessage, res: ServerResponse): Promise<void> {
    requireSameOrigin(req);
    const f = await bodyFields(req);
    const { l, p } = openLink(f.t);
    const bound = holdsBinding(nonceOf(req), p.b);
    if (!bound && o.crossDevice === 'deny') {
      throw new MagicLinkError('ERR_CROSS_DEVICE_DENIED', 'Link confirmed in another browser');
    }
    if (!provider.follow)
      throw new MagicLinkError('ERR_NOT_FOUND', 'Provider has no wrapped links');
    // The browser confirmed, so the server spends the WorkOS link itself. Redirecting the
    // browser there instead would break under CSP form-action 'self' (helmet's default).
    const params = await withTimeout(provider.follow(l), o.providerTimeoutMs);
    if (params.get('error') !== null) {
      throw new MagicLinkError('ERR_LINK_EXPIRED', 'Provider refused the link');
    }
    if (openState(params.get('state')).i !== p.i) {
      throw new MagicLinkError('ERR_STATE_INVALID', 'Provider returned another state');
    }
    await complete(req, res, p, checkCode(params.get('code') ?? ''), bound ? 'link' : 'confirmed');
  }

  async function requestPost(req: IncomingMessage, res: ServerResponse): Promise<void> {
    requireSameOrigin(req);
    const f = await bodyFields(req);
    await sendLink(req, res, f.email, safeReturnTo(f.returnTo, o.origin, o.afterSignIn));
  }

  async function resendPost(req: IncomingMessage, res: ServerResponse): Promise<void> {
    requireSameOrigin(req);
    const f = await bodyFields(req);
    const payload = resendablePayload(f.state);
    if (!payload) throw new MagicLinkError('ERR_STATE_INVALID', 'Resend state invalid');
    await sendLink(req, res, payload.e, safeReturnTo(payload.r, o.origin, o.afterSignIn));
  }

  async function verifyPost(req: IncomingMessage, res: ServerResponse): Promise<void> {
    requireSameOrigin(req);
    const f = await bodyFields(req);
    const nonce = nonceOf(req);
    const code = (f.code ?? '').replace(/[\s-]/g, '');
    if (!nonce || !/^[0-9]{6}$/.test(code))
      throw new MagicLinkError('ERR_CODE_INVALID', nonce ? 'Malformed code' : 'No pending cookie');
    const verified = await provider.verifyCode!(bindingOf(nonce), code);
    const payload = openState(verified.state);
    if ((await store.take(`pending:${payload.i}`)) === null)
      throw new MagicLinkError('ERR_LINK_EXPIRED', 'No pending sign-in');
    await signIn(req, res, payload, verified.profile, 'code');
  }

  async function logoutPost(req: IncomingMessage, res: ServerResponse): Promise<void> {
    requireSameOrigin(req);
    await session.signOut(req, res);
    (req as WithUser).user = undefined;
    emit(req, { type: 'sign_out' });
    if (wantsJson(req)) sendJson(res, 200, { status: 'signed_out' });
    else redirect(res, o.afterSignOut);
  }

  function signInGet(req: IncomingMessage, res: ServerResponse): void {
    const q = queryFields(req);
    const returnTo = safeReturnTo(q.returnTo, o.origin, o.afterSignIn);
    const data = { appName: o.appName, action: paths.signIn, returnTo, error: null, email: '' };
    sendHtml(res, 200, typeof o.signInPage === 'function' ? o.signInPage(data) : signInPage(data));
  }

  function sentGet(req: IncomingMessage, res: ServerResponse): void {
    queryFields(req);
    sendHtml(
      res,
      200,
      sentPage({
        appName: o.appName,
        verifyAction: hasCodes ? paths.verify : null,
        signInHref: paths.signIn,
        error: null,
      }),
    );
  }

  type Handler = (req: IncomingMessage, res: ServerResponse) => Promise<void> | void;
  type Route = Partial<Record<string, Handler>>;
  const routes = new Map<string, Route>([
    [paths.signIn, { GET: o.signInPage === false ? undefined : signInGet, POST: requestPost }],
    [paths.sent, { GET: sentGet }],
    [paths.verify, hasCodes ? { POST: verifyPost } : {}],
    [paths.resend, { POST: resendPost }],
    [paths.open, provider.follow ? { GET: openGet, POST: openPost } : {}],
    [paths.callback, { GET: callbackGet, POST: callbackPost }],
    [paths.logout, { POST: logoutPost }],
  ]);

  function fail(
    req: IncomingMessage,
    res: ServerResponse,
    err: MagicLinkError,
    state: string | null,
  ): void {
    const message = USER_MESSAGES[err.code];
    if (err.retryAfter !== undefined) res.setHeader('Retry-After', String(err.retryAfter));
    if (
      err.code === 'ERR_PROVIDER_UNAVAILABLE' ||
      err.code === 'ERR_STORE_UNAVAILABLE' ||
      err.code === 'ERR_MAIL_FAILED' ||
      err.code === 'ERR_SESSION_FAILED'
    ) {
      emit(req, { type: 'provider_error', reason: err.code, error: err.cause ?? err });
    } else if (err.code !== 'ERR_RATE_LIMITED') {
      emit(req, { type: 'sign_in_failed', reason: err.code });
    }
    if (wantsJson(req)) {
      sendJson(res, err.status, { error: err.code.slice(4).toLowerCase(), message });
      return;
    }
    const path = pathOf(req);
    let page: string;
    switch (err.code) {
      case 'ERR_STATE_EXPIRED':
      case 'ERR_STATE_INVALID':
      case 'ERR_LINK_INVALID':
      case 'ERR_LINK_EXPIRED':
        page = expiredPage({
          resendAction: state ? paths.resend : null,
          state,
          signInHref: paths.signIn,
        });
        break;
      case 'ERR_BAD_EMAIL': {
        // Keep the visitor's returnTo (re-checked: it is still user input) and the app's own page.
        const data = {
          appName: o.appName,
          action: paths.signIn,
          returnTo: safeReturnTo(parsedBodyFields(req)?.returnTo, o.origin, o.afterSignIn),
          error: message,
          email: '',
        };
        page = typeof o.signInPage === 'function' ? o.signInPage(data) : signInPage(data);
        break;
      }
      case 'ERR_CODE_INVALID':
        page = sentPage({
          appName: o.appName,
          verifyAction: paths.verify,
          signInHref: paths.signIn,
          error: message,
        });
        break;
      case 'ERR_CROSS_DEVICE_DENIED':
        page = deniedPage({ appName: o.appName, signInHref: paths.signIn, hasCode: hasCodes });
        break;
      case 'ERR_BAD_REQUEST':
      case 'ERR_BODY_TOO_LARGE':
      case 'ERR_CROSS_SITE':
      case 'ERR_CODE_LOCKED':
      case 'ERR_SIGN_IN_REFUSED':
      case 'ERR_RATE_LIMITED':
      case 'ERR_PROVIDER_UNAVAILABLE':
      case 'ERR_MAIL_FAILED':
      case 'ERR_STORE_UNAVAILABLE':
      case 'ERR_SESSION_FAILED':
      case 'ERR_NOT_FOUND':
        page = errorPage({
          title:
            err.status === 503
              ? 'Please try again'
              : err.status === 429
                ? 'Slow down'
                : 'Sign-in problem',
          message,
          backHref: path === paths.sent || path === paths.verify ? paths.sent : paths.signIn,
        });
        break;
    }
    sendHtml(res, err.status, page);
  }

  /** The state a failed request carried, if it is genuine, for the one-click resend button. */
  function stateFrom(req: IncomingMessage, fields: Fields | null): string | null {
    try {
      const q = queryFields(req);
      const t = q.t ?? fields?.t;
      if (t !== undefined) {
        // An expired wrapped link still names the address; give it a fresh state for the resend form.
        return stateSealer.seal(openLink(t, RESEND_GRACE_MS).p, RESEND_GRACE_MS);
      }
      const state = q.state ?? fields?.state;
      return resendablePayload(state) ? (state as string) : null;
    } catch {
      return null;
    }
  }

  async function dispatch(
    req: IncomingMessage,
    res: ServerResponse,
    next: Next,
    route: Route,
  ): Promise<void> {
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Pragma', 'no-cache');
    res.setHeader('Referrer-Policy', 'no-referrer');
    const handler = route[req.method === 'HEAD' ? 'GET' : (req.method ?? 'GET')];
    if (!handler) {
      const allowed = Object.entries(route)
        .filter(([, h]) => h)
        .map(([m]) => m);
      if (allowed.length === 0) return next();
      res.setHeader(
        'Allow',
        allowed.includes('GET') ? [...allowed, 'HEAD'].join(', ') : allowed.join(', '),
      );
      return fail(
        req,
        res,
        new MagicLinkError('ERR_BAD_REQUEST', 'Method not allowed', { status: 405 }),
        null,
      );
    }
    try {
      await handler(req, res);
    } catch (err) {
      if (res.headersSent || !(err instanceof MagicLinkError)) return next(err);
      fail(req, res, err, stateFrom(req, parsedBodyFields(req)));
    }
  }

  const prefix = `${base}/`;

  function proceed(
    req: IncomingMessage,
    res: ServerResponse,
    next: Next,
    user: MagicLinkProfile | null,
  ): void {
    (req as WithUser).user = user ?? undefined;
    const path = pathOf(req);
    const route = path.startsWith(prefix) ? routes.get(path) : undefined;
    if (!route) return next();
    // Answered in the same tick as the request event, a keep-alive request that carries a
    // chunked body (HEAD or DELETE with a body, say) leaves Node's parser unable to reuse the
    // socket; one microtask later it drains the body as usual.
    Promise.resolve()
      .then(() => dispatch(req, res, next, route))
      .catch(next);
  }

  return function magicLinkRouter(req, res, next) {
    (req as unknown as Record<symbol, RouterContext>)[ROUTER_CONTEXT] = context;
    let user: ReturnType<SessionAdapter['getUser']>;
    try {
      user = session.getUser(req);
    } catch (err) {
      return next(err);
    }
    // Most requests are not ours and most adapters answer synchronously: no promise, no tick.
    if (user !== null && typeof (user as Promise<unknown>).then === 'function') {
      (user as Promise<MagicLinkProfile | null>).then((u) => proceed(req, res, next, u), next);
    } else {
      proceed(req, res, next, user as MagicLinkProfile | null);
    }
  };
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
