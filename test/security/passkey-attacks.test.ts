// Attacks on the passkey routes and on recent sign-in (threat model W1–W8, A10–A13): each test is
// one attempt to break a stated property, and fails if the attempt works.
import { fakeDateOnly } from '../helpers/fake-date';
import { cookieValue, createTestApp, pathOf } from '../helpers/app';
import { askForLink, nextEmail } from '../helpers/sign-in';
import type { TestApp } from '../helpers/app';
import { memoryPasskeyStore, requireUser } from '../../lib/index';
import type { PasskeyStore } from '../../lib/index';
import {
  createPasskeyApp,
  enroll,
  request,
  signInByEmail,
  signInOptions,
} from '../passkeys/helpers';
import type { PasskeyApp } from '../passkeys/helpers';

const MINUTE = 60_000;

describe('recent sign-in: POST /auth/reauth', () => {
  let app: PasskeyApp;
  beforeAll(async () => {
    app = await createPasskeyApp({ rateLimit: true });
  });
  afterAll(() => app.close());

  it('counts against the address limits, so a session cannot flood its own mailbox', async () => {
    // The sign-in form allows 3 emails a minute per address and IP, 10 an hour per address.
    // The reauth route sends to the signed-in address: it must be held to the same limits.
    const agent = request.agent(app.url);
    await signInByEmail(app, agent, 'flood@example.com');
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) {
      const res = await agent.post('/auth/reauth').type('form').send({ returnTo: '/account' });
      statuses.push(res.status);
    }
    await app.settled();
    // One email went to the sign-in already; at most two more this minute.
    expect(statuses.filter((s) => s === 303).length).toBeLessThanOrEqual(2);
    expect(statuses).toContain(429);
  });

  it('refuses a cross-site POST (no email goes out)', async () => {
    const agent = request.agent(app.url);
    await signInByEmail(app, agent, 'csrf@example.com');
    const res = await agent
      .post('/auth/reauth')
      .set('Origin', 'https://evil.example')
      .type('form')
      .send({ returnTo: '/account' });
    expect(res.status).toBe(403);
  });

  it('never lands off-site, whatever returnTo says (R1)', async () => {
    const agent = request.agent(app.url);
    await signInByEmail(app, agent, 'r1@example.com');
    for (const evil of [
      '//evil.example/x',
      'https://evil.example',
      '/\\evil.example',
      'javascript:alert(1)',
    ]) {
      const page = await agent.get(`/auth/reauth?returnTo=${encodeURIComponent(evil)}`);
      expect(page.status).toBe(200);
      expect(page.text).not.toContain('evil.example');
      expect(page.text).not.toContain('javascript:');
    }
  });

  it('its pages and the passkey pages are neither cached nor framed', async () => {
    const agent = request.agent(app.url);
    await signInByEmail(app, agent, 'frames@example.com');
    for (const path of ['/auth/reauth', '/auth/passkeys', '/auth/passkeys/offer']) {
      const res = await agent.get(path).set('Accept', 'text/html');
      expect(res.status).toBe(200);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(String(res.headers['content-security-policy'])).toContain("frame-ancestors 'none'");
    }
  });
});

describe('passkeys: adding one to an old session', () => {
  let app: PasskeyApp;
  beforeAll(async () => {
    fakeDateOnly(Date.now());
    app = await createPasskeyApp();
  });
  afterAll(async () => {
    await app.close();
    jest.useRealTimers();
  });

  it('needs a recent sign-in, as removing one does: a stolen old session cannot plant a passkey', async () => {
    const agent = request.agent(app.url);
    await signInByEmail(app, agent, 'victim@example.com');
    // Options fetched while the sign-in was fresh, answered after it went stale.
    const early = (await agent.post('/auth/passkeys/register/options').send({})).body;
    jest.setSystemTime(Date.now() + 60 * MINUTE);
    const options = await agent
      .post('/auth/passkeys/register/options')
      .set('Accept', 'application/json')
      .send({});
    expect(options.status).toBe(401);
    expect(options.body.error).toBe('reauthentication_required');
    const attacker = app.authenticator();
    const planted = await agent
      .post('/auth/passkeys/register')
      .set('Accept', 'application/json')
      .send(attacker.register(early));
    expect(planted.status).toBe(401);
    expect(planted.body.error).toBe('reauthentication_required');
    expect(await app.passkeys.listByUser((await agent.get('/account')).body.id as string)).toEqual(
      [],
    );
  });
});

