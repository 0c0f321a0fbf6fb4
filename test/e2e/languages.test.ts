import type { Page } from 'playwright-core';
import {
  SCENARIO_TIMEOUT_MS,
  describeBrowser,
  heading,
  newEmail,
  useBrowserSuite,
} from '../helpers/browser';

/** The document's language and its computed direction. */
function langAndDir(page: Page): Promise<{ lang: string; dir: string; direction: string }> {
  return page.evaluate<{ lang: string; dir: string; direction: string }>(`({
    lang: document.documentElement.lang,
    dir: document.documentElement.dir,
    direction: getComputedStyle(document.body).direction,
  })`);
}

// Playwright's `locale` sets both navigator.language and the Accept-Language header.
describeBrowser('the example app in Arabic and Japanese, in Chromium', () => {
  const { app, newPage } = useBrowserSuite();

  test(
    'Arabic: right-to-left sign-in, sent and relay pages',
    async () => {
      const a = await newPage('lang-ar', { locale: 'ar' });
      const origin = app().origin;
      const email = newEmail('layla');
      await a.page.goto(`${origin}/auth/magic-link`);
      await expect(langAndDir(a.page)).resolves.toEqual({
        lang: 'ar',
        dir: 'rtl',
        direction: 'rtl',
      });
      await expect(heading(a.page)).resolves.toBe('تسجيل الدخول إلى Example');
      await a.check('signin');

      // A bad address shows the Arabic error, its border on the right (the start side in RTL).
      await a.page.getByLabel('البريد الإلكتروني').fill('not-an-address@');
      await a.page.evaluate(`document.querySelector('form').noValidate = true`);
      await a.page.getByRole('button', { name: 'أرسل لي رابط تسجيل الدخول' }).click();
      await expect(a.page.locator('#email-error').textContent()).resolves.toBe(
        'أدخل عنوان بريد إلكتروني صالحًا.',
      );
      const border = await a.page.evaluate<{ right: string; left: string }>(`(() => {
        const s = getComputedStyle(document.querySelector('#email-error'));
        return { right: s.borderRightWidth, left: s.borderLeftWidth };
      })()`);
      expect(border).toEqual({ right: '4px', left: '0px' });
      await a.check('signin-error');

      await a.page.getByLabel('البريد الإلكتروني').fill(email);
      await a.page.getByRole('button', { name: 'أرسل لي رابط تسجيل الدخول' }).click();
      await a.page.waitForURL(`${origin}/auth/magic-link/sent`);
      await expect(heading(a.page)).resolves.toBe('تحقّق من بريدك الإلكتروني');
      await a.check('sent');

      const mail = await app().waitForMail(email);
      expect(mail.subject).toBe('تسجيل الدخول إلى Example');
      expect(mail.html).toContain('<html lang="ar" dir="rtl">');

      // The link opened in another (Arabic) browser: the relay page.
      const b = await newPage('lang-ar', { locale: 'ar-EG' });
      await b.page.goto(mail.links[0]!);
      await expect(heading(b.page)).resolves.toBe('أكمل تسجيل الدخول في المتصفح الآخر');
      await expect(langAndDir(b.page)).resolves.toMatchObject({ direction: 'rtl' });
      await b.check('relay');
    },
    SCENARIO_TIMEOUT_MS,
  );

  test(
    'Japanese: sign-in and sent pages',
    async () => {
      const t = await newPage('lang-ja', { locale: 'ja-JP' });
      const origin = app().origin;
      const email = newEmail('kenji');
      await t.page.goto(`${origin}/auth/magic-link`);
      await expect(langAndDir(t.page)).resolves.toEqual({
        lang: 'ja',
        dir: 'ltr',
        direction: 'ltr',
      });
      await expect(heading(t.page)).resolves.toBe('Example にログイン');
      await t.check('signin');
      await t.page.getByLabel('メールアドレス').fill(email);
      await t.page.getByRole('button', { name: 'ログイン用リンクをメールで受け取る' }).click();
      await t.page.waitForURL(`${origin}/auth/magic-link/sent`);
      await expect(heading(t.page)).resolves.toBe('メールをご確認ください');
      await t.check('sent');
      expect((await app().waitForMail(email)).subject).toBe('Example へのログイン');
    },
    SCENARIO_TIMEOUT_MS,
  );
});
