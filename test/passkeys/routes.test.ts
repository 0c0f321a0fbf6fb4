import { expectTypeOf } from 'expect-type';
import {
  magicLinkRouter,
  memoryPasskeyStore,
  requireUser,
  selfHostedProvider,
} from '../../lib/index';
import { TEST_SECRET } from '../helpers/app';
import type { LastSignIn } from '../../lib/index';
import { setsSession } from '../helpers/sign-in';
import { createPasskeyApp, enroll, request, signInByEmail, signInOptions } from './helpers';
import type { PasskeyApp } from './helpers';

describe('passkeys: enroll, then sign in with the passkey', () => {
  let app: PasskeyApp;
  beforeAll(async () => {
    app = await createPasskeyApp();
  });
  afterAll(() => app.close());

  it('a signed-in user enrolls; another browser signs in with it, through the session adapter and onSignIn', async () => {
    const laptop = request.agent(app.url);
    await signInByEmail(app, laptop, 'alice@example.com');
    const authenticator = app.authenticator();
    const options = (await laptop.post('/auth/passkeys/register/options').send({})).body;
    expect(options.rp).toEqual({ name: expect.any(String), id: '127.0.0.1' });
    expect(options.authenticatorSelection.userVerification).toBe('required');
    expect(options.excludeCredentials).toEqual([]);
    const registered = await laptop
      .post('/auth/passkeys/register')
      .send(authenticator.register(options));
    expect(registered.status).toBe(200);
    expect(registered.body).toEqual({ status: 'registered', id: authenticator.credentials[0]!.id });
    expect(app.events.some((e) => e.type === 'passkey_registered')).toBe(true);

    // The next options list it in excludeCredentials.
    const again = (await laptop.post('/auth/passkeys/register/options').send({})).body;
    expect(again.excludeCredentials.map((c: { id: string }) => c.id)).toEqual([registered.body.id]);

    const phone = request.agent(app.url);
    const request_ = await signInOptions(phone, '/account');
    expect(request_.allowCredentials ?? []).toEqual([]);
    expect(request_.userVerification).toBe('required');
    const signedIn = await phone
      .post('/auth/passkeys/sign-in')
      .send(authenticator.authenticate(request_));
    expect(signedIn.status).toBe(200);
    expect(signedIn.body).toEqual({ status: 'signed_in', returnTo: '/account' });
    expect(setsSession(signedIn)).toBe(true);
    const account = await phone.get('/account');
    expect(account.status).toBe(200);
    expect(account.body.email).toBe('alice@example.com');
    const event = [...app.events].reverse().find((e) => e.type === 'sign_in');
    expect(event).toMatchObject({ type: 'sign_in', method: 'passkey' });
  });

  it('GET /auth/passkeys lists name, created and last used; never the key', async () => {
    const agent = request.agent(app.url);
    await signInByEmail(app, agent, 'bob@example.com');
    const id = await enroll(agent, app.authenticator());
    const list = await agent.get('/auth/passkeys').set('Accept', 'application/json');
    expect(list.status).toBe(200);
    expect(list.body.passkeys).toEqual([
      { id, name: 'Passkey', createdAt: expect.any(String), lastUsedAt: null, backedUp: false },
    ]);
    expect(JSON.stringify(list.body)).not.toMatch(/publicKey|counter/);
    const page = await agent.get('/auth/passkeys');
    expect(page.status).toBe(200);
    expect(page.text).toContain(`action="/auth/passkeys/${id}/rename"`);
  });

  it('rename and remove need the owner and a recent sign-in; removal ends sign-ins at once', async () => {
    const agent = request.agent(app.url);
    await signInByEmail(app, agent, 'carol@example.com');
    const authenticator = app.authenticator();
    const id = await enroll(agent, authenticator);
    const renamed = await agent
      .post(`/auth/passkeys/${id}/rename`)
      .set('Accept', 'application/json')
      .send({ name: 'Work laptop' });
    expect(renamed.body).toEqual({ status: 'renamed', id, name: 'Work laptop' });
    expect((await app.passkeys.get(id))?.name).toBe('Work laptop');

    // Someone else cannot rename or remove it.
    const mallory = request.agent(app.url);
    await signInByEmail(app, mallory, 'mallory@example.com');
    const stolen = await mallory
      .post(`/auth/passkeys/${id}/delete`)
      .set('Accept', 'application/json')
      .send({});
    expect(stolen.status).toBe(404);
    expect(await app.passkeys.get(id)).not.toBeNull();

    const removed = await agent
      .post(`/auth/passkeys/${id}/delete`)
      .set('Accept', 'application/json')
      .send({});
    expect(removed.body).toEqual({ status: 'removed', id });
    expect(await app.passkeys.get(id)).toBeNull();
    // W7: a removed passkey signs no one in.
    const other = request.agent(app.url);
    const assertion = authenticator.authenticate(await signInOptions(other));
    const res = await other.post('/auth/passkeys/sign-in').send(assertion);
    expect(res.status).toBe(400);
    expect([...app.events].reverse().find((e) => e.type === 'passkey_failed')).toMatchObject({
      reason: 'credential_unknown',
    });
    expect(res.body.error).toBe('passkey_invalid');
    expect(setsSession(res)).toBe(false);
  });

  it('router.removePasskeys(userId) removes every passkey of that user (account deletion)', async () => {
    const agent = request.agent(app.url);
    await signInByEmail(app, agent, 'dave@example.com');
    await enroll(agent, app.authenticator());
    await enroll(agent, app.authenticator());
    const me = (await agent.get('/account')).body.id as string;
    expect((await app.passkeys.listByUser(me)).length).toBe(2);
    const router = magicLinkRouter({
      provider: selfHostedProvider(),
      secret: TEST_SECRET,
      origin: app.url,
      delivery: async () => undefined,
      passkeys: { store: app.passkeys },
    });
    expect(await router.removePasskeys(me)).toBe(2);
    expect(await app.passkeys.listByUser(me)).toEqual([]);
  });

  it('the session records how and when the person signed in, typed on req.user', async () => {
    expectTypeOf<Express.User['lastSignIn']>().toEqualTypeOf<LastSignIn | undefined>();
    expectTypeOf<LastSignIn['method']>().toEqualTypeOf<
      'link' | 'code' | 'confirmed' | 'relay' | 'passkey'
    >();
    const agent = request.agent(app.url);
    await signInByEmail(app, agent, 'erin@example.com');
    expect([...app.events].reverse().find((e) => e.type === 'sign_in')).toMatchObject({
      method: 'link',
    });
  });
});