describe('recent sign-in: one browser confirming does not refresh another', () => {
  let app: PasskeyApp;
  beforeAll(async () => {
    fakeDateOnly(Date.now());
    app = await createPasskeyApp({
      routes: (a) => {
        a.get('/settings', requireUser({ recentSignIn: '10m' }), (_req, res) => {
          res.json({ ok: true });
        });
      },
    });
  });
  afterAll(async () => {
    await app.close();
    jest.useRealTimers();
  });

  it("a code confirmed in the laptop leaves the phone's old session old", async () => {
    const laptop = request.agent(app.url);
    const phone = request.agent(app.url);
    await signInByEmail(app, laptop, 'two@example.com');
    await signInByEmail(app, phone, 'two@example.com');
    jest.setSystemTime(Date.now() + 11 * MINUTE);
    const asked = await laptop.post('/auth/reauth').type('form').send({ returnTo: '/settings' });
    expect(asked.status).toBe(303);
    const { code } = await nextEmail(app, 'two@example.com');
    const verified = await laptop.post('/auth/magic-link/verify').type('form').send({ code });
    expect(verified.headers.location).toBe('/settings');
    expect((await laptop.get('/settings')).status).toBe(200);
    const stale = await phone.get('/settings').set('Accept', 'application/json');
    expect(stale.status).toBe(401);
    // Nor may the phone use the laptop's code.
    const reused = await phone.post('/auth/magic-link/verify').type('form').send({ code });
    expect(reused.status).toBeGreaterThanOrEqual(400);
    expect((await phone.get('/settings').set('Accept', 'application/json')).status).toBe(401);
  });
});

describe('passkeys: challenges and bodies', () => {
  let app: PasskeyApp;
  beforeAll(async () => {
    app = await createPasskeyApp();
  });
  afterAll(() => app.close());

  it('a registration challenge does not sign in, nor a sign-in challenge register', async () => {
    const agent = request.agent(app.url);
    await signInByEmail(app, agent, 'kinds@example.com');
    const authenticator = app.authenticator();
    await enroll(agent, authenticator);
    const reg = (await agent.post('/auth/passkeys/register/options').send({})).body;
    const assertion = authenticator.authenticate({ challenge: reg.challenge, rpId: reg.rp.id });
    const signIn = await agent.post('/auth/passkeys/sign-in').send(assertion);
    expect(signIn.status).toBe(400);
    const auth = await signInOptions(agent);
    const other = app.authenticator();
    const registration = other.register({ ...reg, challenge: auth.challenge });
    const registered = await agent.post('/auth/passkeys/register').send(registration);
    expect(registered.status).toBe(400);
    expect(await app.passkeys.get(other.credentials[0]!.id)).toBeNull();
  });

  it('a __proto__ key, a deep nest or a huge body answers 4xx, never a 500, and pollutes nothing', async () => {
    const agent = request.agent(app.url);
    await signInOptions(agent);
    const proto = await agent
      .post('/auth/passkeys/sign-in')
      .set('Content-Type', 'application/json')
      .send('{"__proto__":{"polluted":1},"type":"public-key","id":"x","rawId":"x"}');
    expect(proto.status).toBe(400);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    const deep = await agent
      .post('/auth/passkeys/sign-in')
      .set('Content-Type', 'application/json')
      .send(`{"response":${'['.repeat(15_000)}${']'.repeat(15_000)}}`);
    expect(deep.status).toBe(400);
    const huge = await agent
      .post('/auth/passkeys/sign-in')
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ pad: 'x'.repeat(100_000) }));
    expect(huge.status).toBe(413);
  });
});

