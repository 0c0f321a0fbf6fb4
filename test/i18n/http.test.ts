import request from 'supertest';
import { createTestApp } from '../helpers/app';
import type { TestApp } from '../helpers/app';
import { askForLink, nextEmail } from '../helpers/sign-in';

/** The page's `<h1>`, tags dropped. */
function h1(page: string): string | undefined {
  return /<h1>([\s\S]*?)<\/h1>/
    .exec(page)?.[1]
    ?.replace(/<[^>]+>/g, '')
    .trim();
}

describe('the router answers in the visitor’s language (self-hosted, real SMTP)', () => {
  let t: TestApp;
  afterEach(() => t.close());

  it('Accept-Language: fr gets French pages, and the email is French', async () => {
    t = await createTestApp({ provider: 'self-hosted', rateLimit: false });
    const agent = request.agent(t.url);
    const signIn = await agent.get('/auth/magic-link').set('Accept-Language', 'fr');
    expect(signIn.status).toBe(200);
    expect(signIn.text).toContain('<html lang="fr" dir="ltr">');
    expect(h1(signIn.text)).toBe('Se connecter à 127.0.0.1');
    expect(signIn.text).toContain('<label for="email">Adresse e-mail</label>');
    expect(signIn.headers['content-language']).toBe('fr');
    expect(signIn.headers.vary).toMatch(/Accept-Language/);

    await askForLink(agent.set('Accept-Language', 'fr-CA,fr;q=0.9,en;q=0.5'), 'amelie@example.com');
    const sent = await agent.get('/auth/magic-link/sent');
    expect(h1(sent.text)).toBe('Consultez vos e-mails');
    expect(sent.text).toContain('Ou saisissez le code à 6 chiffres reçu par e-mail');

    const { mail, code } = await nextEmail(t, 'amelie@example.com');
    expect(mail.subject).toBe('Connexion à 127.0.0.1');
    expect(mail.text).toContain('Ouvrez ce lien pour vous connecter à 127.0.0.1.');
    expect(mail.html).toContain('<html lang="fr" dir="ltr">');
    expect(code).toMatch(/^[0-9]{6}$/);

    // A wrong code: the error above the form is French too, as is the JSON message.
    const wrong = await agent.post('/auth/magic-link/verify').type('form').send({ code: '000000' });
    expect(wrong.status).toBe(400);
    expect(wrong.text).toContain('Ce code est incorrect ou a expiré.');
    const json = await agent
      .post('/auth/magic-link')
      .set('Accept', 'application/json')
      .send({ email: 'not an address' });
    expect(json.status).toBe(400);
    expect(json.body).toEqual({
      error: 'bad_email',
      message: 'Saisissez une adresse e-mail valide.',
    });
  });

  it('with no Accept-Language (supertest sends none) pages and email stay English', async () => {
    t = await createTestApp({ provider: 'self-hosted', rateLimit: false });
    const agent = request.agent(t.url);
    const signIn = await agent.get('/auth/magic-link');
    expect(signIn.text).toContain('<html lang="en" dir="ltr">');
    expect(h1(signIn.text)).toBe('Sign in to 127.0.0.1');
    await askForLink(agent, 'ada@example.com');
    const { mail } = await nextEmail(t, 'ada@example.com');
    expect(mail.subject).toBe('Sign in to 127.0.0.1');
  });

  it('Arabic pages are right to left; each email follows the browser that asked for it', async () => {
    t = await createTestApp({ provider: 'self-hosted', rateLimit: false });
    const agent = request.agent(t.url).set('Accept-Language', 'ar-EG');
    const signIn = await agent.get('/auth/magic-link');
    expect(signIn.text).toContain('<html lang="ar" dir="rtl">');
    await askForLink(agent, 'layla@example.com');
    const { mail } = await nextEmail(t, 'layla@example.com');
    expect(mail.subject).toBe('تسجيل الدخول إلى 127.0.0.1');
    expect(mail.html).toContain('<html lang="ar" dir="rtl">');

    const other = request.agent(t.url).set('Accept-Language', 'ja');
    await askForLink(other, 'kenji@example.com');
    expect((await nextEmail(t, 'kenji@example.com')).mail.subject).toBe('127.0.0.1 へのログイン');
  });

  it('locale fixes the language, locales restricts it, messages override a string', async () => {
    t = await createTestApp({
      provider: 'self-hosted',
      rateLimit: false,
      router: {
        locales: ['en', 'de'],
        messages: {
          de: { signInSubmit: 'Link schicken' },
          en: { emailSubject: 'Your {appName} link' },
        },
      },
    });
    const german = await request(t.url)
      .get('/auth/magic-link')
      .set('Accept-Language', 'fr, de;q=0.5');
    expect(german.text).toContain('<html lang="de" dir="ltr">');
    expect(german.text).toContain('<button type="submit">Link schicken</button>');
    const french = await request(t.url).get('/auth/magic-link').set('Accept-Language', 'fr');
    expect(french.text).toContain('<html lang="en" dir="ltr">');
    const agent = request.agent(t.url);
    await askForLink(agent, 'eve@example.com');
    expect((await nextEmail(t, 'eve@example.com')).mail.subject).toBe('Your 127.0.0.1 link');
    await t.close();

    t = await createTestApp({
      provider: 'self-hosted',
      rateLimit: false,
      router: { locale: 'ja' },
    });
    const fixed = await request(t.url).get('/auth/magic-link').set('Accept-Language', 'fr');
    expect(fixed.text).toContain('<html lang="ja" dir="ltr">');
    expect(fixed.headers.vary ?? '').not.toMatch(/Accept-Language/);
    expect(fixed.headers['content-language']).toBe('ja');
  });

  it('a malformed or enormous Accept-Language gets English, never an error', async () => {
    t = await createTestApp({ provider: 'self-hosted', rateLimit: false });
    for (const header of [
      '*;q=x,,;;',
      'fr;q=7',
      '\u00e9\u00e8',
      'x'.repeat(8000),
      'fr-'.repeat(2000),
    ]) {
      const res = await request(t.url).get('/auth/magic-link').set('Accept-Language', header);
      expect({ header: header.slice(0, 20), status: res.status }).toEqual({
        header: header.slice(0, 20),
        status: 200,
      });
      expect(res.text).toContain('<html lang="en" dir="ltr">');
    }
  });
});
