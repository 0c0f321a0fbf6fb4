// A passkey belongs to the provider's user id (profile.id), whatever id the app keeps in its
// session: an app whose onSignIn maps the provider's id to its own must get the provider's profile
// back at a passkey sign-in, not its own user mapped a second time.
import type { MagicLinkProfile } from '../../lib/index';
import { createPasskeyApp, enroll, request, signInByEmail, signInOptions } from './helpers';
import type { PasskeyApp } from './helpers';

describe("passkeys when onSignIn maps the provider's id to the app's own", () => {
  let app: PasskeyApp;
  const seen: { id: string; method: string }[] = [];
  beforeAll(async () => {
    app = await createPasskeyApp({
      router: {
        onSignIn: (p: MagicLinkProfile, _req, details) => {
          seen.push({ id: p.id, method: details.method });
          return { id: `app:${p.id}`, email: p.email };
        },
      },
    });
  });
  afterAll(() => app.close());

  it('onSignIn gets the provider profile at enrollment back at a passkey sign-in', async () => {
    const owner = request.agent(app.url);
    await signInByEmail(app, owner, 'mapped@example.com');
    const providerId = seen.at(-1)!.id;
    expect(providerId).not.toMatch(/^app:/);
    const authenticator = app.authenticator();
    await enroll(owner, authenticator);
    const [stored] = await app.passkeys.listByUser(providerId);
    expect(stored?.profile.id).toBe(providerId);

    const browser = request.agent(app.url);
    const assertion = authenticator.authenticate(await signInOptions(browser));
    const res = await browser.post('/auth/passkeys/sign-in').send(assertion);
    expect(res.status).toBe(200);
    expect(seen.at(-1)).toEqual({ id: providerId, method: 'passkey' });
    const account = await browser.get('/account').set('Accept', 'application/json');
    expect(account.body.id).toBe(`app:${providerId}`);
    // The management page lists the passkey for the signed-in person.
    const list = await owner.get('/auth/passkeys').set('Accept', 'application/json');
    expect(list.body.passkeys).toHaveLength(1);
  });
});