describe('passkeys: sessions, other users, events', () => {
  let app: PasskeyApp;
  beforeAll(async () => {
    app = await createPasskeyApp();
  });
  afterAll(() => app.close());

  it("a passkey sign-in issues a new session id over the attacker's session (S5)", async () => {
    const owner = request.agent(app.url);
    await signInByEmail(app, owner, 'owner@example.com');
    const authenticator = app.authenticator();
    await enroll(owner, authenticator);

    const mallory = request.agent(app.url);
    await askForLink(mallory, 'mallory@example.com');
    const landed = await mallory.get(pathOf((await nextEmail(app, 'mallory@example.com')).link));
    const planted = cookieValue(landed, 'sid');
    expect(planted).toBeDefined();
    const assertion = authenticator.authenticate(await signInOptions(mallory));
    const signedIn = await mallory.post('/auth/passkeys/sign-in').send(assertion);
    expect(signedIn.status).toBe(200);
    const issued = cookieValue(signedIn, 'sid');
    expect(issued).toBeDefined();
    expect(issued).not.toBe(planted);
    expect((await mallory.get('/account')).body.email).toBe('owner@example.com');
    // The planted session was destroyed, not promoted.
    const replayed = await request(app.url)
      .get('/account')
      .set('Cookie', `sid=${planted}`)
      .set('Accept', 'application/json');
    expect(replayed.status).toBe(401);
  });

  it("another user cannot rename or remove someone's passkey by its id", async () => {
    const owner = request.agent(app.url);
    await signInByEmail(app, owner, 'keeper@example.com');
    const id = await enroll(owner, app.authenticator());
    const other = request.agent(app.url);
    await signInByEmail(app, other, 'other@example.com');
    const json = { Accept: 'application/json' };
    expect((await other.post(`/auth/passkeys/${id}/delete`).set(json).send({})).status).toBe(404);
    const renamed = await other.post(`/auth/passkeys/${id}/rename`).set(json).send({ name: 'x' });
    expect(renamed.status).toBe(404);
    expect((await app.passkeys.get(id))?.name).toBe('Passkey');
  });

  it('passkey events carry no address and no credential material', async () => {
    const agent = request.agent(app.url);
    await signInByEmail(app, agent, 'private.person@example.com');
    const authenticator = app.authenticator();
    await enroll(agent, authenticator);
    const from = app.events.length;
    const options = await signInOptions(agent);
    const assertion = authenticator.authenticate(options);
    // One forged, one good, one replayed.
    await agent
      .post('/auth/passkeys/sign-in')
      .send({ ...assertion, response: { ...assertion.response, signature: 'AAAA' } });
    await agent
      .post('/auth/passkeys/sign-in')
      .send(authenticator.authenticate(await signInOptions(agent)));
    await agent.post('/auth/passkeys/sign-in').send(assertion);
    const text = JSON.stringify(app.events.slice(from));
    expect(app.events.slice(from).some((e) => e.type === 'passkey_failed')).toBe(true);
    expect(text).not.toContain('private.person@example.com');
    expect(text).not.toContain(options.challenge);
    expect(text).not.toContain(assertion.response.signature);
  });
});

describe('passkeys: removal racing a sign-in (W7)', () => {
  it('a passkey removed while its assertion is being verified signs no one in', async () => {
    const inner = memoryPasskeyStore();
    let gate: Promise<void> | null = null;
    let reached: () => void = () => undefined;
    const arrived = new Promise<void>((resolve) => {
      reached = resolve;
    });
    // The store answers the sign-in's read, then holds it until the removal is done.
    const store: PasskeyStore = {
      ...inner,
      async get(id) {
        const found = await inner.get(id);
        if (gate) {
          reached();
          await gate;
        }
        return found;
      },
    };
    const app = await createPasskeyApp({ passkeys: { store } });
    try {
      const agent = request.agent(app.url);
      await signInByEmail(app, agent, 'leaving@example.com');
      const userId = (await agent.get('/account')).body.id as string;
      const authenticator = app.authenticator();
      await enroll(agent, authenticator);
      const phone = request.agent(app.url);
      const assertion = authenticator.authenticate(await signInOptions(phone));
      let release: () => void = () => undefined;
      gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      const signing = phone
        .post('/auth/passkeys/sign-in')
        .send(assertion)
        .then((r) => r);
      await arrived;
      expect(await inner.deleteByUser(userId)).toBe(1);
      release();
      const res = await signing;
      expect(res.status).toBe(400);
      expect((await phone.get('/account').set('Accept', 'application/json')).status).toBe(401);
    } finally {
      await app.close();
    }
  });
});

