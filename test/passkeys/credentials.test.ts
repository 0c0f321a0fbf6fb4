// Threat model W3 (origin, RP ID, user verification), W4 (clones), W5 (no enumeration), W7
// (removed passkeys and users) and W8 (floods meet a limit first), against the JSON routes.
import type { MagicLinkProfile, SignInDetails } from '../../lib/index';
import { softwareAuthenticator } from '../../lib/testing/passkey-authenticator';
import { setsSession } from '../helpers/sign-in';
import { createPasskeyApp, enroll, request, signInByEmail, signInOptions } from './helpers';
import type { PasskeyApp } from './helpers';

const failures = (app: PasskeyApp) =>
  app.events.flatMap((e) => (e.type === 'passkey_failed' ? [e.reason] : []));

describe('W3: origin, RP ID and user verification come from the configuration', () => {
  let app: PasskeyApp;
  let authenticator: ReturnType<PasskeyApp['authenticator']>;
  beforeAll(async () => {
    app = await createPasskeyApp();
    authenticator = app.authenticator();
    const owner = request.agent(app.url);
    await signInByEmail(app, owner, 'w3@example.com');
    await enroll(owner, authenticator);
  });
  afterAll(() => app.close());

  it.each([
    ['another origin in clientDataJSON', { origin: 'https://evil.example' }, 'origin'],
    ['the origin with another port', { origin: 'http://127.0.0.1:1' }, 'origin'],
    ['another RP ID in authenticatorData', { rpId: 'evil.example' }, 'rp_id'],
    ['no user verification', { userVerified: false }, 'user_verification'],
    ['a registration clientDataJSON type', { type: 'webauthn.create' }, 'signature'],
  ])('sign-in with %s is refused', async (_name, overrides, reason) => {
    const browser = request.agent(app.url);
    const assertion = authenticator.authenticate(await signInOptions(browser), overrides);
    const res = await browser
      .post('/auth/passkeys/sign-in')
      .set('Host', 'evil.example')
      .send(assertion);
    expect(res.status).toBe(400);
    expect(setsSession(res)).toBe(false);
    expect(failures(app).at(-1)).toBe(reason);
  });

  it.each([
    ['another origin', { origin: 'https://evil.example' }, 'origin'],
    ['another RP ID', { rpId: 'evil.example' }, 'rp_id'],
    ['no user verification', { userVerified: false }, 'user_verification'],
  ])('registration with %s is refused and stores nothing', async (_name, overrides, reason) => {
    const browser = request.agent(app.url);
    await signInByEmail(app, browser, 'w3-register@example.com');
    const options = (await browser.post('/auth/passkeys/register/options').send({})).body;
    const res = await browser
      .post('/auth/passkeys/register')
      .send(softwareAuthenticator({ origin: app.url }).register(options, overrides));
    expect(res.status).toBe(400);
    expect(failures(app).at(-1)).toBe(reason);
    const me = (await browser.get('/account')).body.id as string;
    expect(await app.passkeys.listByUser(me)).toEqual([]);
  });

  it("the RP ID is the origin's host, whatever the Host header says", async () => {
    const res = await request(app.url)
      .post('/auth/passkeys/sign-in/options')
      .set('Host', 'evil.example')
      .set('X-Forwarded-Host', 'evil.example')
      .send({});
    expect(res.body.rpId).toBe('127.0.0.1');
  });
});

describe('W4: a counter that goes backwards is a clone', () => {
  let app: PasskeyApp;
  beforeAll(async () => {
    app = await createPasskeyApp();
  });
  afterAll(() => app.close());

  it('refuses the sign-in and emits passkey_clone_suspected; the genuine one still works', async () => {
    const authenticator = app.authenticator();
    const owner = request.agent(app.url);
    await signInByEmail(app, owner, 'w4@example.com');
    const id = await enroll(owner, authenticator);
    const browser = request.agent(app.url);
    for (let i = 0; i < 3; i++) {
      const okAssertion = authenticator.authenticate(await signInOptions(browser));
      const ok = await browser.post('/auth/passkeys/sign-in').send(okAssertion);
      expect(ok.status).toBe(200);
    }
    expect((await app.passkeys.get(id))?.counter).toBe(3);
    for (const counter of [2, 3]) {
      const clone = request.agent(app.url);
      const resAssertion = authenticator.authenticate(await signInOptions(clone), { counter });
      const res = await clone.post('/auth/passkeys/sign-in').send(resAssertion);
      expect(res.status).toBe(400);
      expect(setsSession(res)).toBe(false);
    }
    const suspected = app.events.filter((e) => e.type === 'passkey_clone_suspected');
    expect(suspected).toHaveLength(2);
    expect(suspected[0]).toMatchObject({ passkeyId: id, userId: expect.any(String) });
    expect((await app.passkeys.get(id))?.counter).toBe(3);
  });

  it('an authenticator that keeps no counter (always 0) signs in again and again', async () => {
    const synced = app.authenticator({ keepsCounter: false });
    const owner = request.agent(app.url);
    await signInByEmail(app, owner, 'w4-synced@example.com');
    await enroll(owner, synced);
    for (let i = 0; i < 3; i++) {
      const browser = request.agent(app.url);
      const resAssertion = synced.authenticate(await signInOptions(browser));
      const res = await browser.post('/auth/passkeys/sign-in').send(resAssertion);
      expect(res.status).toBe(200);
    }
  });
});

