import type { IncomingMessage } from 'node:http';
import type { RequestSubject, ResendSubject, SignInFlow } from '../flow/sign-in';
import { MagicLinkError } from '../errors';
import { signedInEmail } from '../flow/reauth';
import { safeReturnTo } from '../flow/return-to';
import { redirect, sendHtml, sendJson, wantsJson } from '../http';
import { signInPage } from '../pages/pages';
import { reauthPage } from '../pages/passkey-pages';
import type { RouterKit } from './kit';
import { createResponder } from './respond';
import type { Fields } from '../http';
import type { Handler, Subject } from './context';

/** The address a recent-sign-in code goes to; none known (an old session): sign in again. */
function knownEmail(user: Express.User): string {
  const email = signedInEmail(user);
  if (!email) throw new MagicLinkError('ERR_UNAUTHENTICATED', 'No address known for this session');
  return email;
}

type WithUser = IncomingMessage & { user?: Express.User };

export interface Handlers {
  signInPage: Handler;
  request: Handler;
  /** The subject of a sign-in request, which `request` is given back. */
  requestSubject: (fields: Fields) => Subject;
  sentPage: Handler;
  verify: Handler;
  resend: Handler;
  /** The subject of a resend, which `resend` is given back. */
  resendSubject: (fields: Fields, nonce: string | null) => Subject;
  openGet: Handler;
  openPost: Handler;
  callbackGet: Handler;
  callbackPost: Handler;
  logout: Handler;
  /** Confirm it is you: the page (by passkey or emailed code) and the emailed code's request. */
  reauthPage: Handler;
  reauth: Handler;
  /** The subject of a reauth request: the signed-in user's address, counted as a typed one. */
  reauthSubject: (user: unknown) => Subject;
}

/** The `User-Agent` a provider may pass on for risk scoring, cut to a sane length. */
function userAgentOf(req: IncomingMessage): string | null {
  const ua = req.headers['user-agent'];
  return typeof ua === 'string' && ua ? ua.slice(0, 512) : null;
}

const CALLBACK_PARAMS = new Set(['code', 'state', 'error', 'error_description']);
const WRAPPED_PARAMS = new Set(['t']);

/** Query parameters the link never carries, as `follow=true`-style probes add. */
function probes(fields: Record<string, string>, own: ReadonlySet<string>): boolean {
  for (const key in fields) if (!own.has(key)) return true;
  return false;
}

/** Per route: read the fields, call the flow, hand the outcome to the responder. */
export function createHandlers(kit: RouterKit, flow: SignInFlow): Handlers {
  const { o, paths } = kit;
  const respond = o.instrumentation.responder(createResponder(kit));
  const client = (c: { req: IncomingMessage; nonce: string | null; ip: string }) => ({
    nonce: c.nonce,
    ip: c.ip,
    userAgent: userAgentOf(c.req),
    // The flow never reads headers: the router picks the language, the flow carries the tag.
    locale: kit.translation(c.req).locale,
  });
  const head = (req: IncomingMessage) => req.method === 'HEAD';

  return {
    signInPage({ req, res, fields }) {
      const t = kit.translation(req);
      const returnTo = safeReturnTo(fields.returnTo, o.origin, o.afterSignIn);
      const data = {
        appName: o.appName,
        action: paths.signIn,
        returnTo,
        error: null,
        email: '',
        humanCheck: o.humanCheckWidget,
        locale: t.locale,
        dir: t.dir,
        passkeys: kit.passkeyScript,
      };
      sendHtml(
        res,
        200,
        typeof o.signInPage === 'function' ? o.signInPage(data) : signInPage(data, t),
      );
    },
    sentPage({ req, res }) {
      sendHtml(res, 200, kit.sentPage(kit.translation(req), null));
    },
    requestSubject: (fields) => flow.requestSubject(fields.email),
    async request(c) {
      // The dispatcher made c.subject with requestSubject above, the route's `subject`.
      const outcome = await flow.request(
        { ...client(c), email: c.fields.email, returnTo: c.fields.returnTo },
        (c.subject as RequestSubject | null) ?? undefined,
      );
      await respond(c, outcome);
    },
    resendSubject: (fields, nonce) => flow.resendSubject(fields.state, nonce),
    async resend(c) {
      const subject = (c.subject as ResendSubject | null) ?? undefined;
      await respond(c, await flow.resend({ ...client(c), state: c.fields.state }, subject));
    },
    async verify(c) {
      await respond(c, await flow.verifyCode({ ...client(c), code: c.fields.code }));
    },
    async callbackGet(c) {
      const { code, state, error } = c.fields;
      const input = {
        ...client(c),
        head: head(c.req),
        probe: probes(c.fields, CALLBACK_PARAMS),
        via: 'callback' as const,
      };
      await respond(c, await flow.land({ ...input, code, state, error }));
    },
    async callbackPost(c) {
      const { code, state } = c.fields;
      await respond(c, await flow.confirm({ ...client(c), via: 'callback', code, state }));
    },
    async openGet(c) {
      const input = {
        ...client(c),
        head: head(c.req),
        probe: probes(c.fields, WRAPPED_PARAMS),
        via: 'wrapped' as const,
        t: c.fields.t,
      };
      await respond(c, await flow.land(input));
    },
    async openPost(c) {
      await respond(c, await flow.confirm({ ...client(c), via: 'wrapped', t: c.fields.t }));
    },
    async reauthPage({ req, res, fields }) {
      const user = (req as WithUser).user!;
      const email = knownEmail(user);
      const returnTo = safeReturnTo(fields.returnTo, o.origin, o.afterSignIn);
      const hasPasskey = o.passkeys
        ? (await o.passkeys.store.listByUser(user.id)).length > 0
        : false;
      const page = reauthPage(
        {
          email,
          action: paths.reauth,
          returnTo,
          script: hasPasskey ? kit.passkeyScript : null,
        },
        kit.translation(req),
      );
      sendHtml(res, 200, page);
    },
    reauthSubject: (user) => flow.requestSubject(knownEmail(user as Express.User)),
    async reauth(c) {
      // The code (or link) goes to the address this browser is signed in with: nothing is typed.
      // The dispatcher made c.subject from it with reauthSubject, and counted it.
      const email = knownEmail((c.req as WithUser).user!);
      const outcome = await flow.request(
        { ...client(c), email, returnTo: c.fields.returnTo },
        (c.subject as RequestSubject | null) ?? undefined,
      );
      await respond(c, outcome);
    },
    async logout({ req, res }) {
      await kit.session.signOut(req, res);
      (req as WithUser).user = undefined;
      kit.emit(req, { type: 'sign_out' });
      if (wantsJson(req)) sendJson(res, 200, { status: 'signed_out' });
      else redirect(res, o.afterSignOut);
    },
  };
}
