import { startExampleApp } from '../helpers/browser';
import type { ExampleApp } from '../helpers/browser';
import { SETUP_TIMEOUT_MS } from '../helpers/browser';

// The example app as a user runs it (built package, `node example-app/server.mjs`, the WorkOS
// emulator and the dev mailbox), asked over plain HTTP in French.
describe('the example app answers in French to Accept-Language: fr', () => {
  let app: ExampleApp;
  beforeAll(async () => {
    app = await startExampleApp();
  }, SETUP_TIMEOUT_MS);
  afterAll(() => app?.stop());

  const base = () => `http://127.0.0.1:${app.port}`;

  it('shows the French sign-in and sent pages, and emails a French subject', async () => {
    const signIn = await fetch(`${base()}/auth/magic-link`, {
      headers: { 'Accept-Language': 'fr-FR,fr;q=0.9,en;q=0.8', Accept: 'text/html' },
    });
    expect(signIn.status).toBe(200);
    const page = await signIn.text();
    expect(page).toContain('<html lang="fr" dir="ltr">');
    expect(page).toContain('<h1>Se connecter à Example</h1>');
    expect(page).toContain('Recevoir un lien de connexion');

    const email = `marie-${Date.now()}@example.com`;
    const asked = await fetch(`${base()}/auth/magic-link`, {
      method: 'POST',
      redirect: 'manual',
      headers: {
        'Accept-Language': 'fr',
        'Content-Type': 'application/x-www-form-urlencoded',
        Origin: app.origin,
      },
      body: new URLSearchParams({ email }).toString(),
    });
    expect(asked.status).toBe(303);
    const cookie = asked.headers
      .getSetCookie()
      .map((c) => c.split(';', 1)[0])
      .join('; ');
    const sent = await fetch(`${base()}${asked.headers.get('location')}`, {
      headers: { 'Accept-Language': 'fr', Cookie: cookie },
    });
    expect(await sent.text()).toContain('<h1>Consultez vos e-mails</h1>');

    const mail = await app.waitForMail(email);
    expect(mail.subject).toBe('Connexion à Example');
    expect(mail.text).toContain('Ouvrez ce lien pour vous connecter à Example.');
  }, 60_000);

  it('stays English for a browser that sends en-US', async () => {
    const res = await fetch(`${base()}/auth/magic-link`, {
      headers: { 'Accept-Language': 'en-US,en;q=0.9' },
    });
    expect(await res.text()).toContain('<h1>Sign in to Example</h1>');
  }, 60_000);
});
