import { request as httpRequest } from 'node:http';
import request from 'supertest';
import { createTestApp } from '../helpers/app';
import type { TestApp } from '../helpers/app';
import {
  STACKS,
  expectNoStackTrace,
  expectRefused,
  paramsOf,
  requestCallback,
  sessionCalls,
  signIn,
  tokenCalls,
  resetApp,
} from './flow';

describe.each(STACKS)('S3: repeated parameters (Express $express, SDK $sdk)', (stack) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ ...stack, rateLimit: false });
  });
  beforeEach(() => resetApp(t));
  afterAll(() => t.close());

  it('refuses a repeated code or state on the callback, and the real link still works', async () => {
    const alice = request.agent(t.url);
    const path = await requestCallback(t, alice);
    const { code, state } = paramsOf(path);
    const e = encodeURIComponent;
    for (const query of [
      `code=${e(code)}&code=other&state=${e(state)}`,
      `code=other&code=${e(code)}&state=${e(state)}`,
      `code=${e(code)}&state=${e(state)}&state=other`,
      `code=${e(code)}&state=${e(state)}&state=${e(state)}`,
    ]) {
      expectRefused(await alice.get(`/auth/callback?${query}`), 400);
    }
    const posted = await alice
      .post('/auth/callback')
      .type('form')
      .send(`code=${e(code)}&code=x&state=${e(state)}`);
    expectRefused(posted, 400);
    expect(tokenCalls(t)).toBe(0);
    expect((await alice.get(path)).status).toBe(303);
  });

  const bodies: [string, string, string][] = [
    ['a repeated form email', 'form', 'email=a%40x.com&email=b%40y.com'],
    ['a repeated form returnTo', 'form', 'email=a%40x.com&returnTo=%2Fa&returnTo=%2Fb'],
    ['bracketed form keys', 'form', 'email[]=a%40x.com'],
    ['a JSON array email', 'json', '{"email":["a@x.com"]}'],
    ['a JSON array of two emails', 'json', '{"email":["a@x.com","b@y.com"]}'],
    ['a JSON object email', 'json', '{"email":{"address":"a@x.com"}}'],
    ['a JSON number email', 'json', '{"email":42}'],
    ['a JSON array returnTo', 'json', '{"email":"a@x.com","returnTo":["/a"]}'],
    ['a JSON array body', 'json', '[{"email":"a@x.com"}]'],
    ['a JSON string body', 'json', '"a@x.com"'],
    ['invalid JSON', 'json', '{"email":'],
  ];

  it.each(bodies)('refuses %s with 400 and never calls WorkOS', async (_name, type, body) => {
    const res = await request(t.url).post('/auth/magic-link').type(type).send(body);
    expectRefused(res, 400);
    expect(await sessionCalls(t)).toBe(0);
    expect(await t.outbox()).toHaveLength(0);
  });
});

describe.each(STACKS)('S4: cross-site POSTs are refused (Express $express, SDK $sdk)', (stack) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ ...stack, rateLimit: false });
  });
  beforeEach(() => resetApp(t));
  afterAll(() => t.close());

  const crossSite: [string, Record<string, string>][] = [
    ['Origin: https://evil.example', { Origin: 'https://evil.example' }],
    ['Sec-Fetch-Site: cross-site', { 'Sec-Fetch-Site': 'cross-site' }],
    ['Sec-Fetch-Site: same-site', { 'Sec-Fetch-Site': 'same-site' }],
    ['Origin: null', { Origin: 'null' }],
    ['Origin: null from a cross-site page', { Origin: 'null', 'Sec-Fetch-Site': 'cross-site' }],
    [
      'a same-origin claim with a foreign Origin',
      { Origin: 'https://evil.example', 'Sec-Fetch-Site': 'same-origin' },
    ],
    ['a cross-site Referer and no Origin', { Referer: 'https://evil.example/page' }],
  ];

  it.each(crossSite)('refuses POST /auth/magic-link with %s', async (_name, headers) => {
    const res = await request(t.url)
      .post('/auth/magic-link')
      .set(headers)
      .type('form')
      .send({ email: 'alice@example.com' });
    expectRefused(res, 403);
    expect(res.text).toContain('This request came from another site and was refused.');
    expect(await sessionCalls(t)).toBe(0);
  });

  it.each(crossSite)('refuses POST /auth/callback with %s', async (_name, headers) => {
    const alice = request.agent(t.url);
    const path = await requestCallback(t, alice);
    const res = await request(t.url)
      .post('/auth/callback')
      .set(headers)
      .type('form')
      .send(paramsOf(path));
    expectRefused(res, 403);
    expect(tokenCalls(t)).toBe(0);
    expect((await alice.get(path)).status).toBe(303);
  });

  it.each(crossSite)('refuses POST /auth/logout with %s, still signed in', async (_n, headers) => {
    const alice = request.agent(t.url);
    await signIn(t, alice);
    const res = await alice.post('/auth/logout').set(headers);
    expect(res.status).toBe(403);
    expectNoStackTrace(res.text);
    expect((await alice.get('/account')).status).toBe(200);
    expect(t.events.map((e) => e.type)).not.toContain('sign_out');
  });

  it('accepts the same requests from the app itself', async () => {
    const alice = request.agent(t.url);
    const sameOrigin = { Origin: t.url, 'Sec-Fetch-Site': 'same-origin' };
    await signIn(t, alice);
    expect((await alice.post('/auth/logout').set(sameOrigin)).status).toBe(303);
    expect((await alice.get('/account').set('Accept', 'application/json')).status).toBe(401);
  });

  it('accepts Origin: null when the browser vouches Sec-Fetch-Site: same-origin', async () => {
    // Chromium sends Origin: null on a page's own form POST under Referrer-Policy: no-referrer.
    const res = await request(t.url)
      .post('/auth/magic-link')
      .set({ Origin: 'null', 'Sec-Fetch-Site': 'same-origin' })
      .type('form')
      .send({ email: 'alice@example.com' });
    expect(res.status).toBe(303);
    expect(await sessionCalls(t)).toBe(1);
  });
});

