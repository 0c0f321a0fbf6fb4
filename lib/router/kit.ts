import type { IncomingMessage } from 'node:http';
import { MagicLinkError } from '../errors';
import type { SignInMethod } from '../flow/outcomes';
import type { FlowEvent } from '../flow/sign-in';
import { clientIp } from '../http';
import type { Translation } from '../i18n/index';
import type { MagicLinkEvent, ResolvedOptions } from '../options';
import { sentPage } from '../pages/pages';
import type { PasskeyScript } from '../pages/passkey-pages';
import { PASSKEY_CLIENT_HASH } from '../passkeys/client/bundle';
import type { SessionAdapter } from '../sessions/adapter';
import type { PendingCookie } from './pending-cookie';
import { createSetupWarnings } from './setup-warnings';
import type { SetupWarnings } from './setup-warnings';
import { redactError } from './redact';

/** The router's paths, all under `basePath`. */
export interface Paths {
  signIn: string;
  sent: string;
  verify: string;
  resend: string;
  open: string;
  callback: string;
  logout: string;
  /** Confirm it is you (recent sign-in), by passkey or by an emailed code. */
  reauth: string;
  passkeys: string;
  passkeyClient: string;
  passkeyOffer: string;
  passkeyRegisterOptions: string;
  passkeyRegister: string;
  passkeySignInOptions: string;
  passkeySignIn: string;
  /** `:id` is the passkey's credential id. */
  passkeyRename: string;
  passkeyDelete: string;
}

/** What every part of the router shares, built once by `magicLinkRouter()`. */
export interface RouterKit {
  o: ResolvedOptions;
  paths: Paths;
  session: SessionAdapter;
  cookie: PendingCookie;
  emit(req: IncomingMessage, event: FlowEvent): void;
  emitAt(ip: string, event: FlowEvent): void;
  /** The "check your email" page, with `error` above its code form. */
  sentPage(t: Translation, error: string | null): string;
  /** The request's language: chosen once per request, from the `locale` option or Accept-Language. */
  translation(req: IncomingMessage): Translation;
  /** Setup mistakes, each reported once. */
  warnings: SetupWarnings;
  /**
   * Where a browser lands after signing in, when not `returnTo`: the passkey offer, once per
   * browser. Set by the router when passkeys are on.
   */
  /** The passkey script and its routes, for pages; `null` when passkeys are off. */
  passkeyScript: PasskeyScript | null;
  landing?: (
    req: IncomingMessage,
    user: Express.User,
    outcome: { method: SignInMethod; returnTo: string },
  ) => Promise<string | null>;
}

export function pathsUnder(base: string): Paths {
  return {
    signIn: `${base}/magic-link`,
    sent: `${base}/magic-link/sent`,
    verify: `${base}/magic-link/verify`,
    resend: `${base}/magic-link/resend`,
    open: `${base}/magic-link/open`,
    callback: `${base}/callback`,
    logout: `${base}/logout`,
    reauth: `${base}/reauth`,
    passkeys: `${base}/passkeys`,
    passkeyClient: `${base}/passkeys/client.js`,
    passkeyOffer: `${base}/passkeys/offer`,
    passkeyRegisterOptions: `${base}/passkeys/register/options`,
    passkeyRegister: `${base}/passkeys/register`,
    passkeySignInOptions: `${base}/passkeys/sign-in/options`,
    passkeySignIn: `${base}/passkeys/sign-in`,
    passkeyRename: `${base}/passkeys/:id/rename`,
    passkeyDelete: `${base}/passkeys/:id/delete`,
  };
}

/** Session-adapter failures become ERR_SESSION_FAILED, so they answer 503 like the others. */
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
    getUser: (req, res) => session.getUser(req, res),
    signIn: (req, res, user) => wrap(() => session.signIn(req, res, user)),
    signOut: (req, res) => wrap(() => session.signOut(req, res)),
  };
}

export function createKit(o: ResolvedOptions, cookie: PendingCookie): RouterKit {
  function emitAt(ip: string, event: FlowEvent): void {
    try {
      // A provider's (or adapter's) message may echo the address or a code: never pass it on.
      const safe =
        event.type === 'provider_error' ? { ...event, error: redactError(event.error) } : event;
      o.onEvent({ ...safe, at: new Date(), ip } as MagicLinkEvent);
    } catch {
      // A failing log hook must never break a sign-in.
    }
  }
  const paths = pathsUnder(o.basePath);
  const chosen = new WeakMap<IncomingMessage, Translation>();
  const emailCodes = o.capabilities.checksCodes;
  const relay = o.crossDevice === 'relay';
  const sent = {
    appName: o.appName,
    verifyAction: emailCodes || relay ? paths.verify : null,
    signInHref: paths.signIn,
    // The provider's own email carries only a code (WorkOS Magic Auth): no link to talk about.
    codeOnly: emailCodes && o.delivery === 'provider',
    emailCodes,
    relay,
  };
  return {
    o,
    paths,
    session: guardSession(o.session),
    cookie,
    emit: (req, event) => emitAt(clientIp(req), event),
    emitAt,
    sentPage: (t, error) => sentPage({ ...sent, error }, t),
    warnings: createSetupWarnings({
      origin: o.origin,
      basePath: o.basePath,
      pendingCookie: cookie.name,
      passkeys: o.passkeys !== null,
      report(req, code, message) {
        emitAt(clientIp(req), { type: 'setup_warning', code, message });
        console.warn(message);
      },
    }),
    passkeyScript: o.passkeys
      ? {
          src: `${paths.passkeyClient}?v=${PASSKEY_CLIENT_HASH}`,
          signInOptions: paths.passkeySignInOptions,
          signIn: paths.passkeySignIn,
          registerOptions: paths.passkeyRegisterOptions,
          register: paths.passkeyRegister,
        }
      : null,
    translation(req) {
      // Only the app's locale function needs remembering per request: it must run once.
      if (!o.languages.callsApp) return o.languages.choose(req);
      let t = chosen.get(req);
      if (t === undefined) {
        t = o.languages.choose(req);
        chosen.set(req, t);
      }
      return t;
    },
  };
}
