import { randomBytes } from 'node:crypto';
import { startExample } from './example-process';
import { BUILD_TIMEOUT_MS, START_TIMEOUT_MS, ensureBuilt, freePort } from './processes';
import type { ExampleProcess } from './processes';
import { codeIn, linksIn, startSmtpServer } from './smtp';
import type { TestSmtpServer } from './smtp';

// Two example-app processes behind one origin, sharing one Redis (a server or a cluster): the
// tests of test/scale/two-instances*.test.ts.

/** The Redis the two instances share, as the tests see it. */
export interface SharedRedis {
  /** What tells the example app where Redis is (REDIS_URL or REDIS_CLUSTER_NODES). */
  env: Record<string, string>;
  /** How many keys match `pattern`, over the whole deployment (every master of a cluster). */
  countKeys(pattern: string): Promise<number>;
  close(): Promise<void>;
}

/** Where the example app keeps express-session sessions in Redis (example-app/app.mjs). */
const SESSION_PREFIX = 'example:sess:';
/** A build (when dist/ is missing), two app processes and a Redis client, on a busy machine. */
const SETUP_MS = BUILD_TIMEOUT_MS + START_TIMEOUT_MS + 30_000;

/** One browser: its cookies are valid on every instance, since both serve one site. */
class Browser {
  readonly cookies = new Map<string, string>();

  header(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  store(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const pair = line.split(';')[0]!;
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (value === '' || /max-age=0/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  clone(): Browser {
    const copy = new Browser();
    for (const [name, value] of this.cookies) copy.cookies.set(name, value);
    return copy;
  }
}

interface Reply {
  status: number;
  location: string | null;
  retryAfter: string | null;
  setCookie: string[];
  text: string;
}

async function send(
  browser: Browser,
  url: string,
  init: { method?: string; form?: Record<string, string>; headers?: Record<string, string> } = {},
): Promise<Reply> {
  const headers: Record<string, string> = { Accept: 'text/html', ...init.headers };
  const cookie = browser.header();
  if (cookie) headers['Cookie'] = cookie;
  let body: string | undefined;
  if (init.form) {
    headers['Content-Type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(init.form).toString();
  }
  const res = await fetch(url, {
    method: init.method ?? (body === undefined ? 'GET' : 'POST'),
    headers,
    body,
    redirect: 'manual',
    signal: AbortSignal.timeout(10_000),
  });
  browser.store(res);
  return {
    status: res.status,
    location: res.headers.get('location'),
    retryAfter: res.headers.get('retry-after'),
    setCookie: res.headers.getSetCookie(),
    text: await res.text(),
  };
}

function onInstance(link: string, instance: ExampleProcess): string {
  const url = new URL(link);
  url.port = String(instance.port);
  return url.href;
}

/** The two-instance tests, inside a describe block that provides the shared Redis. */
export function twoInstanceTests(connectRedis: () => Promise<SharedRedis>): void {
  let smtp: TestSmtpServer;
  let a: ExampleProcess;
  let b: ExampleProcess;
  let origin: string;
  let shared: SharedRedis;

  beforeAll(async () => {
    await ensureBuilt();
    shared = await connectRedis();
    smtp = await startSmtpServer();
    const [portA, portB] = [await freePort(), await freePort()];
    origin = `http://127.0.0.1:${portA}`;
    const env = {
      MAGIC_LINK_SECRET: randomBytes(32).toString('base64url'),
      SESSION_SECRET: randomBytes(32).toString('base64url'),
      ...shared.env,
      SMTP_URL: smtp.url,
      MAIL_FROM: 'Example <login@example.test>',
      MAGIC_LINK_PROVIDER: 'self-hosted',
      NODE_ENV: 'development',
      ORIGIN: origin,
    };
    // Both start at once; if one fails, the other must not outlive this file (a slow start on a
    // busy machine once left an orphaned example app behind).
    const started = await Promise.allSettled([startExample(portA, env), startExample(portB, env)]);
    const failed = started.find((r) => r.status === 'rejected');
    if (failed) {
      await Promise.all(started.map((r) => (r.status === 'fulfilled' ? r.value.stop() : null)));
      throw failed.reason;
    }
    [a, b] = started.map((r) => (r as PromiseFulfilledResult<ExampleProcess>).value) as [
      ExampleProcess,
      ExampleProcess,
    ];
  }, SETUP_MS);

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await shared?.close();
    await smtp?.close();
  }, 30_000);

  async function sessionCount(): Promise<number> {
    return shared.countKeys(`${SESSION_PREFIX}*`);
  }

  /** Asks for a link on `instance`; returns the callback link and the code from the real email. */
  async function requestLink(
    browser: Browser,
    instance: ExampleProcess,
    email: string,
  ): Promise<{ link: string; code: string }> {
    const sent = await send(browser, `${instance.url}/auth/magic-link`, {
      form: { email, returnTo: '/account' },
      headers: { Origin: origin },
    });
    expect(sent.status).toBe(303);
    expect(sent.location).toBe('/auth/magic-link/sent');
    expect(browser.cookies.has('mlink')).toBe(true);
    const mail = await smtp.waitForMessage((m) => m.text?.includes(email) ?? false, 10_000);
    const link = linksIn(mail).find((l) => l.includes('/auth/callback?'));
    const code = codeIn(mail);
    if (link === undefined || code === null) throw new Error(`no link or code in:\n${mail.text}`);
    // The email names the one public origin, whichever instance sent it.
    expect(link.startsWith(`${origin}/auth/callback?`)).toBe(true);
    return { link, code };
  }

  it('finishes on B a link requested on A; the session then works on both', async () => {
    const browser = new Browser();
    const { link } = await requestLink(browser, a, 'cross@example.com');

    const landed = await send(browser, onInstance(link, b));
    expect(landed.status).toBe(303);
    expect(landed.location).toBe('/account');
    expect(browser.cookies.has('connect.sid')).toBe(true);

    for (const instance of [b, a]) {
      const account = await send(browser, `${instance.url}/account`);
      expect(account.status).toBe(200);
      expect(account.text).toContain('cross@example.com');
    }
  });

  it('spends a link exactly once when 20 callbacks race across both instances', async () => {
    const browser = new Browser();
    const { link } = await requestLink(browser, a, 'race-link@example.com');
    const before = await sessionCount();

    const replies = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        send(browser.clone(), onInstance(link, i % 2 === 0 ? a : b)),
      ),
    );

    const winners = replies.filter((r) => r.status === 303);
    expect(winners).toHaveLength(1);
    expect(winners[0]!.location).toBe('/account');
    expect(winners[0]!.setCookie.some((c) => c.startsWith('connect.sid='))).toBe(true);
    for (const refused of replies.filter((r) => r.status !== 303)) {
      expect(refused.status).toBe(400);
      expect(refused.text).toContain('expired or was already used');
      expect(refused.setCookie.some((c) => c.startsWith('connect.sid='))).toBe(false);
    }
    expect(await sessionCount()).toBe(before + 1);
  });

