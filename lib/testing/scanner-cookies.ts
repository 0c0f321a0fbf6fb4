// A per-visit cookie jar, as a browser keeps one, for the scanner simulations.

interface Cookie {
  name: string;
  value: string;
  host: string;
  /** `Domain=` given: the host and its subdomains. */
  domain: boolean;
  path: string;
}

function defaultPath(url: URL): string {
  const path = url.pathname;
  if (!path.startsWith('/') || path.lastIndexOf('/') === 0) return '/';
  return path.slice(0, path.lastIndexOf('/'));
}

function pathMatches(requestPath: string, cookiePath: string): boolean {
  if (requestPath === cookiePath) return true;
  if (!requestPath.startsWith(cookiePath)) return false;
  return cookiePath.endsWith('/') || requestPath[cookiePath.length] === '/';
}

/**
 * One visit's cookies, as a browser keeps them (RFC 6265, simplified): host-only or `Domain=`
 * cookies, `Path=` matching, deletion by `Max-Age<=0` or a past `Expires`. Cookies are not
 * scoped by port, as in browsers. `Secure` and `SameSite` are not enforced: a simulation sends
 * a cookie where a browser might not, which only makes it harsher.
 */
export class CookieJar {
  private cookies: Cookie[] = [];

  store(requestUrl: string, setCookie: readonly string[]): void {
    const url = new URL(requestUrl);
    for (const line of setCookie) {
      const [pair = '', ...attributes] = line.split(';');
      const eq = pair.indexOf('=');
      if (eq <= 0) continue;
      const cookie: Cookie = {
        name: pair.slice(0, eq).trim(),
        value: pair.slice(eq + 1).trim(),
        host: url.hostname,
        domain: false,
        path: defaultPath(url),
      };
      let expired = false;
      for (const attribute of attributes) {
        const at = attribute.indexOf('=');
        const key = (at === -1 ? attribute : attribute.slice(0, at)).trim().toLowerCase();
        const value = at === -1 ? '' : attribute.slice(at + 1).trim();
        if (key === 'path' && value.startsWith('/')) cookie.path = value;
        else if (key === 'domain' && value) {
          const domain = value.replace(/^\./, '').toLowerCase();
          if (url.hostname !== domain && !url.hostname.endsWith(`.${domain}`)) continue;
          cookie.host = domain;
          cookie.domain = true;
        } else if (key === 'max-age' && /^-?\d+$/.test(value)) expired = Number(value) <= 0;
        else if (key === 'expires' && !attributes.some((a) => /^\s*max-age\s*=/i.test(a)))
          expired = Date.parse(value) <= Date.now();
      }
      this.cookies = this.cookies.filter(
        (c) => !(c.name === cookie.name && c.host === cookie.host && c.path === cookie.path),
      );
      if (!expired) this.cookies.push(cookie);
    }
  }

  /** The `Cookie` header a browser would send to `url`, or undefined when it sends none. */
  header(requestUrl: string): string | undefined {
    const url = new URL(requestUrl);
    const sent = this.cookies
      .filter((c) =>
        c.domain
          ? url.hostname === c.host || url.hostname.endsWith(`.${c.host}`)
          : url.hostname === c.host,
      )
      .filter((c) => pathMatches(url.pathname, c.path))
      .sort((a, b) => b.path.length - a.path.length);
    return sent.length ? sent.map((c) => `${c.name}=${c.value}`).join('; ') : undefined;
  }

  /** Every cookie held, as `name=value`. */
  pairs(): string[] {
    return this.cookies.map((c) => `${c.name}=${c.value}`);
  }
}
