// Threat model W1 (replay, racers), W2 (another browser's or an expired challenge) and W6
// (registering a passkey to someone else's account), against the JSON routes, driven by the
// software authenticator.
import { memoryStore } from '../../lib/index';
import { createPasskeyFlow } from '../../lib/passkeys/flow';
import { memoryPasskeyStore } from '../../lib/passkeys/memory';
import { softwareAuthenticator } from '../../lib/testing/passkey-authenticator';
import { cookieValue } from '../helpers/app';
import { setsSession } from '../helpers/sign-in';
import { createPasskeyApp, enroll, request, signInByEmail, signInOptions } from './helpers';
import type { PasskeyApp } from './helpers';

const failures = (app: PasskeyApp) =>
  app.events.flatMap((e) => (e.type === 'passkey_failed' ? [e.reason] : []));

describe('W1: an assertion signs in at most once', () => {
  let app: PasskeyApp;
  let authenticator: ReturnType<PasskeyApp['authenticator']>;
  beforeAll(async () => {
    app = await createPasskeyApp();
    authenticator = app.authenticator();
    const owner = request.agent(app.url);
    await signInByEmail(app, owner, 'w1@example.com');
    await enroll(owner, authenticator);
  });
  afterAll(() => app.close());

  it('the same assertion twice: the second is refused, with no session', async () => {
    const browser = request.agent(app.url);
    const assertion = authenticator.authenticate(await signInOptions(browser));
    const first = await browser.post('/auth/passkeys/sign-in').send(assertion);
    expect(first.status).toBe(200);
    const again = await browser.post('/auth/passkeys/sign-in').send(assertion);
    expect(again.status).toBe(400);
    expect(again.body.error).toBe('passkey_invalid');
    expect(setsSession(again)).toBe(false);
    expect(failures(app).at(-1)).toBe('challenge_unknown');
  });

  it('20 racers with one assertion: at most one session', async () => {
    const options = await request(app.url).post('/auth/passkeys/sign-in/options').send({});
    const pending = `mlink=${cookieValue(options, 'mlink')}`;
    const assertion = authenticator.authenticate(options.body);
    const answers = await Promise.all(
      Array.from({ length: 20 }, () =>
        request(app.url).post('/auth/passkeys/sign-in').set('Cookie', pending).send(assertion),
      ),
    );
    const signedIn = answers.filter((r) => r.status === 200);
    expect(signedIn.length).toBe(1);
    expect(answers.filter(setsSession).length).toBe(1);
    expect(answers.filter((r) => r.status === 400).length).toBe(19);
    expect(answers.some((r) => r.status >= 500)).toBe(false);
  });
});

describe('W2: a challenge is good only in the browser that asked, for 5 minutes', () => {
  let now = Date.now();
  let app: PasskeyApp;
  let authenticator: ReturnType<PasskeyApp['authenticator']>;
  beforeAll(async () => {
    app = await createPasskeyApp({ store: memoryStore({ now: () => now }) });
    authenticator = app.authenticator();
    const owner = request.agent(app.url);
    await signInByEmail(app, owner, 'w2@example.com');
    await enroll(owner, authenticator);
  });
  afterAll(() => app.close());

  it('an assertion over a challenge issued to another browser is refused', async () => {
    const victim = request.agent(app.url);
    const attacker = request.agent(app.url);
    await signInOptions(attacker); // the attacker's browser has a pending cookie of its own
    const assertion = authenticator.authenticate(await signInOptions(victim));
    const res = await attacker.post('/auth/passkeys/sign-in').send(assertion);
    expect(res.status).toBe(400);
    expect(setsSession(res)).toBe(false);
    expect(failures(app).at(-1)).toBe('challenge_elsewhere');
    // Nor without any cookie.
    const bare = await request(app.url).post('/auth/passkeys/sign-in').send(assertion);
    expect(bare.status).toBe(400);
    expect(setsSession(bare)).toBe(false);
  });

  it('a challenge 5 minutes and 1 ms old is refused; one just inside is accepted', async () => {
    const slow = request.agent(app.url);
    const late = authenticator.authenticate(await signInOptions(slow));
    now += 5 * 60 * 1000 + 1;
    const res = await slow.post('/auth/passkeys/sign-in').send(late);
    expect(res.status).toBe(400);
    expect(setsSession(res)).toBe(false);
    expect(failures(app).at(-1)).toBe('challenge_unknown');

    const timely = authenticator.authenticate(await signInOptions(slow));
    now += 5 * 60 * 1000 - 1;
    const ok = await slow.post('/auth/passkeys/sign-in').send(timely);
    expect(ok.status).toBe(200);
  });
});

