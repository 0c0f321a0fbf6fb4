import { ENGLISH, LOCALES, format, formatHtml, translationOf } from '../../lib/i18n/index';
import { html } from '../../lib/html';
import {
  defaultEmailTemplate,
  formatExpiresIn,
  renderDefaultEmail,
} from '../../lib/mail/templates';
import type { EmailTemplateData } from '../../lib/mail/templates';
import { extractCode } from '../../lib/mail/dev-mailbox';
import {
  confirmPage,
  deniedPage,
  errorPage,
  expiredPage,
  relayPage,
  sentPage,
  signInPage,
} from '../../lib/pages/pages';

const NOW = new Date('2026-01-01T00:00:00.000Z');

function emailData(overrides: Partial<EmailTemplateData> = {}): EmailTemplateData {
  return {
    to: 'ada@example.com',
    link: 'https://app.example.com/auth/callback?code=abc&state=def',
    code: '123456',
    expiresAt: new Date(NOW.getTime() + 15 * 60_000),
    now: NOW,
    branding: { appName: 'Acme' },
    ...overrides,
  };
}

/** Every page, rendered in `t`'s language. */
function everyPage(t = ENGLISH): Record<string, string> {
  return {
    signIn: signInPage(
      { appName: 'Acme', action: '/auth/magic-link', returnTo: '/', error: 'x', email: '' },
      t,
    ),
    sent: sentPage(
      { appName: 'Acme', verifyAction: '/v', signInHref: '/s', error: null, relay: true },
      t,
    ),
    confirm: confirmPage(
      { appName: 'Acme', action: '/c', email: 'a@b.co', signedInAs: 'c@d.co', fields: {} },
      t,
    ),
    relay: relayPage({ appName: 'Acme', code: '123456', signInHref: '/s' }, t),
    denied: deniedPage({ appName: 'Acme', signInHref: '/s', hasCode: true }, t),
    expired: expiredPage({ resendAction: '/r', state: 'st', signInHref: '/s' }, t),
    error: errorPage(
      { title: t.messages.errorTitleRetry, message: t.messages.errTryAgain, backHref: '/s' },
      t,
    ),
  };
}

function textOf(page: string): string {
  return page
    .replace(/<style[\s\S]*?<\/style>/g, '')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ')
    .trim();
}

describe('pages in every locale', () => {
  it.each(LOCALES)('%s: every page has <html lang> and the right dir', (tag) => {
    const t = translationOf(tag);
    for (const [name, page] of Object.entries(everyPage(t))) {
      expect({ name, head: /<html [^>]*>/.exec(page)?.[0] }).toEqual({
        name,
        head: `<html lang="${tag}" dir="${tag === 'ar' ? 'rtl' : 'ltr'}">`,
      });
    }
  });

  it.each(LOCALES.filter((tag) => tag !== 'en'))(
    '%s: the pages show the translation and no English sentence',
    (tag) => {
      const t = translationOf(tag);
      const pages = everyPage(t);
      expect(textOf(pages.signIn!)).toContain(format(t.messages.signInTitle, { appName: 'Acme' }));
      expect(textOf(pages.sent!)).toContain(t.messages.sentTitle);
      expect(textOf(pages.relay!)).toContain(t.messages.relayTitle);
      const english = Object.values(everyPage()).map(textOf).join(' ');
      const translated = Object.values(pages).map(textOf).join(' ');
      for (const sentence of [
        'Check your email',
        'Sign in with code',
        'Continue signing in',
        'Ask for a new link',
        'Back to sign-in',
        'Email address',
      ]) {
        expect(english).toContain(sentence);
        expect(translated).not.toContain(sentence);
      }
    },
  );

  it('English pages are unchanged for callers that pass no translation', () => {
    const page = sentPage({ appName: 'Acme', verifyAction: null, signInHref: '/s', error: null });
    expect(page).toContain('<html lang="en" dir="ltr">');
    expect(page).toContain(
      'The link expires in a few minutes. Nothing arrived? Check spam, or <a href="/s">ask for another link</a>.',
    );
  });

  it('the error box uses logical properties, so it sits on the start side in RTL', () => {
    const page = everyPage(translationOf('ar')).signIn;
    expect(page).toContain('border-inline-start:4px solid');
    expect(page).toContain('padding-inline-start:');
    expect(page).not.toMatch(/(?:border|padding|margin)-(?:left|right)\b/);
    // Addresses read left to right even on an Arabic page.
    expect(page).toMatch(/<input[^>]*type="email"[^>]*dir="ltr"/);
  });

  it('escapes messages and values: an override cannot inject markup', () => {
    const t = translationOf('fr', {
      signInTitle: '<img src=x onerror=alert(1)> {appName}',
      sentFooterLink: 'Rien ? <b>{link}</b>',
    });
    const signIn = signInPage(
      { appName: '<script>', action: '/a', returnTo: '/', error: null, email: '' },
      t,
    );
    expect(signIn).not.toContain('<img');
    expect(signIn).not.toContain('<script>');
    expect(signIn).toContain('&lt;img src=x onerror=alert(1)&gt; &lt;script&gt;');
    const sent = sentPage({ appName: 'A', verifyAction: null, signInHref: '/s"x', error: null }, t);
    expect(sent).toContain(
      'Rien ? &lt;b&gt;<a href="/s&quot;x">demandez un nouveau lien</a>&lt;/b&gt;',
    );
  });

  it('formatHtml escapes the message, strings and leaves Html values alone', () => {
    expect(formatHtml('a < {x} & {y} {z}', { x: '<i>', y: html`<b>${'&'}</b>` }).value).toBe(
      'a &lt; &lt;i&gt; &amp; <b>&amp;</b> {z}',
    );
    expect(format('{a}{b}{a}', { a: '1' })).toBe('1{b}1');
  });
});

