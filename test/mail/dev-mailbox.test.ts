import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import helmet from 'helmet';
import {
  DEFAULT_DEV_MAILBOX_MAX,
  devMailbox,
  extractCode,
  extractLinks,
} from '../../lib/mail/dev-mailbox';
import type { DevMailbox } from '../../lib/mail/dev-mailbox';
import type { MailMessage } from '../../lib/mail/mailer';
import { defaultEmailTemplate } from '../../lib/mail/templates';

const LINK = 'http://localhost:3000/auth/callback?code=tok_abc&state=st.xyz';

function message(n: number, overrides: Partial<MailMessage> = {}): MailMessage {
  const now = new Date('2026-01-01T00:00:00Z');
  return {
    to: `user${n}@example.com`,
    ...defaultEmailTemplate({
      to: `user${n}@example.com`,
      link: `${LINK}&n=${n}`,
      code: String(100000 + n),
      expiresAt: new Date(now.getTime() + 15 * 60_000),
      now,
      branding: { appName: 'Acme' },
    }),
    ...overrides,
  };
}

function quiet(options: Parameters<typeof devMailbox>[0] = {}): DevMailbox & { lines: string[] } {
  const lines: string[] = [];
  return Object.assign(devMailbox({ log: (line) => lines.push(line), ...options }), { lines });
}

describe('devMailbox: keeping messages', () => {
  it('keeps messages newest first', async () => {
    const box = quiet();
    await box.send(message(1));
    await box.send(message(2));
    box.record(message(3));
    expect(box.messages.map((m) => m.to)).toEqual([
      'user3@example.com',
      'user2@example.com',
      'user1@example.com',
    ]);
  });

  it(`keeps at most max messages (default ${DEFAULT_DEV_MAILBOX_MAX})`, async () => {
    const box = quiet({ max: 3 });
    for (let n = 1; n <= 5; n++) await box.send(message(n));
    expect(box.messages.map((m) => m.to)).toEqual([
      'user5@example.com',
      'user4@example.com',
      'user3@example.com',
    ]);

    const big = quiet();
    for (let n = 1; n <= DEFAULT_DEV_MAILBOX_MAX + 10; n++) big.record(message(n));
    expect(big.messages).toHaveLength(DEFAULT_DEV_MAILBOX_MAX);
  });

  it('hands out snapshots that later messages do not change', async () => {
    const box = quiet();
    await box.send(message(1));
    const before = box.messages;
    await box.send(message(2));
    expect(before).toHaveLength(1);
    expect(Object.isFrozen(before)).toBe(true);
    box.clear();
    expect(box.messages).toEqual([]);
  });

  it('stores the entry shape {to, subject, text, html, links, code, sentAt}', async () => {
    const box = quiet();
    const sent = message(7);
    await box.send(sent);
    const [entry] = box.messages;
    expect(Object.keys(entry!).sort()).toEqual(
      ['code', 'html', 'links', 'sentAt', 'subject', 'text', 'to'].sort(),
    );
    expect(entry).toMatchObject({
      to: 'user7@example.com',
      subject: 'Sign in to Acme',
      text: sent.text,
      html: sent.html,
      links: [`${LINK}&n=7`],
      code: '100007',
    });
    expect(new Date(entry!.sentAt).toISOString()).toBe(entry!.sentAt);
  });

  it('takes the code given to record() over the one in the text', () => {
    const box = quiet();
    box.record({ ...message(1), code: '999999' });
    box.record({ ...message(2), code: null });
    expect(box.messages.map((m) => m.code)).toEqual([null, '999999']);
    expect(() => box.record({ ...message(3), code: '12345' })).toThrow(TypeError);
  });
});

describe('devMailbox: extracting links and codes', () => {
  it('finds http(s) links in the text, in order, without trailing punctuation', () => {
    expect(
      extractLinks(
        'Go to https://a.example/x?y=1&z=2. Or (http://b.example/). Not ftp://c.example or javascript:alert(1)',
      ),
    ).toEqual(['https://a.example/x?y=1&z=2', 'http://b.example/']);
  });

  it('falls back to decoded hrefs from the HTML when the text has none', () => {
    expect(
      extractLinks(
        'Click the button.',
        '<a href="https://a.example/cb?code=1&amp;state=2">x</a><a href=\'javascript:alert(1)\'>y</a>',
      ),
    ).toEqual(['https://a.example/cb?code=1&state=2']);
  });

  it.each([
    ['Your code: 123456', '123456'],
    ['Or enter this code on the sign-in page:\n\n654321\n', '654321'],
    ['CODE is 000042 ok', '000042'],
    ['code 1234567', null],
    ['the number 123456 has no label', null],
    ['https://x.example/cb?code=abc', null],
  ])('extractCode(%p) → %p', (text, code) => {
    expect(extractCode(text)).toBe(code);
  });
});

