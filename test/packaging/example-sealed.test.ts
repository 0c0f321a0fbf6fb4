import { randomBytes } from 'node:crypto';
import { startExample } from '../helpers/example-process';
import { BUILD_TIMEOUT_MS, START_TIMEOUT_MS, ensureBuilt, freePort } from '../helpers/processes';
import type { ExampleProcess } from '../helpers/processes';
import { linksIn, startSmtpServer } from '../helpers/smtp';
import type { TestSmtpServer } from '../helpers/smtp';

/** A cookie jar over fetch: what a browser keeps between requests. */
class Jar {
  readonly cookies = new Map<string, string>();

  async send(
    url: string,
    init: { method?: string; form?: Record<string, string>; origin?: string } = {},
  ): Promise<{ status: number; location: string | null; setCookie: string[]; text: string }> {
    const headers: Record<string, string> = { Accept: 'text/html' };
    const cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    if (cookie) headers['Cookie'] = cookie;
    if (init.origin) headers['Origin'] = init.origin;
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
      signal: AbortSignal.timeout(20_000),
    });
    const setCookie = res.headers.getSetCookie();
    for (const line of setCookie) {
      const pair = line.split(';')[0]!;
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (value === '' || /max-age=0/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return {
      status: res.status,
      location: res.headers.get('location'),
      setCookie,
      text: await res.text(),
    };
  }
}

describe('the example app with SESSION=sealed', () => {
  let smtp: TestSmtpServer;
  let app: ExampleProcess;
  let origin: string;

  beforeAll(
    async () => {
      await ensureBuilt();
      smtp = await startSmtpServer();
      const port = await freePort();
      origin = `http://127.0.0.1:${port}`;
      app = await startExample(port, {
        SESSION: 'sealed',
        SESSION_SECRET: randomBytes(32).toString('base64url'),
        MAGIC_LINK_SECRET: randomBytes(32).toString('base64url'),
        MAGIC_LINK_PROVIDER: 'self-hosted',
        SMTP_URL: smtp.url,
        MAIL_FROM: 'Example <login@example.test>',
        NODE_ENV: 'development',
        ORIGIN: origin,
      });
    },
    BUILD_TIMEOUT_MS + START_TIMEOUT_MS + 30_000,
  );

  afterAll(async () => {
    await app?.stop();
    await smtp?.close();
  }, 30_000);

  it('signs in over HTTP with one sealed cookie and no express-session, and signs out for good', async () => {
    const browser = new Jar();
    const sent = await browser.send(`${app.url}/auth/magic-link`, {
      form: { email: 'sealed@example.com', returnTo: '/account' },
      origin,
    });
    expect(sent.status).toBe(303);
    const mail = await smtp.waitForMessage((m) => m.text?.includes('sealed@example.com') ?? false);
    const link = linksIn(mail).find((l) => l.includes('/auth/callback?'));
    expect(link).toBeDefined();

    const landed = await browser.send(link!);
    expect(landed.status).toBe(303);
    expect(landed.location).toBe('/account');
    const line = landed.setCookie.find((l) => l.startsWith('mlsession='));
    expect(line).toMatch(/; HttpOnly; SameSite=Lax;/);
    expect(landed.setCookie.some((l) => l.startsWith('connect.sid='))).toBe(false);
    expect([...browser.cookies.keys()]).toEqual(['mlsession']);

    const account = await browser.send(`${app.url}/account`);
    expect(account.status).toBe(200);
    expect(account.text).toContain('sealed@example.com');
    expect(account.setCookie.some((l) => l.startsWith('connect.sid='))).toBe(false);

    const stolen = new Jar();
    stolen.cookies.set('mlsession', browser.cookies.get('mlsession')!);
    const out = await browser.send(`${app.url}/auth/logout`, { method: 'POST', origin });
    expect(out.status).toBe(303);
    expect(browser.cookies.size).toBe(0);
    const replay = await stolen.send(`${app.url}/account`);
    expect(replay.status).toBe(303);
    expect(replay.location).toMatch(/^\/auth\/magic-link\?returnTo=/);
  }, 60_000);
});