describe('the default email in every locale', () => {
  it.each(LOCALES)('%s: subject, text and HTML are in the language, with lang and dir', (tag) => {
    const t = translationOf(tag);
    const mail = defaultEmailTemplate(emailData({ locale: tag }));
    expect(mail.subject).toBe(format(t.messages.emailSubject, { appName: 'Acme' }));
    expect(mail.html).toContain(`<html lang="${tag}" dir="${t.dir}">`);
    const expiresIn = formatExpiresIn(emailData().expiresAt, NOW, tag);
    expect(mail.text).toContain(format(t.messages.emailIntroText, { appName: 'Acme', expiresIn }));
    expect(mail.text).toContain(t.messages.emailIgnore);
    expect(mail.text).toContain(format(t.messages.emailSentTo, { email: 'ada@example.com' }));
    expect(mail.text).toContain('\n123456\n');
    // The dev mailbox finds the code in any language.
    expect(extractCode(mail.text)).toBe('123456');
    if (tag !== 'en') {
      expect(mail.text).not.toContain('Open this link');
      expect(mail.html).not.toContain('Use the button below');
    }
  });

  it('French, with Intl wording for the time left', () => {
    const mail = defaultEmailTemplate(
      emailData({ locale: 'fr', expiresAt: new Date(NOW.getTime() + 90 * 60_000) }),
    );
    expect(mail.subject).toBe('Connexion à Acme');
    // Intl puts a no-break space between a number and its unit in French.
    expect(mail.text.replace(/[\u00a0\u202f]/g, ' ')).toContain(
      'Il expire dans 1 heure et 30 minutes et ne sert qu’une fois.',
    );
    expect(mail.html).toContain('aria-label="Code de connexion\u00a0: 1 2 3 4 5 6"');
  });

  it('Arabic is laid out right to left, with the link kept left to right', () => {
    const mail = defaultEmailTemplate(emailData({ locale: 'ar' }));
    expect(mail.subject).toBe('تسجيل الدخول إلى Acme');
    expect(mail.html).toContain('<div dir="rtl"');
    expect(mail.html).toMatch(/<a href="[^"]*" dir="ltr"/);
    expect(mail.html).not.toMatch(/(?:left|right)/);
  });

  it.each([
    ['en', 15, '15 minutes'],
    ['de', 15, '15 Minuten'],
    ['pl', 2, '2 minuty'],
    ['pl', 5, '5 minut'],
    ['ja', 90, '1 時間 30 分'],
    ['zh-CN', 90, '1小时30分钟'],
    ['es', 90, '1 hora y 30 minutos'],
    ['sv', 60, '1 timme'],
    ['ar', 15, '15 دقيقة'],
    ['nl', 3 * 24 * 60, '3 dagen'],
  ] as const)('formatExpiresIn in %s, %p minutes → %p', (tag, minutes, words) => {
    expect(formatExpiresIn(new Date(NOW.getTime() + minutes * 60_000), NOW, tag)).toBe(words);
  });

  it('under a minute is worded by the catalogue', () => {
    expect(formatExpiresIn(new Date(NOW.getTime() + 30_000), NOW, 'it')).toBe('meno di un minuto');
  });

  it('an unknown or missing locale gives English', () => {
    expect(defaultEmailTemplate(emailData({ locale: 'tlh' })).subject).toBe('Sign in to Acme');
    expect(defaultEmailTemplate(emailData()).html).toContain('<html lang="en" dir="ltr">');
  });

  it('overrides reach the email, and a line break in one never reaches the subject', () => {
    const t = translationOf('en', { emailSubject: 'Your {appName}\r\nBcc: x@evil.test link' });
    const mail = renderDefaultEmail(emailData(), t);
    expect(mail.subject).toBe('Your Acme Bcc: x@evil.test link');
  });
});
