import { createServer } from 'node:http';
import type { IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  barracudaLinkProtection,
  CookieJar,
  expectScannerSafe,
  fetchScannerHttp,
  formsOf,
  googleLinkPreview,
  GOOGLE_SNIPPET_UA,
  HEADLESS_CHROME_UA,
  microsoftSafeLinks,
  MICROSOFT_PREVIEW_UA,
  mimecastUrlProtect,
  nodeScannerHttp,
  outlookLinkPreview,
  proofpointUrlDefense,
  runScanners,
  ScannerSafetyError,
  scanners,
} from '../../lib/testing/index';
import type { Scanner, ScannerHttp } from '../../lib/testing/index';

/** One request the recording server saw. */
interface Seen {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/**
 * A tiny site on 127.0.0.1 that records every request:
 * - `/link` → 302 `/landing`, setting `visit=1` (Path=/);
 * - `/landing` → a page with two forms (POST `/confirm` with hidden fields, GET `/search`);
 * - `/confirm` → 303 `/done`, setting `session=yes`; `/done`, `/search` → a page with no form.
 */
async function recordingSite(
  options: { referrerPolicy?: string } = {},
): Promise<{ url: string; seen: Seen[]; close(): Promise<void> }> {
  const seen: Seen[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    req.on('end', () => {
      const path = req.url ?? '/';
      seen.push({ method: req.method ?? '', path, headers: req.headers, body });
      const page = (html: string) => {
        res.writeHead(200, {
          'content-type': 'text/html; charset=utf-8',
          ...(options.referrerPolicy ? { 'referrer-policy': options.referrerPolicy } : {}),
        });
        res.end(req.method === 'HEAD' ? undefined : html);
      };
      if (path === '/link') {
        res.writeHead(302, { location: '/landing', 'set-cookie': 'visit=1; Path=/; HttpOnly' });
        res.end();
      } else if (path === '/landing') {
        page(`<!doctype html><title>Continue?</title>
          <form method="post" action="/confirm">
            <input type="hidden" name="code" value="a&amp;b" />
            <input type="hidden" name="state" value='s"1' />
            <input type="checkbox" name="remember" />
            <button type="submit" name="go" value="yes">Continue</button>
          </form>
          <form action="/search"><input name="q" value="x y"></form>`);
      } else if (path === '/confirm' && req.method === 'POST') {
        res.writeHead(303, { location: '/done', 'set-cookie': 'session=yes; Path=/' });
        res.end();
      } else page('<p>nothing here</p>');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    seen,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

let site: Awaited<ReturnType<typeof recordingSite>>;
afterEach(() => site.close());

const requestsOf = (seen: Seen[]) => seen.map((s) => `${s.method} ${s.path}`);

describe('Microsoft Safe Links', () => {
  it('sends HEAD through the redirects, then a headless-Chrome GET that submits every form', async () => {
    site = await recordingSite();
    const visits = await microsoftSafeLinks.simulate(`${site.url}/link`, nodeScannerHttp);

    expect(requestsOf(site.seen)).toEqual([
      'HEAD /link',
      'HEAD /landing',
      'GET /link',
      'GET /landing',
      'POST /confirm',
      'GET /done',
      'GET /search?q=x+y',
    ]);
    expect(visits.map((v) => [v.scanner, v.visit])).toEqual([
      ['Microsoft Safe Links', 'pre-delivery HEAD, following redirects'],
      [
        'Microsoft Safe Links',
        'detonation: GET in headless Chrome, following redirects, submitting every form',
      ],
    ]);
    const [, , get, landing, post, done, search] = site.seen;
    expect(get!.headers['user-agent']).toBe(HEADLESS_CHROME_UA);
    expect(get!.headers).toMatchObject({
      'sec-fetch-site': 'none',
      'sec-fetch-mode': 'navigate',
      'sec-fetch-dest': 'document',
    });
    expect(get!.headers.cookie).toBeUndefined();
    // The cookie from the redirect rides on the next hop, and on the form's POST.
    expect(landing!.headers.cookie).toBe('visit=1');
    expect(post!.headers.cookie).toBe('visit=1');
    // The form as headless Chrome submits it: hidden fields unescaped, the button's own
    // name=value, no unchecked box, the page's origin, same-origin, the page as referrer.
    expect(new URLSearchParams(post!.body).toString()).toBe('code=a%26b&state=s%221&go=yes');
    expect(post!.headers).toMatchObject({
      origin: site.url,
      'sec-fetch-site': 'same-origin',
      'sec-fetch-mode': 'navigate',
      'sec-fetch-user': '?1',
      referer: `${site.url}/landing`,
      'content-type': 'application/x-www-form-urlencoded',
    });
    // 303 after the POST: a GET without Origin, with both cookies.
    expect(done!.headers.origin).toBeUndefined();
    expect(done!.headers.cookie).toBe('visit=1; session=yes');
    expect(search!.headers.origin).toBeUndefined();
    // Each visit starts with an empty jar and ends with what it was given.
    expect(visits[0]!.cookies).toEqual(['visit=1']);
    expect(visits[1]!.cookies).toEqual(['visit=1', 'session=yes']);
    expect(visits[1]!.hops.map((h) => h.cause)).toEqual([
      'link',
      'redirect',
      'form',
      'redirect',
      'form',
    ]);
  });

  it('sends Origin: null and no Referer when the page says Referrer-Policy: no-referrer', async () => {
    site = await recordingSite({ referrerPolicy: 'no-referrer' });
    await microsoftSafeLinks.simulate(`${site.url}/link`, nodeScannerHttp);
    const post = site.seen.find((s) => s.method === 'POST')!;
    expect(post.headers.origin).toBe('null');
    expect(post.headers.referer).toBeUndefined();
    expect(post.headers['sec-fetch-site']).toBe('same-origin');
  });
});

describe.each([
  {
    scanner: mimecastUrlProtect,
    requests: [
      'GET /link',
      'GET /link',
      'GET /landing',
      'POST /confirm',
      'GET /done',
      'GET /search?q=x+y',
    ],
    ua: /Chrome\/125\.0\.0\.0 Safari/,
  },
  {
    scanner: proofpointUrlDefense,
    requests: [
      'HEAD /link',
      'GET /link',
      'GET /link',
      'GET /landing',
      'POST /confirm',
      'GET /done',
      'GET /search?q=x+y',
    ],
    ua: /Chrome\/125\.0\.0\.0 Safari/,
  },
  {
    scanner: barracudaLinkProtection,
    requests: [
      'HEAD /link',
      'GET /link',
      'GET /landing',
      'POST /confirm',
      'GET /done',
      'GET /search?q=x+y',
    ],
    ua: /Chrome\/125\.0\.0\.0 Safari/,
  },
  {
    scanner: googleLinkPreview,
    requests: ['GET /link', 'GET /landing'],
    ua: new RegExp(GOOGLE_SNIPPET_UA.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')),
  },
  {
    scanner: outlookLinkPreview,
    requests: ['HEAD /link', 'HEAD /landing', 'GET /link', 'GET /landing'],
    ua: /MicrosoftPreview\/2\.0/,
  },
] as { scanner: Scanner; requests: string[]; ua: RegExp }[])(
  '$scanner.name',
  ({ scanner, requests, ua }) => {
    it('makes its documented requests, in order, with its user agent', async () => {
      site = await recordingSite();
      const visits = await scanner.simulate(`${site.url}/link`, nodeScannerHttp);
      expect(requestsOf(site.seen)).toEqual(requests);
      for (const s of site.seen) expect(s.headers['user-agent']).toMatch(ua);
      // Every visit starts from the link with an empty jar.
      for (const visit of visits) {
        expect(visit.scanner).toBe(scanner.name);
        expect(visit.hops[0]!.request.url).toBe(`${site.url}/link`);
        expect(visit.hops[0]!.request.headers.cookie).toBeUndefined();
      }
      // A visit that follows the redirect carries its cookie to the next hop.
      for (const s of site.seen.filter((x) => x.path === '/landing'))
        expect(s.headers.cookie).toBe('visit=1');
    });
  },
);

it('lists every simulation, each once, and runScanners runs them all in order', async () => {
  expect(scanners.map((s) => s.name)).toEqual([
    'Microsoft Safe Links',
    'Mimecast URL Protect',
    'Proofpoint URL Defense',
    'Barracuda Link Protection',
    'Gmail / Google link preview',
    'Outlook link preview',
  ]);
  site = await recordingSite();
  const visits = await runScanners(`${site.url}/link`);
  expect([...new Set(visits.map((v) => v.scanner))]).toEqual(scanners.map((s) => s.name));
  expect(site.seen.filter((s) => s.method === 'POST')).toHaveLength(4);
  expect(site.seen.some((s) => s.headers['user-agent'] === MICROSOFT_PREVIEW_UA)).toBe(true);
});

it('takes a custom ScannerHttp, e.g. one on fetch or one that records', async () => {
  site = await recordingSite();
  const methods: string[] = [];
  const http: ScannerHttp = (req) => {
    methods.push(req.method);
    return fetchScannerHttp()(req);
  };
  await googleLinkPreview.simulate(`${site.url}/link`, http);
  expect(methods).toEqual(['GET', 'GET']);
  expect(requestsOf(site.seen)).toEqual(['GET /link', 'GET /landing']);
});

describe('expectScannerSafe', () => {
  it('throws naming the scanner and visit that ended holding a session', async () => {
    site = await recordingSite();
    const error = await expectScannerSafe({
      link: `${site.url}/link`,
      isSignedIn: async (cookies) => cookies.includes('session=yes'),
      completeAsUser: async () => true,
    }).then(
      () => null,
      (err: unknown) => err as ScannerSafetyError,
    );
    expect(error).toBeInstanceOf(ScannerSafetyError);
    expect(error).toBeInstanceOf(Error);
    expect(error!.failures.map((f) => f.scanner)).toEqual([
      'Microsoft Safe Links',
      'Mimecast URL Protect',
      'Proofpoint URL Defense',
      'Barracuda Link Protection',
    ]);
    expect(error!.message).toContain(
      'Microsoft Safe Links signed itself in (detonation: GET in headless Chrome',
    );
    expect(error!.message).toContain(`POST ${site.url}/confirm (form) → 303 → /done`);
  });

  it('throws when the person can no longer sign in, listing the visits', async () => {
    site = await recordingSite();
    await expect(
      expectScannerSafe({
        link: `${site.url}/link`,
        isSignedIn: async () => false,
        completeAsUser: async () => false,
        scanners: [googleLinkPreview],
      }),
    ).rejects.toThrow(
      /The person's own click failed after Gmail \/ Google link preview opened the link[\s\S]*GET http:\/\/127\.0\.0\.1:\d+\/link → 302 → \/landing/,
    );
  });

  it('returns every visit when no scanner signs in and the click works', async () => {
    site = await recordingSite();
    const seenByCheck: string[][] = [];
    const { visits } = await expectScannerSafe({
      link: `${site.url}/link`,
      isSignedIn: async (cookies) => {
        seenByCheck.push(cookies);
        return false;
      },
      completeAsUser: async () => true,
    });
    expect(visits).toHaveLength(seenByCheck.length);
    expect(seenByCheck).toContainEqual(['visit=1', 'session=yes']);
  });
});

describe('The browser parts', () => {
  it('keeps cookies by host and path, and drops expired ones', () => {
    const jar = new CookieJar();
    jar.store('http://a.test/auth/x', ['p=1', 'root=2; Path=/', 'gone=3; Max-Age=0']);
    jar.store('http://a.test/', ['old=4; Expires=Thu, 01 Jan 1970 00:00:00 GMT']);
    expect(jar.header('http://a.test/auth/y')).toBe('p=1; root=2');
    expect(jar.header('http://a.test/other')).toBe('root=2');
    expect(jar.header('http://b.test/')).toBeUndefined();
    jar.store('http://a.test/', ['root=; Max-Age=0; Path=/']);
    expect(jar.pairs()).toEqual(['p=1']);
  });

  it('reads forms as a browser submits them', () => {
    const forms = formsOf(
      `<form method="POST" action="go?x=1"><input name="a" value="1" disabled>
        <select name="s"><option value="o1">One<option value="o2" selected>Two</select>
        <textarea name="t">hi &amp; bye</textarea><input type="radio" name="r" value="v" checked>
        <input type="submit" name="b" value="B" formaction="/other"></form>
       <form><input name="q" value="z"></form>`,
      'http://a.test/dir/page?old=1#frag',
    );
    expect(forms).toEqual([
      {
        method: 'POST',
        url: 'http://a.test/other',
        enctype: 'application/x-www-form-urlencoded',
        fields: [
          ['s', 'o2'],
          ['t', 'hi & bye'],
          ['r', 'v'],
          ['b', 'B'],
        ],
      },
      {
        method: 'GET',
        url: 'http://a.test/dir/page?q=z',
        enctype: 'application/x-www-form-urlencoded',
        fields: [['q', 'z']],
      },
    ]);
  });
});
