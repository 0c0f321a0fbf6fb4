import { request as httpRequest } from 'node:http';
import type { Agent, IncomingHttpHeaders } from 'node:http';
import fc from 'fast-check';

/** Every route the router mounts under the default base path. */
export const ROUTES = [
  '/auth/magic-link',
  '/auth/magic-link/sent',
  '/auth/magic-link/verify',
  '/auth/magic-link/resend',
  '/auth/magic-link/open',
  '/auth/callback',
  '/auth/logout',
] as const;

/** Only a hang takes this long, even on a busy machine. */
const REQUEST_TIMEOUT_MS = 30_000;
/** Node's default `maxHeaderSize` is 16 KiB; generated requests stay below it. */
const MAX_QUERY = 4_000;

const PERCENT_GARBAGE = [
  '%',
  '%%',
  '%E0%A4%A',
  '%zz',
  '%0',
  '%00',
  '%C0%AF',
  '%ED%A0%80',
  '%FF',
  '%2e%2e%2f',
  '%u0041',
  '%0d%0a',
  '%25',
];

const SPECIALS = [
  '',
  ' ',
  '\t',
  'null',
  'undefined',
  '[]',
  '{}',
  '__proto__',
  'constructor',
  'toString',
  'access_denied',
  '//evil.com',
  '/\\evil.com',
  'https:evil.com',
  'javascript:alert(1)',
  '\u0000',
  '\r\n',
  '١٢٣٤٥٦',
  '１２３４５６',
  '123 456',
  '123-456',
];

const ODD_EMAILS = [
  'a@example.com',
  'Alice@Example.COM',
  'a+tag@gmail.com',
  'x@xn--bcher-kva.example',
  'bücher@例え.jp',
  'a@b',
  '"a b"@x.com',
  '"a@evil.com x"@victim.com',
  'a@x.com,b@y.com',
  'v@x.com\r\nBcc: s@evil.com',
  'v@x.com%0d%0aBcc:%20s@evil.com',
  'a＠x.com',
  'a@@x.com',
  `${'l'.repeat(65)}@x.com`,
  `a@${'d'.repeat(250)}.com`,
];

const CONTENT_TYPES = [
  'application/x-www-form-urlencoded',
  'application/x-www-form-urlencoded; charset=utf-8',
  'application/x-www-form-urlencoded; charset=ISO-8859-1',
  'application/x-www-form-urlencoded;charset=utf-16',
  'application/json',
  'application/json; charset=utf-8',
  'APPLICATION/JSON',
  'application/json; charset="bogus"',
  'application/json;',
  ' application/json ',
  'text/plain',
  'text/html',
  'multipart/form-data; boundary=----x',
  'multipart/form-data',
  'application/octet-stream',
  'application/ld+json',
  '*/*',
  ';',
  'x',
];

const FORM = 'application/x-www-form-urlencoded';
const JSON_TYPE = 'application/json';

/** One request exactly as it goes on the wire. */
export interface RawRequest {
  method: string;
  /** Path and query, already encoded (or deliberately mis-encoded). */
  path: string;
  headers: Record<string, string>;
  body: Buffer | null;
  /** Send the body chunked, with no Content-Length. */
  chunked: boolean;
}

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/**
 * Genuine material from real sign-ins, read at generation time so it can grow during a run:
 * sealed states and pending-cookie nonces. Never a token or a code.
 */
export interface Pool {
  states: string[];
  nonces: string[];
}

function percentBytes(s: string): string {
  return [...Buffer.from(s, 'utf8')].map((b) => `%${b.toString(16).toUpperCase()}`).join('');
}

/** encodeURIComponent, which throws on lone surrogates; those go out as UTF-8 replacement bytes. */
function enc(s: string): string {
  try {
    return encodeURIComponent(s);
  } catch {
    return percentBytes(s);
  }
}

/** Keeps what Node's client allows in a request target raw (percent garbage included). */
function targetSafe(s: string): string {
  return s.replace(/[^\x21-\x7e]/gu, (c) => percentBytes(c));
}

/** Node's client refuses header values with control characters; drop them. */
export function headerSafe(s: string): string {
  return s.replace(/[^\t\x20-\x7e\x80-\xff]/g, '');
}

/**
 * Sends one raw request over `agent` (keep-alive), bounded by a timeout.
 *
 * A keep-alive socket can be closed by the server while it sits idle in the agent's pool; the
 * next request on it then fails with ECONNRESET before any answer. As Node's documentation
 * advises (`request.reusedSocket`), such a request is sent once more on a fresh socket. A reset on
 * a fresh socket, or after an answer began, is the server's doing and is reported.
 */
