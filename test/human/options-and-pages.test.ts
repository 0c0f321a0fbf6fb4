import { magicLinkRouter, selfHostedProvider, turnstile } from '../../lib/index';
import type { MagicLinkOptions } from '../../lib/index';
import { expiredPage, signInPage } from '../../lib/pages/pages';

const base = (): MagicLinkOptions => ({
  provider: selfHostedProvider(),
  delivery: async () => undefined,
  secret: 'human-options-secret-0123456789abcdef0123',
  origin: 'https://app.example.com',
});

const WIDGET = {
  scriptSrc: 'https://challenges.cloudflare.com/turnstile/v0/api.js',
  html: '<div class="cf-turnstile" data-sitekey="k"></div>',
};

function messageOf(options: Record<string, unknown>): string {
  let thrown: unknown;
  try {
    magicLinkRouter({ ...base(), ...options } as MagicLinkOptions);
  } catch (err) {
    thrown = err;
  }
  expect(thrown).toBeInstanceOf(TypeError);
  return (thrown as TypeError).message;
}

describe('verifyHuman and humanCheckWidget options', () => {
  it('accepts an adapter with a sitekey, a function with a widget, or a function with widget false', () => {
    expect(() =>
      magicLinkRouter({ ...base(), verifyHuman: turnstile({ secret: 's', sitekey: 'k' }) }),
    ).not.toThrow();
    expect(() =>
      magicLinkRouter({ ...base(), verifyHuman: async () => true, humanCheckWidget: WIDGET }),
    ).not.toThrow();
    expect(() =>
      magicLinkRouter({ ...base(), verifyHuman: async () => true, humanCheckWidget: false }),
    ).not.toThrow();
    // The app renders its own form: it supplies the token itself.
    expect(() =>
      magicLinkRouter({ ...base(), verifyHuman: async () => true, signInPage: false }),
    ).not.toThrow();
  });

  it('refuses a verifyHuman that is not a function', () => {
    const message = messageOf({ verifyHuman: 'turnstile' });
    expect(message).toMatch(/^magicLinkRouter: verifyHuman must be a function, got string\. /);
    expect(message).toContain('turnstile({ secret, sitekey })');
  });

  it('refuses a human check the default sign-in page could never satisfy', () => {
    for (const verifyHuman of [async () => true, turnstile({ secret: 's' })]) {
      const message = messageOf({ verifyHuman });
      expect(message).toMatch(/^magicLinkRouter: verifyHuman is set, but the default sign-in page/);
      expect(message).toContain('humanCheckWidget: false');
    }
  });

  it('refuses a widget without a verifier', () => {
    expect(messageOf({ humanCheckWidget: WIDGET })).toMatch(
      /^magicLinkRouter: humanCheckWidget is set but verifyHuman is not.*Pass verifyHuman too/,
    );
  });

  it.each([
    [{ scriptSrc: 'http://challenges.cloudflare.com/api.js', html: '<div></div>' }, /https: URL/],
    [{ scriptSrc: 'not a url', html: '<div></div>' }, /https: URL/],
    [{ scriptSrc: WIDGET.scriptSrc, html: '<script>alert(1)</script>' }, /no <script>/],
    [{ scriptSrc: WIDGET.scriptSrc }, /must be \{ scriptSrc, html \}/],
    ['<div></div>', /must be \{ scriptSrc, html \}/],
  ])('refuses the widget %j', (humanCheckWidget, problem) => {
    const message = messageOf({ verifyHuman: async () => true, humanCheckWidget });
    expect(message.startsWith('magicLinkRouter: humanCheckWidget ')).toBe(true);
    expect(message).toMatch(problem);
  });
});

describe('the pages with and without the widget', () => {
  const data = {
    appName: 'Acme',
    action: '/auth/magic-link',
    returnTo: '/',
    error: null,
    email: '',
  };

  it('the sign-in page is script-free without the widget', () => {
    for (const page of [signInPage(data), signInPage({ ...data, humanCheck: null })]) {
      expect(page).not.toMatch(/<script/i);
      expect(page).not.toContain('cf-turnstile');
    }
  });

  it('the sign-in page puts the widget inside the form and loads its script once', () => {
    const page = signInPage({ ...data, humanCheck: WIDGET });
    const form = page.slice(page.indexOf('<form'), page.indexOf('</form>'));
    expect(form).toContain(WIDGET.html);
    expect(page.match(/<script\b[^>]*><\/script>/g)).toEqual([
      `<script src="${WIDGET.scriptSrc}" async defer></script>`,
    ]);
  });

  it('the expired page shows the widget only with its resend form', () => {
    const resend = expiredPage({
      resendAction: '/auth/magic-link/resend',
      state: 'st',
      signInHref: '/auth/magic-link',
      humanCheck: WIDGET,
    });
    const form = resend.slice(resend.indexOf('<form'), resend.indexOf('</form>'));
    expect(form).toContain(WIDGET.html);
    expect(resend).toContain(`<script src="${WIDGET.scriptSrc}" async defer></script>`);

    const noResend = expiredPage({
      resendAction: null,
      state: null,
      signInHref: '/auth/magic-link',
      humanCheck: WIDGET,
    });
    expect(noResend).not.toMatch(/<script/i);
    const off = expiredPage({
      resendAction: '/auth/magic-link/resend',
      state: 'st',
      signInHref: '/auth/magic-link',
    });
    expect(off).not.toMatch(/<script/i);
  });
});