describe('passkeys: a cloned key racing the original (W4)', () => {
  it('two assertions with the same counter, verified at once, give one session', async () => {
    const inner = memoryPasskeyStore();
    let holding = false;
    let waiting: (() => void)[] = [];
    // The next two reads are held until both have happened: both see the same stored counter.
    const store: PasskeyStore = {
      ...inner,
      async get(id) {
        const found = await inner.get(id);
        if (holding) {
          await new Promise<void>((resolve) => {
            waiting.push(resolve);
            if (waiting.length === 2) {
              holding = false;
              for (const go of waiting) go();
              waiting = [];
            }
          });
        }
        return found;
      },
    };
    const app = await createPasskeyApp({ passkeys: { store } });
    try {
      const agent = request.agent(app.url);
      await signInByEmail(app, agent, 'cloned@example.com');
      const authenticator = app.authenticator();
      const id = await enroll(agent, authenticator);
      // The original signs in once: the stored counter moves on from 0.
      const first = authenticator.authenticate(await signInOptions(agent));
      expect((await agent.post('/auth/passkeys/sign-in').send(first)).status).toBe(200);
      const stored = (await inner.get(id))!.counter;
      expect(stored).toBeGreaterThan(0);
      // The original and its clone each sign the next counter value, in two browsers.
      const a = request.agent(app.url);
      const b = request.agent(app.url);
      const next = stored + 1;
      const fromA = authenticator.authenticate(await signInOptions(a), { counter: next });
      const fromB = authenticator.authenticate(await signInOptions(b), { counter: next });
      holding = true;
      const results = await Promise.all([
        a.post('/auth/passkeys/sign-in').send(fromA),
        b.post('/auth/passkeys/sign-in').send(fromB),
      ]);
      expect(results.map((r) => r.status).sort()).toEqual([200, 400]);
      expect(app.events.some((e) => e.type === 'passkey_clone_suspected')).toBe(true);
    } finally {
      await app.close();
    }
  });
});

describe('passkeys: onSignIn (A13, W7)', () => {
  it('a passkey sign-in goes through onSignIn: false refuses, a user with no id is no session', async () => {
    let answer: 'profile' | 'refuse' | 'no-id' = 'profile';
    const app = await createPasskeyApp({
      router: {
        onSignIn: (profile, _req, { method }) => {
          if (method !== 'passkey' || answer === 'profile') return profile;
          return answer === 'refuse' ? false : ({ email: profile.email } as never);
        },
      },
    });
    try {
      const agent = request.agent(app.url);
      await signInByEmail(app, agent, 'gone@example.com');
      const authenticator = app.authenticator();
      await enroll(agent, authenticator);
      for (const kind of ['refuse', 'no-id'] as const) {
        answer = kind;
        const phone = request.agent(app.url);
        const assertion = authenticator.authenticate(await signInOptions(phone));
        const res = await phone.post('/auth/passkeys/sign-in').send(assertion);
        expect(res.status).toBeGreaterThanOrEqual(400);
        expect(res.text).not.toMatch(/\bat \w+ \(|node_modules/);
        expect(res.headers['set-cookie'] ?? []).not.toEqual(
          expect.arrayContaining([expect.stringMatching(/^sid=/)]),
        );
        expect((await phone.get('/account').set('Accept', 'application/json')).status).toBe(401);
      }
    } finally {
      await app.close();
    }
  });
});

describe('passkeys: the client script', () => {
  let app: TestApp;
  beforeAll(async () => {
    // No helmet: the package's own headers must carry the script safely.
    app = await createTestApp({
      provider: 'self-hosted',
      rateLimit: false,
      helmet: false,
      router: { passkeys: { store: memoryPasskeyStore(), offerAfterSignIn: false } },
    });
  });
  afterAll(() => app.close());

  it('is served as JavaScript with nosniff', async () => {
    const res = await request(app.url).get('/auth/passkeys/client.js');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
  });
});