export async function send(port: number, agent: Agent, r: RawRequest): Promise<RawResponse> {
  try {
    return await sendOnce(port, agent, r);
  } catch (err) {
    if (!(err instanceof StaleSocketError)) throw err;
    return sendOnce(port, agent, r);
  }
}

/** ECONNRESET on a pooled socket before any byte of the answer: the server had closed it. */
class StaleSocketError extends Error {}

function sendOnce(port: number, agent: Agent, r: RawRequest): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...r.headers };
    if (r.body !== null && !r.chunked) headers['content-length'] = String(r.body.length);
    let req;
    try {
      req = httpRequest(
        { host: '127.0.0.1', port, method: r.method, path: r.path, headers, agent },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', reject);
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              body: Buffer.concat(chunks).toString('utf8'),
            }),
          );
        },
      );
    } catch (err) {
      reject(err instanceof Error ? err : new Error(String(err)));
      return;
    }
    req.setTimeout(REQUEST_TIMEOUT_MS, () =>
      req.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS} ms`)),
    );
    let answered = false;
    req.once('response', () => (answered = true));
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (!answered && req.reusedSocket && err.code === 'ECONNRESET') {
        reject(new StaleSocketError(`stale keep-alive socket: ${err.message}`, { cause: err }));
      } else {
        reject(err);
      }
    });
    req.end(r.body ?? undefined);
  });
}

/** A plain GET, e.g. to check the app still serves. */
export function get(
  port: number,
  agent: Agent,
  path: string,
  headers: Record<string, string> = {},
) {
  return send(port, agent, { method: 'GET', path, headers, body: null, chunked: false });
}

type Pair = [key: string, value: string, mode: 'encoded' | 'raw' | 'bare'];

function pairsToString(pairs: Pair[]): string {
  return pairs
    .map(([k, v, mode]) => {
      if (mode === 'bare') return enc(k);
      if (mode === 'raw') return `${targetSafe(k)}=${targetSafe(v)}`;
      return `${enc(k)}=${enc(v)}`;
    })
    .join('&');
}

function pick<T>(list: readonly T[], i: number): T {
  return list[i % list.length]!;
}

interface Body {
  body: string | Uint8Array;
  type: string | undefined;
}

/**
 * Requests against every /auth route of an app at `origin`. `broad` mixes requests shaped like
 * real ones (same-origin, genuine states and cookies, one field gone wrong) with requests that
 * are random from the method up; `huge` leans on oversized bodies, cookies and values.
 */
export function requestArbitraries(
  origin: string,
  pool: Pool,
): { broad: fc.Arbitrary<RawRequest>; huge: fc.Arbitrary<RawRequest> } {
  const stateArb = fc.oneof(
    { weight: 3, arbitrary: fc.nat().map((i) => pick(pool.states, i)) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.nat(), fc.nat(), fc.constantFrom('flip', 'cut', 'twice'))
        .map(([which, at, how]) => {
          const state = pick(pool.states, which);
          const i = at % state.length;
          if (how === 'cut') return state.slice(0, i);
          if (how === 'twice') return state + state;
          return `${state.slice(0, i)}${state[i] === 'A' ? 'B' : 'A'}${state.slice(i + 1)}`;
        }),
    },
  );
  const nonceArb = fc.nat().map((i) => pick(pool.nonces, i));
  const emailArb = fc.oneof(
    { weight: 3, arbitrary: fc.emailAddress() },
    { weight: 2, arbitrary: fc.constantFrom(...ODD_EMAILS) },
    { weight: 1, arbitrary: fc.string({ maxLength: 30 }) },
  );
  const sixDigitArb = fc.stringMatching(/^[0-9]{6}$/);
  const tokenArb = fc.stringMatching(/^[A-Za-z0-9_-]{43}$/);
  const textArb = fc.oneof(
    { weight: 4, arbitrary: fc.string({ maxLength: 40 }) },
    { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
    { weight: 2, arbitrary: fc.constantFrom(...SPECIALS, ...PERCENT_GARBAGE) },
    { weight: 1, arbitrary: fc.nat({ max: 5000 }).map((n) => 'x'.repeat(n)) },
    { weight: 2, arbitrary: sixDigitArb },
    { weight: 2, arbitrary: tokenArb },
    { weight: 2, arbitrary: emailArb },
    { weight: 3, arbitrary: stateArb },
  );
  const keyArb = fc.oneof(
    {
      weight: 4,
      arbitrary: fc.constantFrom('email', 'returnTo', 'code', 'state', 't', 'error'),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        'code[]',
        'email[0]',
        '__proto__',
        'constructor',
        'hasOwnProperty',
      ),
    },
    { weight: 1, arbitrary: fc.string({ maxLength: 10 }) },
  );
  const modeArb = fc.constantFrom<Pair[2]>('encoded', 'encoded', 'raw', 'bare');
  const pairArb = fc.tuple(keyArb, textArb, modeArb);
  const queryOf = (pairs: Pair[], tail = '') => {
    const q = pairsToString(pairs) + tail;
    return q === '' ? '' : `?${q}`.slice(0, MAX_QUERY);
  };
  const queryArb = fc
    .tuple(
      fc.array(pairArb, { maxLength: 6 }),
      fc.option(fc.constantFrom(...PERCENT_GARBAGE, '&&&', '==', '?', '#frag', '&code=a&code=b'), {
        nil: undefined,
      }),
    )
    .map(([pairs, tail]) => queryOf(pairs, tail));

  const segmentArb = fc.oneof(
    fc.string({ maxLength: 12 }).map(enc),
    fc.string({ unit: 'binary', maxLength: 8 }).map(targetSafe),
    fc.constantFrom('..', '.', '', '%2e%2e', 'magic-link', 'callback', 'open', ...PERCENT_GARBAGE),
  );
  const pathArb = fc.oneof(
    { weight: 10, arbitrary: fc.constantFrom(...ROUTES) },
    {
      weight: 2,
      arbitrary: fc
        .tuple(
          fc.constantFrom(...ROUTES),
          fc.constantFrom('/', '//', '/.', '/..', ';x', '%2f', '.json', ...PERCENT_GARBAGE),
        )
        .map(([route, suffix]) => route + suffix),
    },
    {
      weight: 2,
      arbitrary: fc.array(segmentArb, { maxLength: 4 }).map((s) => `/auth/${s.join('/')}`),
    },
    { weight: 1, arbitrary: fc.constantFrom(...ROUTES).map((r) => r.toUpperCase()) },
    {
      weight: 1,
      arbitrary: fc.constantFrom('/auth', '/auth/', '//auth/callback', '/./auth/callback'),
    },
  );

  const cookieValueArb = fc.oneof(
    fc.string({ maxLength: 40 }),
    fc.stringMatching(/^[A-Za-z0-9_-]{22}$/),
    fc.constantFrom(...PERCENT_GARBAGE, ...SPECIALS),
    fc.string({ unit: 'binary', maxLength: 20 }),
  );
  const cookiePartArb = fc.oneof(
    {
      weight: 3,
      arbitrary: fc
        .tuple(
          fc.constantFrom('mlink', '__Host-mlink', 'sid', 'connect.sid', 'MLINK', ' mlink'),
          cookieValueArb,
        )
        .map(([name, value]) => `${name}=${value}`),
    },
    { weight: 3, arbitrary: nonceArb.map((n) => `mlink=${n}`) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(';', '=', 'mlink', '=x', 'mlink=;mlink=', '$Version=1'),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.string({ maxLength: 10 }), cookieValueArb)
        .map(([n, v]) => `${n}=${v}`),
    },
    {
      weight: 1,
      arbitrary: fc.integer({ min: 100, max: 1500 }).map((n) => `big=${'a'.repeat(n)}`),
    },
  );
  const cookieArb = fc.option(
    fc.array(cookiePartArb, { maxLength: 5 }).map((parts) => headerSafe(parts.join('; '))),
    { nil: undefined },
  );

  const jsonFieldArb: fc.Arbitrary<unknown> = fc.oneof(
    { weight: 6, arbitrary: textArb },
    { weight: 1, arbitrary: fc.integer() },
    { weight: 1, arbitrary: fc.double() },
    { weight: 1, arbitrary: fc.boolean() },
    { weight: 1, arbitrary: fc.constant(null) },
    { weight: 1, arbitrary: fc.array(textArb, { maxLength: 3 }) },
    {
      weight: 1,
      arbitrary: fc.dictionary(fc.string({ maxLength: 5 }), textArb, { maxKeys: 3 }),
    },
  );
  const bodyArb: fc.Arbitrary<Body | null> = fc.oneof(
    { weight: 3, arbitrary: fc.constant(null) },
    {
      weight: 4,
      arbitrary: fc
        .array(pairArb, { maxLength: 6 })
        .map((p) => ({ body: pairsToString(p), type: FORM })),
    },
    {
      weight: 4,
      arbitrary: fc
        .dictionary(keyArb, jsonFieldArb, { maxKeys: 6 })
        .map((o) => ({ body: JSON.stringify(o), type: JSON_TYPE })),
    },
    {
      weight: 2,
      arbitrary: fc
        .jsonValue({ maxDepth: 4 })
        .map((v) => ({ body: JSON.stringify(v) ?? 'null', type: JSON_TYPE })),
    },
    {
      weight: 1,
      arbitrary: fc.string({ maxLength: 60 }).map((s) => ({
        body: `------x\r\nContent-Disposition: form-data; name="email"\r\n\r\n${s}\r\n------x--\r\n`,
        type: 'multipart/form-data; boundary=----x',
      })),
    },
    {
      weight: 1,
      arbitrary: fc.uint8Array({ maxLength: 300 }).map((b) => ({ body: b, type: undefined })),
    },
    {
      weight: 2,
      arbitrary: fc
        .string({ unit: 'binary', maxLength: 200 })
        .map((s) => ({ body: s, type: undefined })),
    },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom(
          '{',
          '[',
          '"x"',
          'null',
          '1e309',
          '{"email":"a@example.com","email":"d@example.org"}',
          'email=a%40example.com&email=c%40example.org',
          '{"__proto__":{"email":"a@example.com"}}',
          '{"constructor":{"prototype":{"email":"a@example.com"}}}',
          'email=a%40example.com&__proto__=x',
        )
        .map((body) => ({ body, type: undefined })),
    },
  );
  const hugeBodyArb: fc.Arbitrary<Body> = fc
    .tuple(fc.integer({ min: 20_000, max: 40_000 }), fc.constantFrom('json', 'form', 'raw'))
    .map(([n, kind]) => {
      if (kind === 'json') {
        return {
          body: JSON.stringify({ email: `${'a'.repeat(n)}@x.com`, state: 'A'.repeat(n) }),
          type: JSON_TYPE,
        };
      }
      if (kind === 'form')
        return { body: `email=${'a'.repeat(n)}&code=${'1'.repeat(n)}`, type: FORM };
      return { body: 'x'.repeat(n), type: undefined };
    });

  const methodArb = fc.oneof(
    { weight: 6, arbitrary: fc.constant('POST') },
    { weight: 5, arbitrary: fc.constant('GET') },
    { weight: 2, arbitrary: fc.constant('HEAD') },
    { weight: 2, arbitrary: fc.constantFrom('PUT', 'DELETE', 'PATCH', 'OPTIONS', 'PROPFIND') },
  );
  const headersArb = fc.record(
    {
      origin: fc.oneof(
        { weight: 3, arbitrary: fc.constant(origin) },
        {
          weight: 2,
          arbitrary: fc.constantFrom(
            'null',
            'http://evil.example',
            `${origin}/`,
            origin.toUpperCase(),
            '',
          ),
        },
        { weight: 1, arbitrary: fc.string({ maxLength: 30 }) },
      ),
      'sec-fetch-site': fc.constantFrom(
        'same-origin',
        'same-origin',
        'same-site',
        'cross-site',
        'none',
        '',
        'SAME-ORIGIN',
      ),
      referer: fc.constantFrom(
        `${origin}/auth/magic-link`,
        'http://evil.example/',
        'not a url',
        '',
      ),
      accept: fc.oneof(
        fc.constantFrom('text/html', 'application/json', '*/*', 'application/json, text/html', ''),
        fc.string({ maxLength: 20 }),
      ),
      'user-agent': fc.constantFrom('HeadlessChrome/120.0', 'curl/8', ''),
      'x-forwarded-for': fc.constantFrom('1.2.3.4', '::1', 'garbage, 10.0.0.1'),
    },
    { requiredKeys: [] },
  );
  const contentTypeArb = fc.option(
    fc.oneof(
      { weight: 2, arbitrary: fc.constant('natural') },
      { weight: 1, arbitrary: fc.constantFrom(...CONTENT_TYPES) },
    ),
    { nil: undefined, freq: 6 },
  );

  const random = (huge: boolean) =>
    fc
      .record({
        method: methodArb,
        path: pathArb,
        query: queryArb,
        headers: headersArb,
        cookie: huge
          ? fc
              .integer({ min: 4000, max: 8000 })
              .chain((n) => nonceArb.map((nonce) => `mlink=${nonce}; pad=${'p'.repeat(n)}`))
          : cookieArb,
        body: huge ? hugeBodyArb : bodyArb,
        contentType: contentTypeArb,
        chunked: fc.boolean(),
      })
      .map((g): RawRequest => {
        const headers: Record<string, string> = {};
        for (const [name, value] of Object.entries(g.headers)) headers[name] = headerSafe(value);
        if (g.cookie !== undefined) headers['cookie'] = g.cookie;
        const type = g.contentType === 'natural' ? g.body?.type : g.contentType;
        if (type !== undefined) headers['content-type'] = type;
        const body = g.body === null ? null : Buffer.from(g.body.body);
        return { method: g.method, path: g.path + g.query, headers, body, chunked: g.chunked };
      });

  // Shaped like the real thing, so the flow gets past its first checks and deep into the store,
  // the provider and the mailer before something goes wrong.
  const fieldsArb = (fields: Record<string, fc.Arbitrary<string>>) =>
    fc.tuple(fc.record(fields), fc.array(pairArb, { maxLength: 2 }));
  const shapedHeaders = fc.record(
    {
      origin: fc.constant(origin),
      'sec-fetch-site': fc.constant('same-origin'),
      accept: fc.constantFrom('text/html', 'application/json', '*/*'),
    },
    { requiredKeys: [] },
  );
  const cookieOf = fc.option(
    fc
      .tuple(nonceArb, fc.option(cookiePartArb, { nil: undefined }))
      .map(([nonce, extra]) =>
        headerSafe([`mlink=${nonce}`, ...(extra === undefined ? [] : [extra])].join('; ')),
      ),
    { nil: undefined, freq: 5 },
  );
  const codeLikeArb = fc.oneof(tokenArb, textArb);
  const shapedRoutes: [string, string, fc.Arbitrary<[Record<string, string>, Pair[]]>][] = [
    ['POST', '/auth/magic-link', fieldsArb({ email: emailArb, returnTo: textArb })],
    ['POST', '/auth/magic-link', fieldsArb({ email: emailArb })],
    ['GET', '/auth/magic-link', fieldsArb({ returnTo: textArb })],
    ['GET', '/auth/magic-link/sent', fieldsArb({})],
    ['POST', '/auth/magic-link/verify', fieldsArb({ code: fc.oneof(sixDigitArb, textArb) })],
    ['POST', '/auth/magic-link/resend', fieldsArb({ state: stateArb })],
    ['GET', '/auth/magic-link/open', fieldsArb({ t: fc.oneof(stateArb, textArb) })],
    ['POST', '/auth/magic-link/open', fieldsArb({ t: fc.oneof(stateArb, textArb) })],
    ['GET', '/auth/callback', fieldsArb({ code: codeLikeArb, state: stateArb })],
    ['HEAD', '/auth/callback', fieldsArb({ code: codeLikeArb, state: stateArb })],
    ['GET', '/auth/callback', fieldsArb({ error: textArb, state: stateArb })],
    ['POST', '/auth/callback', fieldsArb({ code: codeLikeArb, state: stateArb })],
    ['POST', '/auth/logout', fieldsArb({})],
  ];
  const shaped = fc
    .record({
      route: fc.constantFrom(...shapedRoutes),
      headers: shapedHeaders,
      cookie: cookieOf,
      asJson: fc.boolean(),
      chunked: fc.boolean(),
    })
    .chain(({ route: [method, path, fieldArb], headers, cookie, asJson, chunked }) =>
      fieldArb.map(([fields, extra]): RawRequest => {
        const pairs: Pair[] = [
          ...Object.entries(fields).map(([k, v]): Pair => [k, v, 'encoded']),
          ...extra,
        ];
        const all: Record<string, string> = { ...headers };
        if (cookie !== undefined) all['cookie'] = cookie;
        if (method !== 'POST') {
          return { method, path: path + queryOf(pairs), headers: all, body: null, chunked };
        }
        all['content-type'] = asJson ? JSON_TYPE : FORM;
        const body = asJson
          ? JSON.stringify(Object.fromEntries(pairs.map(([k, v]) => [k, v])))
          : pairsToString(pairs);
        return { method, path, headers: all, body: Buffer.from(body), chunked };
      }),
    );

  return {
    broad: fc.oneof({ weight: 1, arbitrary: shaped }, { weight: 1, arbitrary: random(false) }),
    huge: random(true),
  };
}
