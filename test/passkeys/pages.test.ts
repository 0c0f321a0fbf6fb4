// The browser side, without a browser: the served script (content-hashed, cacheable, the bundle
// is fresh), the pages under helmet's default CSP, and the enrollment offer once per browser.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { PASSKEY_CLIENT_HASH, PASSKEY_CLIENT_JS } from '../../lib/passkeys/client/bundle';
import { createTestApp } from '../helpers/app';
import { askForLink, nextEmail } from '../helpers/sign-in';
import { pathOf } from '../helpers/app';
import { createPasskeyApp, enroll, request, signInByEmail } from './helpers';
import type { PasskeyApp } from './helpers';

const ROOT = path.resolve(__dirname, '../..');

function inlineScripts(html: string): string[] {
  return [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)]
    .filter((m) => !/\bsrc=/.test(m[1]!) || m[2]!.trim() !== '')
    .map((m) => m[0]);
}

describe('the passkey script', () => {
  let app: PasskeyApp;
  beforeAll(async () => {
    app = await createPasskeyApp({ router: {} });
  });
  afterAll(() => app.close());

  it('is served content-hashed: immutable under its hash, revalidated without', async () => {
    const hashed = await request(app.url).get(`/auth/passkeys/client.js?v=${PASSKEY_CLIENT_HASH}`);
    expect(hashed.status).toBe(200);
    expect(hashed.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(hashed.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(hashed.headers.etag).toBe(`"${PASSKEY_CLIENT_HASH}"`);
    expect(hashed.text).toBe(PASSKEY_CLIENT_JS);
    const bare = await request(app.url).get('/auth/passkeys/client.js');
    expect(bare.headers['cache-control']).toBe('no-cache');
  });

  it('the committed bundle is what scripts/build-passkey-client.mjs builds now', async () => {
    const script = `
      const { bundlePasskeyClient, bundleModule } = await import('./scripts/build-passkey-client.mjs');
      const js = await bundlePasskeyClient();
      process.stdout.write(JSON.stringify({ js, module: bundleModule(js) }));`;
    const out = await new Promise<string>((resolve, reject) =>
      execFile(
        process.execPath,
        ['--input-type=module', '-e', script],
        { cwd: ROOT, timeout: 60_000, maxBuffer: 4 << 20 },
        (err, stdout, stderr) => (err ? reject(new Error(stderr)) : resolve(stdout)),
      ),
    );
    const built = JSON.parse(out) as { js: string; module: string };
    expect(built.js).toBe(PASSKEY_CLIENT_JS);
    expect(built.module).toContain(`PASSKEY_CLIENT_HASH = '${PASSKEY_CLIENT_HASH}'`);
  }, 70_000);
});

describe('pages with passkeys on, under helmet', () => {
  let app: PasskeyApp;
  beforeAll(async () => {
    app = await createPasskeyApp({ router: {} });
  });
  afterAll(() => app.close());

  it('the sign-in page: passkey button (hidden until the script shows it) and autofill, no inline script', async () => {
    const page = await request(app.url).get('/auth/magic-link?returnTo=%2Faccount');
    expect(page.status).toBe(200);
    expect(page.text).toContain('autocomplete="username webauthn"');
    expect(page.text).toMatch(/<button\s+type="button"\s+hidden\s+data-passkey-sign-in/);
    expect(page.text).toContain('data-return-to="/account"');
    expect(page.text).toContain(
      `<script src="/auth/passkeys/client.js?v=${PASSKEY_CLIENT_HASH}" defer>`,
    );
    expect(inlineScripts(page.text)).toEqual([]);
    // The email form is still the whole way in without JavaScript.
    expect(page.text).toMatch(/<form method="post" action="\/auth\/magic-link">/);
  });

  it('the management page lists passkeys with plain forms', async () => {
    const agent = request.agent(app.url);
    await signInByEmail(app, agent, 'pages@example.com');
    const id = await enroll(agent, app.authenticator());
    const page = await agent.get('/auth/passkeys');
    expect(page.text).toContain(`<form method="post" action="/auth/passkeys/${id}/delete">`);
    expect(page.text).toContain('value="Passkey"');
    expect(page.text).toContain('Never used');
    expect(inlineScripts(page.text)).toEqual([]);
  });
});

describe('pages with passkeys off', () => {
  it('the sign-in page has no script and the passkey routes do not exist', async () => {
    const app = await createTestApp({ provider: 'self-hosted', rateLimit: false });
    try {
      const page = await request(app.url).get('/auth/magic-link');
      expect(page.text).toContain('autocomplete="email"');
      expect(page.text).not.toContain('<script');
      expect((await request(app.url).get('/auth/passkeys/client.js')).status).toBe(404);
      expect((await request(app.url).post('/auth/passkeys/sign-in/options').send({})).status).toBe(
        404,
      );
    } finally {
      await app.close();
    }
  });
});

describe('the enrollment offer after an email sign-in', () => {
  let app: PasskeyApp;
  beforeAll(async () => {
    app = await createPasskeyApp({ passkeys: { offerAfterSignIn: true }, router: {} });
  });
  afterAll(() => app.close());

  async function signInLanding(agent: ReturnType<typeof request.agent>, email: string) {
    await askForLink(agent, email);
    const { link } = await nextEmail(app, email);
    return agent.get(pathOf(link));
  }

  it('is shown once per browser, skippable, then returnTo', async () => {
    const agent = request.agent(app.url);
    const first = await signInLanding(agent, 'offer@example.com');
    expect(first.status).toBe(303);
    expect(first.headers.location).toBe('/auth/passkeys/offer?returnTo=%2Faccount');
    const offer = await agent.get(first.headers.location!);
    expect(offer.status).toBe(200);
    expect(offer.text).toContain('data-passkey-register');
    expect(offer.text).toContain('<a href="/account" data-passkey-skip>');
    expect(String(offer.headers['set-cookie'])).toMatch(/mlpasskey_offered=1/);
    await agent.post('/auth/logout');
    const second = await signInLanding(agent, 'offer@example.com');
    expect(second.headers.location).toBe('/account');
  });

  it('is not shown to a user who already has a passkey', async () => {
    const agent = request.agent(app.url);
    const first = await signInLanding(agent, 'has-one@example.com');
    expect(first.headers.location).toMatch(/^\/auth\/passkeys\/offer/);
    await enroll(agent, app.authenticator());
    const fresh = request.agent(app.url);
    const again = await signInLanding(fresh, 'has-one@example.com');
    expect(again.headers.location).toBe('/account');
  });

  it('needs a session', async () => {
    const res = await request(app.url).get('/auth/passkeys/offer?returnTo=%2Faccount');
    expect(res.status).toBe(401);
  });
});
