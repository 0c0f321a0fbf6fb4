import type { IncomingMessage } from 'node:http';
import { appendSetCookie, serializeCookie } from '../http';
import type { SessionAdapter } from './adapter';

export const DEFAULT_SESSION_KEY = 'magicLinkUser';

interface SessionLike {
  regenerate(callback: (err?: unknown) => void): void;
  destroy(callback: (err?: unknown) => void): void;
  save(callback: (err?: unknown) => void): void;
  [key: string]: unknown;
}

export interface ExpressSessionAdapterOptions {
  /** The property of `req.session` that holds the user. @default 'magicLinkUser' */
  key?: string;
  /**
   * express-session's cookie `name`, cleared at sign-out. Set it when you renamed the cookie.
   * @default 'connect.sid'
   */
  cookieName?: string;
}

function sessionOf(req: IncomingMessage): SessionLike {
  const session = (req as { session?: SessionLike }).session;
  if (!session || typeof session.regenerate !== 'function') {
    throw new TypeError(
      'expressSessionAdapter: req.session is missing. Did you forget to use express-session? Fix: app.use(session({ secret, resave: false, saveUninitialized: false })) before app.use(magicLinkRouter(...)).',
    );
  }
  return session;
}

function call(fn: (cb: (err?: unknown) => void) => void): Promise<void> {
  return new Promise((resolve, reject) => fn((err) => (err ? reject(err) : resolve())));
}

/**
 * Keeps the signed-in user in express-session. A new session id is issued at sign-in
 * (`regenerate`, against fixation) and the server-side session is destroyed at sign-out.
 *
 * @example
 * app.use(session({ secret, resave: false, saveUninitialized: false, cookie: { secure: true, sameSite: 'lax' } }));
 * app.use(magicLinkRouter({ provider, secret, session: expressSessionAdapter() }));
 */
export function expressSessionAdapter(options: ExpressSessionAdapterOptions = {}): SessionAdapter {
  const key = options.key ?? DEFAULT_SESSION_KEY;
  const cookieName = options.cookieName ?? 'connect.sid';
  if (typeof key !== 'string' || !key || key === 'cookie' || key === 'id') {
    throw new TypeError(
      `expressSessionAdapter: key ${JSON.stringify(key)} cannot be used. Pass a plain property name such as 'magicLinkUser'.`,
    );
  }
  if (typeof cookieName !== 'string' || !/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(cookieName)) {
    throw new TypeError(
      'expressSessionAdapter: cookieName must be a cookie name token. Pass the name you gave express-session (default connect.sid).',
    );
  }

  return {
    getUser(req) {
      const value = sessionOf(req)[key];
      return value && typeof value === 'object' ? (value as Express.User) : null;
    },
    async signIn(req, _res, user) {
      const session = sessionOf(req);
      await call((cb) => session.regenerate(cb));
      // regenerate() replaced req.session with a fresh object.
      const fresh = sessionOf(req);
      fresh[key] = user;
      await call((cb) => fresh.save(cb));
    },
    async signOut(req, res) {
      const session = sessionOf(req);
      const secure = (session.cookie as { secure?: unknown } | undefined)?.secure === true;
      await call((cb) => session.destroy(cb));
      // The session is gone server-side already; clearing the cookie just tidies the browser.
      appendSetCookie(res, serializeCookie(cookieName, '', { maxAgeSeconds: 0, secure }));
    },
  };
}