describe("W6: nobody registers a passkey to someone else's account", () => {
  let app: PasskeyApp;
  beforeAll(async () => {
    app = await createPasskeyApp();
  });
  afterAll(() => app.close());

  it('a cross-site POST to the registration routes is refused (403) and stores nothing', async () => {
    const alice = request.agent(app.url);
    await signInByEmail(app, alice, 'alice.w6@example.com');
    const evil = 'https://evil.example';
    const options = await alice
      .post('/auth/passkeys/register/options')
      .set('Origin', evil)
      .send({});
    expect(options.status).toBe(403);
    const real = (await alice.post('/auth/passkeys/register/options').send({})).body;
    const res = await alice
      .post('/auth/passkeys/register')
      .set('Origin', evil)
      .send(app.authenticator().register(real));
    expect(res.status).toBe(403);
    const me = (await alice.get('/account')).body.id as string;
    expect(await app.passkeys.listByUser(me)).toEqual([]);
  });

  it('without a session: 401, for options and registration alike', async () => {
    const stranger = request.agent(app.url);
    const options = await stranger.post('/auth/passkeys/register/options').send({});
    expect(options.status).toBe(401);
    expect(options.body.error).toBe('unauthenticated');
    const res = await stranger.post('/auth/passkeys/register').send({ id: 'x' });
    expect(res.status).toBe(401);
  });

  it("another browser's registration challenge is refused, even for a signed-in user", async () => {
    const alice = request.agent(app.url);
    const mallory = request.agent(app.url);
    await signInByEmail(app, alice, 'alice2.w6@example.com');
    await signInByEmail(app, mallory, 'mallory.w6@example.com');
    await mallory.post('/auth/passkeys/register/options').send({});
    const alicesChallenge = (await alice.post('/auth/passkeys/register/options').send({})).body;
    const res = await mallory
      .post('/auth/passkeys/register')
      .send(app.authenticator().register(alicesChallenge));
    expect(res.status).toBe(400);
    expect(failures(app).at(-1)).toBe('challenge_elsewhere');
    const mine = (await mallory.get('/account')).body.id as string;
    expect(await app.passkeys.listByUser(mine)).toEqual([]);
  });

  it("another user's registration challenge, in the same browser, is refused (flow)", async () => {
    const events: string[] = [];
    const passkeys = memoryPasskeyStore();
    const origin = 'https://app.example.com';
    const flow = createPasskeyFlow({
      passkeys: {
        store: passkeys,
        userVerification: 'required',
        offerAfterSignIn: false,
        rpId: 'app.example.com',
        origin,
        rpName: 'App',
      },
      store: memoryStore(),
      afterSignIn: '/',
      emit: (e) => events.push(e.type === 'passkey_failed' ? e.reason : e.type),
    });
    const nonce = 'AAAAAAAAAAAAAAAAAAAAAA';
    const alice = { id: 'user_alice', email: 'alice@example.com' };
    const bob = { id: 'user_bob', email: 'bob@example.com' };
    const options = await flow.registrationOptions({ user: alice, nonce });
    const response = softwareAuthenticator({ origin }).register(options);
    await expect(flow.register({ user: bob, nonce, ip: '203.0.113.1', response })).rejects.toThrow(
      /challenge_elsewhere/,
    );
    expect(await passkeys.listByUser('user_bob')).toEqual([]);
    expect(events).toEqual(['challenge_elsewhere']);
  });
});