describe('devMailbox: logging', () => {
  it('logs one line with a masked address, the link and the code', async () => {
    const box = quiet();
    await box.send(message(1, { to: 'ada@example.com' }));
    expect(box.lines).toEqual([`[dev-mailbox] to a•••@example.com: ${LINK}&n=1 (code 100001)`]);
  });

  it('keeps a hostile subject on one line', () => {
    const box = quiet();
    box.record({ to: 'a@b.example', subject: 'x\r\n[dev-mailbox] fake', text: 'none', html: '' });
    expect(box.lines).toHaveLength(1);
    expect(box.lines[0]).not.toMatch(/[\r\n]/);
  });

  it('defaults to console.log', async () => {
    const spy = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      await devMailbox().send(message(1));
      expect(spy).toHaveBeenCalledTimes(1);
      expect(spy.mock.calls[0]?.[0]).toMatch(/^\[dev-mailbox\] to u•••@example\.com: http/);
    } finally {
      spy.mockRestore();
    }
  });
});

describe('devMailbox: construction', () => {
  const original = process.env.NODE_ENV;
  afterEach(() => {
    process.env.NODE_ENV = original;
  });

  it('refuses to start in production', () => {
    process.env.NODE_ENV = 'production';
    expect(() => devMailbox()).toThrow(TypeError);
    expect(() => devMailbox()).toThrow(
      /^devMailbox: NODE_ENV is production, .*Fix: use smtpMailer()/,
    );
  });

  it.each([0, -1, 1.5, Number.NaN, 1e9])('refuses max %p', (max) => {
    expect(() => devMailbox({ max })).toThrow(/^devMailbox: max must be/);
  });
});

describe('devMailbox: handler()', () => {
  let server: Server;
  let base: string;
  let box: DevMailbox;

  beforeAll(async () => {
    box = devMailbox({ log: () => undefined });
    const handler = box.handler();
    // Mounted at /dev the way Express's app.use('/dev', …) would: strip the prefix from req.url.
    server = createServer((req, res) => {
      const url = req.url ?? '/';
      if (url.startsWith('/dev/')) req.url = url.slice('/dev'.length);
      handler(req, res, (err) => {
        res.statusCode = err === undefined ? 404 : 500;
        res.end('next');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  beforeEach(() => box.clear());

  it('serves the messages as JSON, newest first, with no-store', async () => {
    await box.send(message(1));
    await box.send(message(2));
    const res = await fetch(`${base}/dev/mailbox.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-store');
    const body = (await res.json()) as unknown[];
    expect(body).toEqual(JSON.parse(JSON.stringify(box.messages)));
    expect(body).toMatchObject([{ to: 'user2@example.com' }, { to: 'user1@example.com' }]);
    expect(Object.keys(body[0] as object).sort()).toEqual(
      ['code', 'html', 'links', 'sentAt', 'subject', 'text', 'to'].sort(),
    );
  });

  it('serves an HTML page with the links as anchors and the code, without script', async () => {
    await box.send(message(1));
    const res = await fetch(`${base}/dev/mailbox`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    const page = await res.text();
    expect(page).toContain(`<a href="${`${LINK}&n=1`.replace(/&/g, '&amp;')}"`);
    expect(page).toContain('>100001</p>');
    expect(page).toContain('user1@example.com');
    expect(page).toContain('Sign in to Acme');
    expect(page).not.toMatch(/<script|<iframe|\son[a-z]+=/i);
  });

  it('escapes everything it shows', async () => {
    box.record({
      to: '"><img src=x onerror=alert(1)>@example.com',
      subject: '<script>alert(1)</script>',
      text: 'Hello </pre><script>alert(2)</script> https://x.example/"><b>',
      html: '<img src=x onerror=alert(3)>',
    });
    const page = await (await fetch(`${base}/dev/mailbox`)).text();
    expect(page).not.toMatch(/<script|<img|<b>|<\/pre><script/i);
    expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(page).toContain('&quot;&gt;&lt;img src=x onerror=alert(1)&gt;@example.com');
  });

  it('shows an empty mailbox', async () => {
    const page = await (await fetch(`${base}/dev/mailbox/`)).text();
    expect(page).toContain('No messages yet.');
  });

  it('answers HEAD without a body', async () => {
    const res = await fetch(`${base}/dev/mailbox.json`, { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('');
  });

  it.each([
    ['GET', '/dev/other'],
    ['GET', '/dev/mailboxes'],
    ['GET', '/dev/mailbox.json.bak'],
    ['POST', '/dev/mailbox'],
    ['DELETE', '/dev/mailbox.json'],
  ])('passes %s %s to next()', async (method, path) => {
    const res = await fetch(`${base}${path}`, { method });
    expect(res.status).toBe(404);
    expect(await res.text()).toBe('next');
  });

  it('matches with a query string', async () => {
    const res = await fetch(`${base}/dev/mailbox.json?x=1`);
    expect(res.status).toBe(200);
  });
});

describe('devMailbox: handler() in Express under helmet', () => {
  it("mounts with app.use and keeps helmet's default CSP, which the page needs no exception to", async () => {
    const box = devMailbox({ log: () => undefined });
    await box.send(message(1));
    const app = express();
    app.use(helmet());
    app.use('/dev', box.handler());
    const server = app.listen(0, '127.0.0.1');
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const res = await fetch(`${base}/dev/mailbox`);
      expect(res.status).toBe(200);
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("style-src 'self' https: 'unsafe-inline'");
      const page = await res.text();
      expect(page).not.toMatch(/<script|\son[a-z]+=|javascript:/i);
      expect((await fetch(`${base}/dev/mailbox.json`)).status).toBe(200);
      expect((await fetch(`${base}/mailbox`)).status).toBe(404);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
