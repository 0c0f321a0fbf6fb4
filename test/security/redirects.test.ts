import request from 'supertest';
import { createTestApp } from '../helpers/app';
import type { TestApp } from '../helpers/app';
import { R1_PAYLOADS } from '../helpers/payloads';
import { STACKS, requestCallback, resetApp } from './flow';

const MORE_PAYLOADS = [
  // A leading (or embedded) tab or newline: browsers strip them, leaving `//evil.com`.
  '\t//evil.com',
  '\n//evil.com',
  '\r\n//evil.com',
  '/\t/evil.com',
  '/\n/evil.com',
  ' //evil.com',
  // Percent-encoded slashes and backslashes.
  '/%2F/evil.com',
  '/%2f%2fevil.com',
  '%2F%2Fevil.com',
  '/%5Cevil.com',
  '/%5c%5cevil.com',
  // Full-width and ideographic dots and slashes.
  '//evil。com',
  '//evil．com',
  '//evil｡com',
  '/／evil.com',
  '/＼evil.com',
  '／／evil.com',
  // Other absolute and scheme-relative shapes.
  'https://evil.com',
  'HTTPS://evil.com',
  '///evil.com',
  '/.//evil.com',
  'data:text/html,<script>alert(1)</script>',
  'javascript://%0aalert(1)',
];

function assertSameOrigin(location: string, appUrl: string): void {
  expect(location.startsWith('/')).toBe(true);
  expect(location.startsWith('//')).toBe(false);
  expect(location).not.toMatch(/[\\\s]/);
  expect(new URL(location, appUrl).origin).toBe(appUrl);
}

describe.each(STACKS)(
  'R1: returnTo always lands same-origin (Express $express, SDK $sdk)',
  (stack) => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp({ ...stack, rateLimit: false });
    });
    beforeEach(() => resetApp(t));
    afterAll(() => t.close());

    async function landAfterSignIn(returnTo: string): Promise<string> {
      const agent = request.agent(t.url);
      const landed = await agent.get(
        await requestCallback(t, agent, 'alice@example.com', returnTo),
      );
      expect(landed.status).toBe(303);
      return landed.headers.location as string;
    }

    it.each([...R1_PAYLOADS, ...MORE_PAYLOADS])(
      'lands on the default / after signing in with returnTo %j',
      async (payload) => {
        const location = await landAfterSignIn(payload);
        expect(location).toBe('/');
        assertSameOrigin(location, t.url);
      },
    );

    it('also refuses the app-host-with-userinfo trick for the real app origin', async () => {
      const host = new URL(t.url).host;
      for (const payload of [`${t.url}@evil.com`, `//${host}@evil.com`, `/${host}@evil.com`]) {
        const location = await landAfterSignIn(payload);
        assertSameOrigin(location, t.url);
        expect(new URL(location, t.url).host).toBe(host);
      }
    });

    it('keeps a genuine same-origin path, query and all', async () => {
      expect(await landAfterSignIn('/account?tab=keys&sort=desc')).toBe(
        '/account?tab=keys&sort=desc',
      );
      expect(await landAfterSignIn('/a/./b/../c')).toBe('/a/c');
    });

    it('never puts a hostile returnTo into the sign-in form', async () => {
      for (const payload of R1_PAYLOADS) {
        const page = await request(t.url).get(
          `/auth/magic-link?returnTo=${encodeURIComponent(payload)}`,
        );
        expect(page.status).toBe(200);
        expect(page.text).toContain('name="returnTo" value="/"');
        expect(page.text).not.toContain('evil.com');
      }
    });
  },
);

describe('R1: hostile returnTo falls back to afterSignIn', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ rateLimit: false, router: { afterSignIn: '/dashboard' } });
  });
  beforeEach(() => resetApp(t));
  afterAll(() => t.close());

  it.each(R1_PAYLOADS)('lands on /dashboard for %j', async (payload) => {
    const agent = request.agent(t.url);
    const landed = await agent.get(await requestCallback(t, agent, 'alice@example.com', payload));
    expect(landed.status).toBe(303);
    expect(landed.headers.location).toBe('/dashboard');
  });

  it('lands on /dashboard when no returnTo was given', async () => {
    const agent = request.agent(t.url);
    const landed = await agent.get(await requestCallback(t, agent));
    expect(landed.headers.location).toBe('/dashboard');
  });
});

describe('R1: a refused address re-shows the form with a safe returnTo', () => {
  let t: TestApp;
  afterEach(() => t.close());

  async function badEmail(returnTo: string): Promise<request.Response> {
    const res = await request(t.url)
      .post('/auth/magic-link')
      .type('form')
      .send({ email: 'not an address', returnTo });
    expect(res.status).toBe(400);
    expect(res.text).toContain('Enter a valid email address.');
    return res;
  }

  it("keeps the visitor's own returnTo, and drops a hostile one", async () => {
    t = await createTestApp();
    expect((await badEmail('/account?tab=keys')).text).toContain(
      'name="returnTo" value="/account?tab=keys"',
    );
    for (const payload of R1_PAYLOADS) {
      const res = await badEmail(payload);
      expect(res.text).toContain('name="returnTo" value="/"');
      expect(res.text).not.toContain('evil.com');
    }
  });

  it("renders the app's own sign-in page when it replaced the default", async () => {
    t = await createTestApp({
      router: {
        signInPage: (data) =>
          `<!doctype html><p>custom</p><p>${data.error ?? ''}</p><i>${data.returnTo}</i>`,
      },
    });
    const res = await badEmail('/account');
    expect(res.text).toContain('<p>custom</p>');
    expect(res.text).toContain('<i>/account</i>');
  });
});
