// requireUser({ recentSignIn }): the session records when and how the person signed in; an old
// sign-in is confirmed by passkey or by a code emailed to the address in use, then back.
import { requireUser } from '../../lib/index';
import { fakeDateOnly } from '../helpers/fake-date';
import { nextEmail } from '../helpers/sign-in';
import { createPasskeyApp, enroll, request, signInByEmail, signInOptions } from './helpers';
import type { PasskeyApp } from './helpers';

const MINUTE = 60_000;

describe('requireUser({ recentSignIn })', () => {
  let app: PasskeyApp;
  beforeAll(async () => {
    fakeDateOnly(Date.now());
    app = await createPasskeyApp({
      routes: (a) => {
        a.get('/settings', requireUser({ recentSignIn: '10m' }), (req, res) => {
          res.json({ lastSignIn: req.user!.lastSignIn });
        });
        a.get('/api/settings', requireUser({ recentSignIn: 10 * MINUTE, api: true }), (_q, s) => {
          s.json({ ok: true });
        });
      },
    });
  });
  afterAll(async () => {
    await app.close();
    jest.useRealTimers();
  });

  it('a fresh sign-in passes and reports how it was made; an old one is sent to confirm', async () => {
    const agent = request.agent(app.url);
    await signInByEmail(app, agent, 'recent@example.com');
    const fresh = await agent.get('/settings');
    expect(fresh.status).toBe(200);
    expect(fresh.body.lastSignIn).toEqual({
      at: Date.now(),
      method: 'link',
      email: 'recent@example.com',
      profileId: expect.stringMatching(/^user_/),
    });

    jest.setSystemTime(Date.now() + 10 * MINUTE + 1);
    const page = await agent.get('/settings').set('Accept', 'text/html');
    expect(page.status).toBe(303);
    expect(page.headers.location).toBe('/auth/reauth?returnTo=%2Fsettings');
    const json = await agent.get('/settings').set('Accept', 'application/json');
    expect(json.status).toBe(401);
    expect(json.body).toEqual({ error: 'reauthentication_required' });
    const api = await agent.get('/api/settings').set('Accept', 'text/html');
    expect(api.status).toBe(401);
    expect(api.body).toEqual({ error: 'reauthentication_required' });
  });

  it('confirming by an emailed code: nothing typed but the code, then back to the route', async () => {
    const agent = request.agent(app.url);
    await signInByEmail(app, agent, 'bycode@example.com');
    jest.setSystemTime(Date.now() + 11 * MINUTE);
    const page = await agent.get('/auth/reauth?returnTo=%2Fsettings');
    expect(page.status).toBe(200);
    expect(page.text).toContain('bycode@example.com');
    // No passkey yet: the page offers the email only.
    expect(page.text).not.toContain('data-passkey-sign-in');
    const asked = await agent.post('/auth/reauth').type('form').send({ returnTo: '/settings' });
    expect(asked.status).toBe(303);
    expect(asked.headers.location).toBe('/auth/magic-link/sent');
    const { code } = await nextEmail(app, 'bycode@example.com');
    const verified = await agent.post('/auth/magic-link/verify').type('form').send({ code });
    expect(verified.status).toBe(303);
    expect(verified.headers.location).toBe('/settings');
    const settings = await agent.get('/settings');
    expect(settings.status).toBe(200);
    expect(settings.body.lastSignIn).toEqual({
      at: Date.now(),
      method: 'code',
      email: 'bycode@example.com',
      profileId: expect.stringMatching(/^user_/),
    });
  });

  it('confirming by passkey: the page offers it, and a passkey sign-in is recent', async () => {
    const agent = request.agent(app.url);
    await signInByEmail(app, agent, 'bypasskey@example.com');
    const authenticator = app.authenticator();
    await enroll(agent, authenticator);
    jest.setSystemTime(Date.now() + 11 * MINUTE);
    const page = await agent.get('/auth/reauth?returnTo=%2Fsettings');
    expect(page.text).toContain('data-passkey-sign-in');
    expect(page.text).toMatch(/<script src="\/auth\/passkeys\/client\.js\?v=[\w-]+" defer>/);
    const assertion = authenticator.authenticate(await signInOptions(agent, '/settings'));
    const res = await agent.post('/auth/passkeys/sign-in').send(assertion);
    expect(res.body).toEqual({ status: 'signed_in', returnTo: '/settings' });
    const settings = await agent.get('/settings');
    expect(settings.status).toBe(200);
    expect(settings.body.lastSignIn.method).toBe('passkey');
  });

  it('removing or renaming a passkey needs a recent sign-in', async () => {
    const agent = request.agent(app.url);
    await signInByEmail(app, agent, 'manage@example.com');
    const id = await enroll(agent, app.authenticator());
    jest.setSystemTime(Date.now() + 11 * MINUTE);
    const form = await agent.post(`/auth/passkeys/${id}/delete`).type('form').send({});
    expect(form.status).toBe(303);
    expect(form.headers.location).toBe('/auth/reauth?returnTo=%2Fauth%2Fpasskeys');
    const json = await agent
      .post(`/auth/passkeys/${id}/rename`)
      .set('Accept', 'application/json')
      .send({ name: 'x' });
    expect(json.status).toBe(401);
    expect(json.body.error).toBe('reauthentication_required');
    expect(await app.passkeys.get(id)).not.toBeNull();
    expect((await app.passkeys.get(id))?.name).toBe('Passkey');
  });

  it('the reauth routes need a session', async () => {
    const stranger = request.agent(app.url);
    expect((await stranger.get('/auth/reauth').set('Accept', 'application/json')).status).toBe(401);
    const res = await stranger.post('/auth/reauth').type('form').send({ returnTo: '/settings' });
    expect(res.status).toBe(401);
    await app.settled();
  });

  it('signed out, the confirm page sends to sign-in and then straight to the route: a fresh sign-in is recent', async () => {
    const stranger = request.agent(app.url);
    const page = await stranger.get('/auth/reauth?returnTo=%2Fsettings').set('Accept', 'text/html');
    expect(page.status).toBe(401);
    // The sign-in form carries the route itself, not the confirm page (which would ask again).
    expect(page.text).toContain('name="returnTo" value="/settings"');
    expect(page.text).not.toContain('/auth/reauth');
    await signInByEmail(app, stranger, 'signedout@example.com');
    expect((await stranger.get('/settings')).status).toBe(200);
  });
});

