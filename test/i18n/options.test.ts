import type { IncomingMessage } from 'node:http';
import { magicLinkRouter, selfHostedProvider } from '../../lib/index';
import type { MagicLinkOptions } from '../../lib/index';
import { resolveLanguages } from '../../lib/i18n/resolve';

const SECRET = 'i18n-options-secret-0123456789abcdef0123';

function options(extra: Record<string, unknown>): MagicLinkOptions {
  return {
    provider: selfHostedProvider(),
    delivery: async () => undefined,
    secret: SECRET,
    origin: 'https://app.example.com',
    ...extra,
  } as MagicLinkOptions;
}

function req(acceptLanguage?: string): IncomingMessage {
  return {
    headers: acceptLanguage === undefined ? {} : { 'accept-language': acceptLanguage },
  } as IncomingMessage;
}

/** The message of the TypeError building the router throws; fails on anything else. */
function refusal(extra: Record<string, unknown>): string {
  try {
    magicLinkRouter(options(extra));
  } catch (err) {
    expect(err).toBeInstanceOf(TypeError);
    return (err as Error).message;
  }
  throw new Error('magicLinkRouter accepted the options');
}

describe('locale, locales and messages are checked when the router is built', () => {
  it.each([
    [
      { locale: 'klingon' },
      /^magicLinkRouter: locale is "klingon", which is not a shipped locale\. Use one of en, es, fr/,
    ],
    [{ locale: 'pt-br' }, /locale is "pt-br", which is not a shipped locale/],
    [
      { locale: 42 },
      /^magicLinkRouter: locale must be a locale tag or a function \(req\) => tag, got number\. Pass e\.g\. locale: 'fr'/,
    ],
    [
      { locale: 'de', locales: ['en', 'fr'] },
      /locale is "de", which locales does not allow\. Add it to locales\./,
    ],
    [
      { locales: [] },
      /^magicLinkRouter: locales must be a non-empty array of locale tags\. Pass e\.g\. locales: \['en', 'fr'\]\./,
    ],
    [{ locales: 'fr' }, /locales must be a non-empty array/],
    [
      { locales: ['en', 'fr-FR'] },
      /locales contains "fr-FR", which is not a shipped locale\. Use one of .*'pt-BR'/,
    ],
    [
      { messages: 'hi' },
      /^magicLinkRouter: messages must be an object of locale → \{ key: string \}/,
    ],
    [
      { messages: { ko: {} } },
      /messages has the locale "ko", which is not shipped\. Use one of en, es/,
    ],
    [
      { locales: ['en'], messages: { fr: {} } },
      /messages has the locale "fr", which locales does not allow\. Add it to locales, or remove messages\.fr\./,
    ],
    [{ messages: { en: 'Sign in' } }, /messages\.en must be an object of message key → string/],
    [
      { messages: { en: { signInSubmitt: 'Go' } } },
      /^magicLinkRouter: messages\.en\.signInSubmitt is not a message key\. Check the spelling/,
    ],
    [
      { messages: { en: { signInSubmit: 42 } } },
      /messages\.en\.signInSubmit must be a non-empty string/,
    ],
    [
      { messages: { en: { signInSubmit: ' ' } } },
      /messages\.en\.signInSubmit must be a non-empty string/,
    ],
    [
      { messages: { fr: { signInTitle: 'Connexion à {appname}' } } },
      /messages\.fr\.signInTitle uses \{appname\}, which this message does not have\. Use only \{appName\}\./,
    ],
    [
      { messages: { en: { signInSubmit: 'Go {now}' } } },
      /messages\.en\.signInSubmit uses \{now\}, which this message does not have\. This message takes no placeholders\./,
    ],
    [{ locals: ['en'] }, /^magicLinkRouter: locals is not a known option/],
  ])('%p is refused, naming the option and the fix', (extra, message) => {
    expect(refusal(extra)).toMatch(message);
  });

  it('accepts every shipped tag, a function, a subset and overrides', () => {
    for (const locale of [
      'en',
      'es',
      'fr',
      'de',
      'it',
      'pt-BR',
      'nl',
      'pl',
      'sv',
      'ja',
      'zh-CN',
      'ar',
    ])
      expect(() => magicLinkRouter(options({ locale }))).not.toThrow();
    expect(() =>
      magicLinkRouter(
        options({
          locale: () => 'fr',
          locales: ['fr', 'de'],
          messages: {
            fr: { signInSubmit: 'Recevoir mon lien', signInTitle: '{appName} : connexion' },
          },
        }),
      ),
    ).not.toThrow();
  });
});

describe('resolveLanguages: which language a request gets', () => {
  it('by default follows Accept-Language among all twelve, English without one', () => {
    const l = resolveLanguages({});
    expect(l.negotiates).toBe(true);
    expect(l.choose(req()).locale).toBe('en');
    expect(l.choose(req('fr-CA,fr;q=0.9')).locale).toBe('fr');
    expect(l.choose(req('ar')).dir).toBe('rtl');
    expect(l.choose(req('ja')).dir).toBe('ltr');
  });

  it('a fixed locale ignores the header', () => {
    const l = resolveLanguages({ locale: 'de' });
    expect(l.negotiates).toBe(false);
    expect(l.choose(req('fr')).locale).toBe('de');
    expect(l.choose(req()).locale).toBe('de');
  });

  it('a function picks per request; what it returns is matched, then falls back', () => {
    const l = resolveLanguages({
      locale: (r: IncomingMessage) => String(r.headers['x-lang'] ?? ''),
      locales: ['en', 'fr', 'pt-BR'],
    });
    const pick = (lang: unknown) => l.choose({ headers: { 'x-lang': lang } } as never).locale;
    expect(pick('fr')).toBe('fr');
    expect(pick('pt-PT')).toBe('pt-BR');
    expect(pick('de')).toBe('en');
    expect(pick('')).toBe('en');
    const odd = resolveLanguages({ locale: () => 42 as unknown as string });
    expect(odd.choose(req('fr')).locale).toBe('en');
  });

  it('locales restricts the set, and the fallback is en when allowed, else the first', () => {
    expect(resolveLanguages({ locales: ['fr', 'de'] }).fallback).toBe('fr');
    expect(resolveLanguages({ locales: ['fr', 'en'] }).fallback).toBe('en');
    const l = resolveLanguages({ locales: ['de', 'ja'] });
    expect(l.choose(req('fr, ja;q=0.5')).locale).toBe('ja');
    expect(l.choose(req('es')).locale).toBe('de');
    expect(l.get('fr').locale).toBe('de');
  });

  it('messages override single strings in one locale and leave the rest', () => {
    const l = resolveLanguages({ messages: { fr: { signInSubmit: 'Recevoir mon lien' } } });
    expect(l.get('fr').messages.signInSubmit).toBe('Recevoir mon lien');
    expect(l.get('fr').messages.sentTitle).toBe('Consultez vos e-mails');
    expect(l.get('en').messages.signInSubmit).toBe('Email me a sign-in link');
  });
});