describe('passkeys option: checked at construction', () => {
  it.each([
    [{}, /passkeys.store must be a PasskeyStore \(missing create, get/],
    [{ store: { get() {} } }, /missing create, listByUser/],
    [
      { store: memoryPasskeyStore(), userVerification: 'discouraged' },
      /passkeys.userVerification must be 'required' or 'preferred'/,
    ],
    [
      { store: memoryPasskeyStore(), offerAfterSignin: true },
      /passkeys.offerAfterSignin is not a known option/,
    ],
    ['yes', /passkeys must be an object/],
  ])('%j throws a TypeError naming the fix', (passkeys, message) => {
    const build = () =>
      magicLinkRouter({
        provider: selfHostedProvider(),
        secret: TEST_SECRET,
        origin: 'https://app.example.com',
        delivery: async () => undefined,
        passkeys: passkeys as never,
      });
    expect(build).toThrow(TypeError);
    expect(build).toThrow(message);
  });

  it('requireUser rejects a recentSignIn it cannot read', () => {
    expect(() => requireUser({ recentSignIn: '10 minutes' })).toThrow(
      /requireUser: recentSignIn must be a duration such as '10m'/,
    );
    expect(() => requireUser({ recentSignIn: -1 })).toThrow(TypeError);
    expect(() => requireUser({ recentSignIn: '10m' })).not.toThrow();
  });
});