describe.each(STACKS)(
  'E1–E3: hostile addresses and bodies (Express $express, SDK $sdk)',
  (stack) => {
    let t: TestApp;
    beforeEach(async () => {
      t = await createTestApp({ ...stack, rateLimit: false });
    });
    afterEach(() => t.close());

    const local64 = 'a'.repeat(64);
    // 64 + 1 + 190 = 255 characters, every label within 63.
    const domain190 = `${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(58)}.com`;
    const domain189 = `${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(57)}.com`;

    const hostileJson: [string, string][] = [
      ['CRLF and a Bcc header', 'v@x.com\r\nBcc: s@evil.com'],
      ['a bare LF and a Bcc header', 'v@x.com\nBcc: s@evil.com'],
      ['a bare CR', 'v@x.com\rBcc: s@evil.com'],
      ['a trailing CRLF', 'v@x.com\r\n'],
      ['a NUL byte', 'v@x.com\u0000'],
      ['a Unicode line separator', 'v@x.com\u2028Bcc: s@evil.com'],
      ['a quoted local part with a space', '"a@evil.com x"@victim.com'],
      ['two addresses separated by a comma', 'a@x.com,b@y.com'],
      ['two addresses separated by a semicolon', 'a@x.com;b@y.com'],
      ['a full-width at sign', 'a＠x.com'],
      ['two at signs', 'a@b@x.com'],
      ['a display name', 'Alice <a@x.com>'],
      ['a comment', 'a(comment)@x.com'],
      ['an IP literal', 'a@[127.0.0.1]'],
      ['a 255-character address', `${local64}@${domain190}`],
      ['a 65-character local part', `${'a'.repeat(65)}@example.com`],
    ];

    it.each(hostileJson)(
      'refuses an address with %s (JSON) and calls no one',
      async (_n, email) => {
        const res = await request(t.url).post('/auth/magic-link').send({ email });
        expectRefused(res, 400);
        expect(res.body.error).toBe('bad_email');
        expect(await sessionCalls(t)).toBe(0);
      },
    );

    it.each([
      ['CRLF encoded as %0d%0a', 'email=v%40x.com%0d%0aBcc%3a%20s%40evil.com'],
      ['LF encoded as %0A', 'email=v%40x.com%0ABcc:+s%40evil.com'],
      ['CRLF with a raw colon and plus-encoded space', 'email=v@x.com%0D%0ABcc:+s@evil.com'],
    ])('refuses a form body with %s (decodes to a line break)', async (_name, body) => {
      const res = await request(t.url).post('/auth/magic-link').type('form').send(body);
      expectRefused(res, 400);
      expect(res.text).toContain('Enter a valid email address.');
      expect(await sessionCalls(t)).toBe(0);
    });

    it('accepts the longest legal address and local part (the limits are exact)', async () => {
      for (const email of [`${local64}@${domain189}`, `${local64}@example.com`]) {
        expect(email.length).toBeLessThanOrEqual(254);
        const res = await request(t.url).post('/auth/magic-link').send({ email });
        expect(res.status).toBe(202);
      }
      expect(await sessionCalls(t)).toBe(2);
    });

    it('refuses a 64 KB body with 413 on each POST route, and keeps serving', async () => {
      const pad = 'x'.repeat(64 * 1024);
      for (const path of ['/auth/magic-link', '/auth/callback', '/auth/magic-link/resend']) {
        const res = await request(t.url).post(path).send({ email: 'a@x.com', pad });
        expectRefused(res, 413);
        expect(res.body.error).toBe('body_too_large');
      }
      const form = await request(t.url)
        .post('/auth/magic-link')
        .type('form')
        .send({ email: 'a@x.com', pad });
      expectRefused(form, 413);
      expect(await sessionCalls(t)).toBe(0);
      expect((await request(t.url).get('/')).status).toBe(200);
    });

    it('refuses a 64 KB chunked body (no Content-Length) with 413', async () => {
      const { port } = new URL(t.url);
      const status = await new Promise<number>((resolve, reject) => {
        const req = httpRequest(
          {
            host: '127.0.0.1',
            port,
            method: 'POST',
            path: '/auth/magic-link',
            headers: { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' },
          },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on('error', reject);
        for (let i = 0; i < 16; i += 1)
          req.write(`${i === 0 ? '{"pad":"' : ''}${'y'.repeat(4096)}`);
        req.end('"}');
      });
      expect(status).toBe(413);
      expect(await sessionCalls(t)).toBe(0);
    });
  },
);
