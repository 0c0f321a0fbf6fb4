import type { IncomingMessage, ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import { fifoCache } from '../fifo-cache';
import type { SetupWarningCode } from '../options';

/** Distinct proxy addresses remembered, and distinct forwarded clients that make "many". */
const REMEMBERED_PROXIES = 64;
const MANY_CLIENTS = 3;

/**
 * Setup mistakes that would otherwise fail silently: each is reported once per router, through
 * `onEvent` (`setup_warning`) and `console.warn`, with the fix. They read only what Express
 * already computed (`req.baseUrl`, `req.protocol`, `req.ip`) and a few headers; none of them
 * changes an answer. A check that has warned costs nothing afterwards.
 */
export interface SetupWarnings {
  /** Every request the router sees: is it mounted under a path? */
  request(req: IncomingMessage): void;
  /** Requests to the router's own routes: `trust proxy`, and the origin in development. */
  route(req: IncomingMessage): void;
  /** A same-origin refusal: in development, say which origin came and which was expected. */
  crossSite(req: IncomingMessage): void;
  /** After a sign-in: did the response set a session cookie? */
  signedIn(req: IncomingMessage, res: ServerResponse): void;
}

export interface SetupWarningsContext {
  origin: string;
  basePath: string;
  /** The pending cookie's name: a Set-Cookie for it is not a session cookie. */
  pendingCookie: string;
  /** Whether passkeys are on: their RP ID is the origin's host, which must be a domain name. */
  passkeys: boolean;
  report(req: IncomingMessage, code: SetupWarningCode, message: string): void;
}

/** The longest header value quoted in a warning: headers are the client's to choose. */
const MAX_QUOTED = 100;

function headerOf(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined ? undefined : first.slice(0, MAX_QUOTED);
}

function firstListed(value: string): string {
  const comma = value.indexOf(',');
  return (comma === -1 ? value : value.slice(0, comma)).trim();
}

/** The origin a cross-site request claimed, for the log: Origin, else the Referer's, else a note. */
function claimedOrigin(req: IncomingMessage): string {
  const origin = headerOf(req, 'origin');
  if (origin !== undefined) return origin;
  const referer = headerOf(req, 'referer');
  if (referer !== undefined) {
    try {
      return new URL(referer).origin;
    } catch {
      return '(an unreadable Referer)';
    }
  }
  return `(no Origin; Sec-Fetch-Site: ${headerOf(req, 'sec-fetch-site') ?? 'none'})`;
}

function setCookieLines(res: ServerResponse): string[] {
  const value = res.getHeader('set-cookie');
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [String(value)];
}

export function createSetupWarnings(context: SetupWarningsContext): SetupWarnings {
  // Unset or 'development' only: not in production (attackers would fill the log), not under a
  // test runner (NODE_ENV=test), where apps point requests at hosts of their choosing.
  const env = process.env.NODE_ENV;
  const development = env === undefined || env === '' || env === 'development';
  const originUrl = new URL(context.origin);
  const warned = new Set<SetupWarningCode>();
  const forwardedClients = fifoCache<string, Set<string>>(REMEMBERED_PROXIES);

  function warn(req: IncomingMessage, code: SetupWarningCode, message: string): void {
    if (warned.has(code)) return;
    warned.add(code);
    context.report(req, code, message);
  }

  function checkProtocol(req: IncomingMessage): void {
    if (warned.has('trust_proxy_protocol') || originUrl.protocol !== 'https:') return;
    const forwarded = headerOf(req, 'x-forwarded-proto');
    const protocol = (req as { protocol?: unknown }).protocol;
    if (forwarded === undefined || protocol !== 'http') return;
    if (firstListed(forwarded).toLowerCase() !== 'https') return;
    warn(
      req,
      'trust_proxy_protocol',
      `magicLinkRouter: origin is ${context.origin}, but requests arrive as http with X-Forwarded-Proto: https, so Express does not trust the proxy: secure session cookies are dropped and every client shares the proxy's address. Fix: set app.set('trust proxy', 1) (the number of proxies in front of the app) before the routes.`,
    );
  }

  function checkForwardedFor(req: IncomingMessage): void {
    if (warned.has('trust_proxy_forwarded_for')) return;
    const forwarded = headerOf(req, 'x-forwarded-for');
    const ip = (req as { ip?: unknown }).ip;
    const socket = req.socket.remoteAddress;
    // Express sets req.ip; it is the socket's address when the proxy is not trusted.
    if (forwarded === undefined || typeof ip !== 'string' || socket === undefined || ip !== socket)
      return;
    const client = firstListed(forwarded).slice(0, 64);
    if (!client || client === ip) return;
    let clients = forwardedClients.get(socket);
    if (clients === undefined) forwardedClients.set(socket, (clients = new Set()));
    if (clients.size < MANY_CLIENTS) clients.add(client);
    if (clients.size < MANY_CLIENTS) return;
    warn(
      req,
      'trust_proxy_forwarded_for',
      `magicLinkRouter: requests from one address carry ${MANY_CLIENTS} different X-Forwarded-For clients, but Express does not trust the proxy, so every client shares one rate limit and is refused together. Fix: if the app is behind a proxy, set app.set('trust proxy', 1) (the number of proxies in front of the app) before the routes.`,
    );
  }

  // Browsers refuse an IP address as a passkey's RP ID, so every ceremony fails with the same
  // vague message. Not a setup error that throws: an app may serve its email sign-in on an IP in
  // tests. Said in every NODE_ENV but test, since it names nothing a client sent.
  const ipOrigin =
    context.passkeys && env !== 'test' && isIP(originUrl.hostname.replace(/^\[|\]$/g, '')) !== 0;

  function checkPasskeyOrigin(req: IncomingMessage): void {
    if (!ipOrigin || warned.has('passkeys_ip_origin')) return;
    warn(
      req,
      'passkeys_ip_origin',
      `magicLinkRouter: passkeys are on, but origin ${context.origin} names an IP address (${originUrl.hostname}), and browsers refuse an IP address as a passkey's site: every passkey registration and sign-in will fail. Fix: use a domain name, e.g. origin: 'http://localhost:${originUrl.port || (originUrl.protocol === 'https:' ? '443' : '80')}' in development.`,
    );
  }

  function checkHost(req: IncomingMessage): void {
    if (!development || warned.has('origin_mismatch')) return;
    const host = headerOf(req, 'host');
    if (host === undefined || host.toLowerCase() === originUrl.host) return;
    warn(
      req,
      'origin_mismatch',
      `magicLinkRouter: origin is ${context.origin}, but this request came to ${host}: emailed links point at ${context.origin}, and forms posted from ${host} are refused as cross-site. Fix: pass origin: 'http://${host}' (or set PORT when origin is left out).`,
    );
  }

  return {
    request(req) {
      if (warned.has('mounted_under_path')) return;
      const baseUrl = (req as { baseUrl?: unknown }).baseUrl;
      if (typeof baseUrl !== 'string' || baseUrl === '') return;
      warn(
        req,
        'mounted_under_path',
        `magicLinkRouter: it is mounted under ${JSON.stringify(baseUrl)}, like app.use(${JSON.stringify(baseUrl)}, magicLinkRouter(...)), so its routes moved to ${baseUrl}${context.basePath}/* and requireUser() does not see it on other paths. Fix: mount at the root, app.use(magicLinkRouter({...})); use basePath to move the routes.`,
      );
    },
    route(req) {
      checkProtocol(req);
      checkForwardedFor(req);
      checkHost(req);
      checkPasskeyOrigin(req);
    },
    crossSite(req) {
      if (!development || warned.has('cross_site_refused')) return;
      warn(
        req,
        'cross_site_refused',
        `magicLinkRouter: refused a ${req.method ?? ''} as cross-site: expected origin ${context.origin}, received ${claimedOrigin(req)}. Fix: if that is your app, pass origin: '<the URL in the browser's address bar>' (e.g. origin: 'http://localhost:5173').`,
      );
    },
    signedIn(req, res) {
      if (warned.has('session_cookie_not_set') && warned.has('session_cookie_strict')) return;
      res.once('finish', () => {
        const prefix = `${context.pendingCookie}=`;
        const session = setCookieLines(res).filter((line) => !line.startsWith(prefix));
        if (session.some((line) => /;\s*SameSite=Strict/i.test(line))) {
          warn(
            req,
            'session_cookie_strict',
            "magicLinkRouter: the session cookie is SameSite=Strict, so browsers withhold it on the first page after a link opened from a webmail or mail app (a cross-site navigation): the person looks signed out until they reload. Fix: use sameSite: 'lax' for the session cookie (the sign-in routes refuse cross-site POSTs themselves).",
          );
        }
        if (session.length > 0) return;
        const cookie = (req as { session?: { cookie?: { secure?: unknown } } }).session?.cookie;
        const secure = (req as { secure?: unknown }).secure;
        const cause =
          cookie?.secure === true && secure === false
            ? "express-session's cookie is secure: true but this request is http to Express, so express-session dropped it. Fix: behind a TLS proxy, set app.set('trust proxy', 1); over plain http in development, use cookie: { secure: 'auto' }."
            : 'Fix: check the session middleware runs before magicLinkRouter() and that its cookie settings (secure, domain, path) fit this request.';
        warn(
          req,
          'session_cookie_not_set',
          `magicLinkRouter: a sign-in finished but its response set no session cookie, so the browser is not signed in on its next request (a sign-in loop). ${cause}`,
        );
      });
    },
  };
}