describe('W5: the routes say nothing about who exists', () => {
  let app: PasskeyApp;
  beforeAll(async () => {
    app = await createPasskeyApp();
  });
  afterAll(() => app.close());

  it('sign-in options carry nothing that depends on an account', async () => {
    const owner = request.agent(app.url);
    await signInByEmail(app, owner, 'w5@example.com');
    await enroll(owner, app.authenticator());
    const a = await signInOptions(request.agent(app.url));
    const b = await signInOptions(owner);
    const strip = (o: Record<string, unknown>) => ({ ...o, challenge: 'x' });
    expect(strip(a)).toEqual(strip(b));
    expect(Object.keys(a).sort()).toEqual(['challenge', 'rpId', 'timeout', 'userVerification']);
  });

  it('an unknown credential gets the same answer as a known one that fails', async () => {
    const known = app.authenticator();
    const owner = request.agent(app.url);
    await signInByEmail(app, owner, 'w5-known@example.com');
    await enroll(owner, known);
    const unknown = softwareAuthenticator({ origin: app.url });
    const b1 = request.agent(app.url);
    const o1 = await signInOptions(b1);
    unknown.register({
      ...o1,
      rp: { id: '127.0.0.1', name: 'x' },
      user: { id: 'AAAA', name: 'n', displayName: 'n' },
      pubKeyCredParams: [],
    } as never);
    const r1 = await b1.post('/auth/passkeys/sign-in').send(unknown.authenticate(o1));
    const b2 = request.agent(app.url);
    const r2Assertion = known.authenticate(await signInOptions(b2), { userVerified: false });
    const r2 = await b2.post('/auth/passkeys/sign-in').send(r2Assertion);
    expect(failures(app).slice(-2)).toEqual(['credential_unknown', 'user_verification']);
    expect([r1.status, r1.body]).toEqual([r2.status, r2.body]);
  });
});

describe('W7: removed passkeys and removed users are refused at once', () => {
  const removed = new Set<string>();
  const seen: { profile: MagicLinkProfile; details: SignInDetails }[] = [];
  let app: PasskeyApp;
  beforeAll(async () => {
    app = await createPasskeyApp({
      router: {
        onSignIn: (profile, _req, details) => {
          if (details.method === 'passkey') seen.push({ profile, details });
          return removed.has(profile.id) ? false : profile;
        },
      },
    });
  });
  afterAll(() => app.close());

  it('onSignIn gets the profile saved at enrollment, with method passkey, and may refuse', async () => {
    const authenticator = app.authenticator();
    const owner = request.agent(app.url);
    await signInByEmail(app, owner, 'w7@example.com');
    await enroll(owner, authenticator);
    const me = (await owner.get('/account')).body.id as string;

    const browser = request.agent(app.url);
    const okAssertion = authenticator.authenticate(await signInOptions(browser));
    const ok = await browser.post('/auth/passkeys/sign-in').send(okAssertion);
    expect(ok.status).toBe(200);
    expect(seen.at(-1)?.profile).toMatchObject({ id: me, email: 'w7@example.com' });
    expect(seen.at(-1)?.details).toEqual({ method: 'passkey', tokens: null });

    removed.add(me);
    const after = request.agent(app.url);
    const resAssertion = authenticator.authenticate(await signInOptions(after));
    const res = await after.post('/auth/passkeys/sign-in').send(resAssertion);
    expect(res.status).toBe(403);
    expect(res.body.error).toBe('sign_in_refused');
    expect(setsSession(res)).toBe(false);
    expect((await after.get('/account')).status).not.toBe(200);
  });

  it('a passkey removed from the store signs no one in', async () => {
    const authenticator = app.authenticator();
    const owner = request.agent(app.url);
    await signInByEmail(app, owner, 'w7-removed@example.com');
    const id = await enroll(owner, authenticator);
    const me = (await owner.get('/account')).body.id as string;
    const browser = request.agent(app.url);
    const assertion = authenticator.authenticate(await signInOptions(browser));
    await app.passkeys.delete(me, id);
    const res = await browser.post('/auth/passkeys/sign-in').send(assertion);
    expect(res.status).toBe(400);
    expect(setsSession(res)).toBe(false);
    expect(failures(app).at(-1)).toBe('credential_unknown');
  });
});

describe('W8: a flood of bad assertions meets a 429 before any verification', () => {
  let app: PasskeyApp;
  beforeAll(async () => {
    app = await createPasskeyApp({ rateLimit: true });
  });
  afterAll(() => app.close());

  it('per browser: the 11th check in a minute is refused with 429, and nothing is verified', async () => {
    const browser = request.agent(app.url);
    const options = await signInOptions(browser); // one check
    const junk = softwareAuthenticator({ origin: app.url });
    junk.register({
      ...options,
      rp: { id: '127.0.0.1', name: 'x' },
      user: { id: 'AAAA', name: 'n', displayName: 'n' },
      pubKeyCredParams: [],
    } as never);
    const assertion = junk.authenticate(options);
    const statuses: number[] = [];
    for (let i = 0; i < 14; i++)
      statuses.push((await browser.post('/auth/passkeys/sign-in').send(assertion)).status);
    // The options came before this browser had a cookie, so only the IP counted them.
    expect(statuses.slice(0, 10).every((s) => s === 400)).toBe(true);
    expect(statuses.slice(10)).toEqual([429, 429, 429, 429]);
    // Each verification emits passkey_failed; the refused ones never got that far.
    expect(failures(app)).toHaveLength(10);
    expect(app.events.filter((e) => e.type === 'rate_limited').length).toBe(4);
  });

  it('per IP: fresh browsers from one address meet the per-IP limit', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 70; i++)
      statuses.push(
        (await request(app.url).post('/auth/passkeys/sign-in/options').send({})).status,
      );
    expect(statuses).toContain(429);
    expect(statuses.filter((s) => s === 200).length).toBeLessThanOrEqual(60);
  });
});
