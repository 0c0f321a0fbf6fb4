import type { IncomingMessage, ServerResponse } from 'node:http';
import { MagicLinkError } from '../errors';
import { newNonce } from '../flow/pending';
import { signedInEmail, signedInProfileId } from '../flow/reauth';
import { safeReturnTo } from '../flow/return-to';
import {
  appendSetCookie,
  cookieFromHeader,
  redirect,
  sendHtml,
  sendJson,
  serializeCookie,
  wantsJson,
} from '../http';
import type { MagicLinkProfile } from '../profile';
import { passkeyManagePage, passkeyOfferPage } from '../pages/passkey-pages';
import { PASSKEY_CLIENT_HASH, PASSKEY_CLIENT_JS } from '../passkeys/client/bundle';
import type { PasskeyFlow, SignedInUser } from '../passkeys/flow';
import type { ResolvedPasskeys } from '../passkeys/options';
import { MAX_PASSKEY_NAME_LENGTH } from '../passkeys/store';
import type { StoredPasskey } from '../passkeys/store';
import type { RouterKit } from './kit';
import type { createResponder } from './respond';
import type { Handler, RouteContext } from './context';

type WithUser = IncomingMessage & { user?: Express.User };

/** The cookie that remembers, per browser, that the passkey offer was shown. */
export const OFFERED_COOKIE = 'mlpasskey_offered';
const OFFERED_MAX_AGE_S = 400 * 24 * 60 * 60;

/** The passkey routes' handlers: HTTP only; the checks live in the passkey flow. */
export interface PasskeyHandlers {
  client: Handler;
  offerPage: Handler;
  list: Handler;
  registerOptions: Handler;
  register: Handler;
  signInOptions: Handler;
  signIn: Handler;
  rename: Handler;
  remove: Handler;
}

/** The signed-in user with the address they signed in with; none known: sign in again. */
function userOf(req: IncomingMessage): SignedInUser {
  const user = (req as WithUser).user!;
  const email = signedInEmail(user);
  if (!email) throw new MagicLinkError('ERR_UNAUTHENTICATED', 'No address known for this session');
  const id = signedInProfileId(user);
  // The app's user is the profile itself unless onSignIn mapped it: only then are its fields
  // the profile's (names and the like) to save with the passkey.
  const fields = id === user.id ? (user as Partial<MagicLinkProfile>) : {};
  return { ...fields, id, email };
}

/** What the list shows of a passkey: never its key or counter. */
function publicView(p: StoredPasskey) {
  return {
    id: p.id,
    name: p.name,
    createdAt: p.createdAt.toISOString(),
    lastUsedAt: p.lastUsedAt === null ? null : p.lastUsedAt.toISOString(),
    backedUp: p.backedUp,
  };
}

/** The browser's pending nonce, issuing one (and its cookie) when it has none yet. */
function nonceFor(kit: RouterKit, c: RouteContext): string {
  if (c.nonce) return c.nonce;
  const nonce = newNonce();
  appendSetCookie(c.res, kit.cookie.set(nonce));
  return nonce;
}

