import {
  describeBrowser,
  escapeRegExp,
  expectCodeRefused,
  heading,
  newEmail,
  SCENARIO_TIMEOUT_MS,
  signOut,
  submitCode,
  useBrowserSuite,
} from '../helpers/browser';

// MAGIC_LINK_PROVIDER=self-hosted: no third party. The example starts a dev SMTP server on
// loopback, so each email goes over real SMTP before it shows in the dev mailbox.

/** A 6-digit code that is certainly not `code`. */
function wrongCode(code: string): string {
  return String((Number(code) + 1) % 1_000_000).padStart(6, '0');
}

describeBrowser('example app with the self-hosted provider, in Chromium', () => {
  const { app, newPage, requestLink } = useBrowserSuite({
    env: { MAGIC_LINK_PROVIDER: 'self-hosted' },
  });

  test(
    'signs in with the 6-digit code typed on the "Check your email" page',
    async () => {
      const t = await newPage('self-hosted-code');
      const { page } = t;
      const email = newEmail('katherine');
      const mail = await requestLink(t, email, { from: '/account', check: true });
      expect(mail.code).toMatch(/^[0-9]{6}$/);
      await t.check('sent');

      await expectCodeRefused(
        page,
        'Or type the 6-digit code from the email',
        wrongCode(mail.code!),
        app().origin,
      );
      await t.check('wrong-code');

      await submitCode(
        page,
        'Or type the 6-digit code from the email',
        mail.code!,
        `${app().origin}/account`,
      );
      await expect(page.locator('#email').textContent()).resolves.toBe(email);
      await t.check('account');
      expect(t.problems()).toEqual([]);
    },
    SCENARIO_TIMEOUT_MS,
  );

  test(
    'signs in by link in the same browser',
    async () => {
      const t = await newPage('self-hosted-link');
      const { page } = t;
      const email = newEmail('dorothy');
      const mail = await requestLink(t, email, { from: '/account' });
      expect(mail.links[0]).toMatch(
        new RegExp(`^${escapeRegExp(app().origin)}/auth/callback\\?code=[\\w-]+&state=[\\w-]+$`),
      );

      const landed = await page.goto(mail.links[0]!);
      expect(landed?.status()).toBe(200);
      expect(page.url()).toBe(`${app().origin}/account`);
      await expect(page.locator('#email').textContent()).resolves.toBe(email);

      await signOut(page, app().origin);
      await page.goto(`${app().origin}/account`);
      expect(page.url()).toBe(`${app().origin}/auth/magic-link?returnTo=%2Faccount`);
      expect(t.problems()).toEqual([]);
    },
    SCENARIO_TIMEOUT_MS,
  );

  test(
    'the code spends the link: the link then shows the expired page, which leads to the form again',
    async () => {
      const t = await newPage('self-hosted-used-link');
      const { page } = t;
      const email = newEmail('hedy');
      const used = await requestLink(t, email, { from: '/account' });
      await submitCode(
        page,
        'Or type the 6-digit code from the email',
        used.code!,
        `${app().origin}/account`,
      );
      await signOut(page, app().origin);

      const expired = await page.goto(used.links[0]!);
      expect(expired?.status()).toBe(400);
      await expect(heading(page)).resolves.toBe('This link has expired or was already used');
      await t.check('expired');

      // Signing in ended this browser's pending sign-in, so it no longer holds the link's
      // binding: no one-click resend (that is for the browser that asked, hardening round 2,
      // G01), but the way back to the form, where the person types their address.
      await expect(page.getByRole('button', { name: 'Email me a new link' }).count()).resolves.toBe(
        0,
      );
      await page.getByRole('link', { name: 'Ask for a new link' }).click();
      await page.waitForURL(`${app().origin}/auth/magic-link`);
      await page.getByLabel('Email address').fill(email);
      await page.getByRole('button', { name: 'Email me a sign-in link' }).click();
      await page.waitForURL(`${app().origin}/auth/magic-link/sent`);
      await expect(heading(page)).resolves.toBe('Check your email');
      const fresh = await app().waitForMail(email, used);
      expect(fresh.links[0]).not.toBe(used.links[0]);
      expect(fresh.code).toMatch(/^[0-9]{6}$/);

      await page.goto(fresh.links[0]!);
      expect(page.url()).toBe(`${app().origin}/account`);
      await expect(page.locator('#email').textContent()).resolves.toBe(email);
      expect(t.problems()).toEqual([]);
    },
    SCENARIO_TIMEOUT_MS,
  );

  test(
    'a link opened on another device shows a code; the browser that asked types it and signs in',
    async () => {
      const a = await newPage('self-hosted-relay-a');
      const b = await newPage('self-hosted-relay');
      const email = newEmail('mary');
      const mail = await requestLink(a, email, { from: '/account' });

      await b.page.goto(mail.links[0]!);
      expect(b.page.url()).toBe(mail.links[0]);
      await expect(heading(b.page)).resolves.toBe('Finish signing in where you asked');
      const code = await b.page.locator('#relay-code').textContent();
      expect(code).toMatch(/^[0-9]{6}$/);
      expect(code).not.toBe(mail.code);
      await b.check('relay');

      // The code field on A's "Check your email" page takes the email's code or this one.
      await submitCode(
        a.page,
        'Or type the 6-digit code from the email',
        code!,
        `${app().origin}/account`,
      );
      await expect(a.page.locator('#email').textContent()).resolves.toBe(email);

      // B stays signed out, and reloading its page shows the code of a spent sign-in only.
      await b.page.goto(`${app().origin}/account`);
      expect(b.page.url()).toBe(`${app().origin}/auth/magic-link?returnTo=%2Faccount`);
      expect(a.problems()).toEqual([]);
      expect(b.problems()).toEqual([]);
    },
    SCENARIO_TIMEOUT_MS,
  );

  test(
    "an invalid request (a GET of the code form's target) shows the error page",
    async () => {
      const t = await newPage('self-hosted-invalid');
      const { page } = t;
      const res = await page.goto(`${app().origin}/auth/magic-link/verify`);
      expect(res?.status()).toBe(405);
      await expect(heading(page)).resolves.toBe('Sign-in problem');
      await t.check('error');
      await page.getByRole('link', { name: 'Back to sign-in' }).click();
      await page.waitForURL(`${app().origin}/auth/magic-link/sent`);
      expect(t.problems()).toEqual([]);
    },
    SCENARIO_TIMEOUT_MS,
  );
});