  it('spends a one-time code exactly once when 20 verifications race across both instances', async () => {
    const browser = new Browser();
    const { code, link } = await requestLink(browser, b, 'race-code@example.com');
    const before = await sessionCount();

    const replies = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        send(browser.clone(), `${(i % 2 === 0 ? a : b).url}/auth/magic-link/verify`, {
          form: { code },
          headers: { Origin: origin },
        }),
      ),
    );

    const winners = replies.filter((r) => r.status === 303);
    expect(winners).toHaveLength(1);
    expect(winners[0]!.location).toBe('/account');
    // The losers are refused: a wrong/used code (400) or, past 5 attempts, locked out (429).
    for (const refused of replies.filter((r) => r.status !== 303)) {
      expect([400, 429]).toContain(refused.status);
      expect(refused.setCookie.some((c) => c.startsWith('connect.sid='))).toBe(false);
    }
    expect(await sessionCount()).toBe(before + 1);
    // The code and the link are spent together.
    const late = await send(browser.clone(), onInstance(link, a));
    expect(late.status).toBe(400);
  });

  it('signs out everywhere: sign-out on A destroys the session that B reads', async () => {
    const browser = new Browser();
    const { link } = await requestLink(browser, b, 'leaver@example.com');
    expect((await send(browser, onInstance(link, a))).status).toBe(303);
    const sid = browser.cookies.get('connect.sid')!;
    const stolen = browser.clone();
    expect((await send(browser, `${b.url}/account`)).status).toBe(200);
    const before = await sessionCount();

    const out = await send(browser, `${a.url}/auth/logout`, {
      method: 'POST',
      headers: { Origin: origin },
    });
    expect(out.status).toBe(303);
    expect(await sessionCount()).toBe(before - 1);

    // Replaying the old cookie on the other instance finds no session.
    const replay = await send(stolen, `${b.url}/account`);
    expect(replay.status).toBe(303);
    expect(replay.location).toMatch(/^\/auth\/magic-link\?returnTo=/);
    const api = await send(stolen, `${b.url}/account`, { headers: { Accept: 'application/json' } });
    expect(api.status).toBe(401);
    expect(stolen.cookies.get('connect.sid')).toBe(sid);
  });

  it('shares rate limits: the 4th request for one address in a minute, split across A and B, is refused', async () => {
    const email = `limited-${randomBytes(4).toString('hex')}@example.com`;
    const statuses: number[] = [];
    let last: Reply | undefined;
    for (const instance of [a, b, a, b]) {
      last = await send(new Browser(), `${instance.url}/auth/magic-link`, {
        form: { email },
        headers: { Origin: origin },
      });
      statuses.push(last.status);
    }
    expect(statuses).toEqual([303, 303, 303, 429]);
    const retryAfter = Number(last!.retryAfter);
    expect(Number.isInteger(retryAfter)).toBe(true);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(last!.text).toContain('Too many requests');

    // JSON clients get the same refusal, from either instance.
    const json = await send(new Browser(), `${a.url}/auth/magic-link`, {
      form: { email },
      headers: { Origin: origin, Accept: 'application/json' },
    });
    expect(json.status).toBe(429);
    expect(JSON.parse(json.text)).toMatchObject({ error: 'rate_limited' });
  });
}