export function createPasskeyHandlers(
  kit: RouterKit,
  passkeys: ResolvedPasskeys,
  flow: PasskeyFlow,
  respond: ReturnType<typeof createResponder>,
): PasskeyHandlers {
  const { o, paths } = kit;
  const script = kit.passkeyScript!;
  const secure = o.secureCookies;
  const offeredCookie = secure ? `__Host-${OFFERED_COOKIE}` : OFFERED_COOKIE;
  const actionFor = (template: string) => (id: string) => template.replace(':id', id);

  function done(req: IncomingMessage, res: ServerResponse, json: unknown): void {
    if (wantsJson(req)) sendJson(res, 200, json);
    else redirect(res, paths.passkeys);
  }

  return {
    client({ res, fields }) {
      res.setHeader('Content-Type', 'text/javascript; charset=utf-8');
      res.setHeader('ETag', `"${PASSKEY_CLIENT_HASH}"`);
      // The URL the pages use carries the content hash, so that copy may be kept for good.
      res.setHeader(
        'Cache-Control',
        fields.v === PASSKEY_CLIENT_HASH ? 'public, max-age=31536000, immutable' : 'no-cache',
      );
      res.removeHeader('Pragma');
      res.setHeader('Content-Length', Buffer.byteLength(PASSKEY_CLIENT_JS));
      res.end(PASSKEY_CLIENT_JS);
    },

    offerPage({ req, res, fields }) {
      const returnTo = safeReturnTo(fields.returnTo, o.origin, o.afterSignIn);
      appendSetCookie(
        res,
        serializeCookie(offeredCookie, '1', { maxAgeSeconds: OFFERED_MAX_AGE_S, secure }),
      );
      sendHtml(
        res,
        200,
        passkeyOfferPage({ appName: o.appName, script, returnTo }, kit.translation(req)),
      );
    },

    async list({ req, res }) {
      const mine = await passkeys.store.listByUser(userOf(req).id);
      if (wantsJson(req)) return sendJson(res, 200, { passkeys: mine.map(publicView) });
      sendHtml(
        res,
        200,
        passkeyManagePage(
          {
            passkeys: mine,
            script,
            renameAction: actionFor(paths.passkeyRename),
            removeAction: actionFor(paths.passkeyDelete),
            here: paths.passkeys,
          },
          kit.translation(req),
        ),
      );
    },

    async registerOptions(c) {
      const options = await flow.registrationOptions({
        user: userOf(c.req),
        nonce: nonceFor(kit, c),
      });
      sendJson(c.res, 200, options);
    },

    async register(c) {
      const json = c.json as Record<string, unknown>;
      const passkey = await flow.register({
        user: userOf(c.req),
        nonce: c.nonce,
        ip: c.ip,
        response: json,
        name: json.name,
      });
      sendJson(c.res, 200, { status: 'registered', id: passkey.id });
    },

    async signInOptions(c) {
      const options = await flow.authenticationOptions({
        nonce: nonceFor(kit, c),
        returnTo: c.fields.returnTo,
      });
      sendJson(c.res, 200, options);
    },

    async signIn(c) {
      const outcome = await flow.authenticate({ nonce: c.nonce, ip: c.ip, response: c.json });
      await respond(c, outcome);
    },

    async rename({ req, res, fields, params }) {
      const name = (fields.name ?? '').trim().slice(0, MAX_PASSKEY_NAME_LENGTH);
      if (!name) throw new MagicLinkError('ERR_BAD_REQUEST', 'A passkey needs a name');
      if (!(await passkeys.store.rename(userOf(req).id, params!.id!, name)))
        throw new MagicLinkError('ERR_NOT_FOUND', 'No such passkey of this user');
      done(req, res, { status: 'renamed', id: params!.id, name });
    },

    async remove({ req, res, params }) {
      const user = userOf(req);
      if (!(await passkeys.store.delete(user.id, params!.id!)))
        throw new MagicLinkError('ERR_NOT_FOUND', 'No such passkey of this user');
      kit.emit(req, { type: 'passkey_removed', userId: user.id });
      done(req, res, { status: 'removed', id: params!.id });
    },
  };
}

/**
 * Where a browser lands after an email sign-in when passkeys are on: the offer page, once per
 * browser, for a user with no passkey yet; otherwise `null` (go on to `returnTo`).
 */
export function passkeyLanding(
  kit: RouterKit,
  passkeys: ResolvedPasskeys,
): NonNullable<RouterKit['landing']> {
  const offeredCookie = kit.o.secureCookies ? `__Host-${OFFERED_COOKIE}` : OFFERED_COOKIE;
  return async (req, user, outcome) => {
    if (!passkeys.offerAfterSignIn || outcome.method === 'passkey') return null;
    if (cookieFromHeader(req.headers.cookie, offeredCookie) !== null) return null;
    // The sign-in is done: a passkey store that fails here only skips the offer.
    const existing = await passkeys.store.listByUser(user.id).catch(() => null);
    if (existing === null || existing.length > 0) return null;
    return `${kit.paths.passkeyOffer}?returnTo=${encodeURIComponent(outcome.returnTo)}`;
  };
}
