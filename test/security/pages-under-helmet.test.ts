import request from 'supertest';
import { createTestApp } from '../helpers/app';
import type { TestApp } from '../helpers/app';
import { expectNoStackTrace, requestCallback, signIn } from './flow';

function expectAuthHeaders(res: request.Response): void {
  expect(res.headers['cache-control']).toBe('no-store');
  expect(res.headers['referrer-policy']).toBe('no-referrer');
  expect(res.headers['content-security-policy']).toBeDefined();
  expectUnframeable(res);
}

/** A8: helmet's policy and ours both arrive, and ours forbids every frame. */
function expectUnframeable(res: { headers: Record<string, unknown> }): void {
  const csp = String(res.headers['content-security-policy']);
  expect(csp).toContain("frame-ancestors 'none'");
  expect(res.headers['x-frame-options']).toBe('DENY');
}

function expectScriptFree(res: request.Response): void {
  expect(res.headers['content-type']).toMatch(/^text\/html/);
  expect(res.text).toMatch(/^<!doctype html>/i);
  expect(res.text).not.toMatch(/<script/i);
  expect(res.text).not.toMatch(/\son[a-z]+\s*=/i);
  expect(res.text).not.toMatch(/javascript:/i);
  // Nothing the default CSP would block: no external scripts, frames, objects or fonts.
  expect(res.text).not.toMatch(/<(?:iframe|object|embed|link|img)\b/i);
  expectNoStackTrace(res.text);
}

describe('C4: every page works under helmet', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp({ helmet: true });
  });
  afterEach(() => t.close());

  it("keeps helmet's default CSP, which forbids inline script and allows our forms", async () => {
    const res = await request(t.url).get('/auth/magic-link');
    const csp = res.headers['content-security-policy'] as string;
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("script-src-attr 'none'");
    expect(csp).toContain("form-action 'self'");
    expect(csp).toContain("style-src 'self' https: 'unsafe-inline'");
    // Our own policy rides alongside helmet's; a browser enforces both.
    expect(csp).toContain(", frame-ancestors 'none'");
  });

  it('serves the sign-in, sent, relay, confirmation, expired and error pages script-free', async () => {
    const pages: [string, number, request.Response][] = [];
    pages.push(['sign-in', 200, await request(t.url).get('/auth/magic-link')]);
    pages.push(['sent', 200, await request(t.url).get('/auth/magic-link/sent')]);

    const alice = request.agent(t.url);
    const callback = await requestCallback(t, alice);
    const relay = await request(t.url).get(callback);
    expect(relay.text).toContain('Finish signing in where you asked');
    pages.push(['relay', 200, relay]);
    // Signing in clears the pending cookie; her browser before it did is what the expired page's
    // one-click resend is offered to (hardening round 2, G01).
    const pending = alice.jar.getCookie('mlink', {
      domain: '127.0.0.1',
      path: '/',
      secure: false,
      script: false,
    })!.value;
    expect((await alice.get(callback)).status).toBe(303);

    const confirming = await createTestApp({ helmet: true, router: { crossDevice: 'confirm' } });
    try {
      const confirm = await request(confirming.url).get(
        await requestCallback(confirming, request.agent(confirming.url)),
      );
      expect(confirm.text).toContain('Continue signing in');
      pages.push(['confirm', 200, confirm]);
    } finally {
      await confirming.close();
    }

    const expired = await request(t.url).get(callback).set('Cookie', `mlink=${pending}`);
    expect(expired.text).toContain('Email me a new link');
    pages.push(['expired', 400, expired]);
    const elsewhere = await request(t.url).get(callback);
    expect(elsewhere.text).toContain('Ask for a new link');
    expect(elsewhere.text).not.toContain('Email me a new link');
    pages.push(['expired elsewhere', 400, elsewhere]);
    pages.push([
      'bad email',
      400,
      await request(t.url).post('/auth/magic-link').type('form').send({ email: 'nope' }),
    ]);
    pages.push([
      'cross-site error',
      403,
      await request(t.url)
        .post('/auth/magic-link')
        .set('Origin', 'https://evil.example')
        .type('form')
        .send({ email: 'a@example.com' }),
    ]);
    pages.push(['method error', 405, await request(t.url).get('/auth/logout')]);
    const bob = request.agent(t.url);
    const bobCallback = await requestCallback(t, bob, 'b@example.com');
    t.emulator!.failNext(1, 500);
    pages.push(['try again', 503, await bob.get(bobCallback)]);

    for (const [name, status, res] of pages) {
      expect({ name, status: res.status }).toEqual({ name, status });
      expectAuthHeaders(res);
      expectScriptFree(res);
    }
  });

  it('sends no-store and no-referrer on every /auth redirect and JSON answer', async () => {
    const alice = request.agent(t.url);
    const asked = await alice
      .post('/auth/magic-link')
      .type('form')
      .send({ email: 'alice@example.com' });
    expect(asked.status).toBe(303);
    expectAuthHeaders(asked);

    const json = await request(t.url).post('/auth/magic-link').send({ email: 'b@example.com' });
    expect(json.status).toBe(202);
    expectAuthHeaders(json);

    const landed = await alice.get(await requestCallback(t, alice, 'c@example.com'));
    expect(landed.status).toBe(303);
    expectAuthHeaders(landed);

    const out = await alice.post('/auth/logout');
    expect(out.status).toBe(303);
    expectAuthHeaders(out);
  });

  it('leaves routes outside /auth to the app', async () => {
    const alice = request.agent(t.url);
    await signIn(t, alice);
    const home = await alice.get('/');
    expect(home.status).toBe(200);
    expect(home.headers['cache-control']).toBeUndefined();
  });
});

describe('A8: framing, without helmet', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp({ helmet: false });
  });
  afterEach(() => t.close());

  it('forbids framing on every page the package renders, the confirmation page included', async () => {
    const alice = request.agent(t.url);
    const callback = await requestCallback(t, alice);
    for (const res of [
      await request(t.url).get('/auth/magic-link'),
      await request(t.url).get('/auth/magic-link/sent'),
      await request(t.url).get(callback),
      await request(t.url).get('/auth/logout'),
    ]) {
      expect(res.headers['content-security-policy']).toBe("frame-ancestors 'none'");
      expectUnframeable(res);
    }
  });
});