describe('requireUser({ recentSignIn }) when the app keeps only an id', () => {
  let app: PasskeyApp;
  beforeAll(async () => {
    fakeDateOnly(Date.now());
    app = await createPasskeyApp({
      router: { onSignIn: (p) => ({ id: p.id }) },
      routes: (a) => {
        a.get('/settings', requireUser({ recentSignIn: '10m' }), (req, res) => {
          res.json({ user: req.user });
        });
      },
    });
  });
  afterAll(async () => {
    await app.close();
    jest.useRealTimers();
  });

  it('the code goes to the address the person signed in with, kept with the sign-in', async () => {
    const agent = request.agent(app.url);
    await signInByEmail(app, agent, 'idonly@example.com');
    const fresh = await agent.get('/settings');
    expect(fresh.status).toBe(200);
    expect(fresh.body.user).not.toHaveProperty('email');
    expect(fresh.body.user.lastSignIn.email).toBe('idonly@example.com');

    jest.setSystemTime(Date.now() + 11 * MINUTE);
    const page = await agent.get('/auth/reauth?returnTo=%2Fsettings');
    expect(page.status).toBe(200);
    expect(page.text).toContain('idonly@example.com');
    const asked = await agent.post('/auth/reauth').type('form').send({ returnTo: '/settings' });
    expect(asked.status).toBe(303);
    const { code } = await nextEmail(app, 'idonly@example.com');
    const verified = await agent.post('/auth/magic-link/verify').type('form').send({ code });
    expect(verified.headers.location).toBe('/settings');
    expect((await agent.get('/settings')).status).toBe(200);
  });
});
