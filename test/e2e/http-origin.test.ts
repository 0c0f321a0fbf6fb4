import {
  describeBrowser,
  newEmail,
  SCENARIO_TIMEOUT_MS,
  signOut,
  useBrowserSuite,
} from '../helpers/browser';

// A developer who runs the example on plain http under a name other than localhost (a LAN
// address so a phone can open the link, a VM, a dev hostname) with ORIGIN set. Chromium treats
// only localhost as potentially trustworthy, so here helmet's upgrade-insecure-requests and HSTS
// would apply, and Chromium sends no Sec-Fetch-* headers.
const HOST = 'app.test';

describeBrowser('example app on a plain-http origin other than localhost, in Chromium', () => {
  const { app, newPage } = useBrowserSuite({
    env: (port) => ({ ORIGIN: `http://${HOST}:${port}` }),
    browserArgs: [`--host-resolver-rules=MAP ${HOST} 127.0.0.1`],
  });

  test(
    'forms post over http: no upgrade to https, no HSTS',
    async () => {
      expect(app().origin).toBe(`http://${HOST}:${app().port}`);
      const t = await newPage('http-origin');
      const { page } = t;
      const shown = await page.goto(`${app().origin}/account`);
      expect(page.url()).toBe(`${app().origin}/auth/magic-link?returnTo=%2Faccount`);
      const headers = shown!.headers();
      expect(headers['strict-transport-security']).toBeUndefined();
      expect(headers['content-security-policy']).toContain("form-action 'self'");
      expect(headers['content-security-policy']).not.toContain('upgrade-insecure-requests');
      await t.check('signin');

      // With helmet's defaults this POST went to https://app.test:<port> and failed with
      // ERR_SSL_PROTOCOL_ERROR plus a form-action CSP violation; now the app answers it.
      const answered = page.waitForResponse((r) => r.request().method() === 'POST');
      await page.getByLabel('Email address').fill(newEmail('alan'));
      await page.getByRole('button', { name: 'Email me a sign-in link' }).click();
      expect((await answered).url()).toBe(`${app().origin}/auth/magic-link`);
    },
    SCENARIO_TIMEOUT_MS,
  );

  // Under `Referrer-Policy: no-referrer` Chromium would post the pages' forms with `Origin: null`
  // and, on a non-trustworthy origin, no Sec-Fetch-Site: the pages use `same-origin` for this.
  test(
    'signs in end to end on a plain-http, non-localhost origin',
    async () => {
      const t = await newPage('http-origin-sign-in');
      const { page } = t;
      const email = newEmail('alan');
      await page.goto(`${app().origin}/auth/magic-link`);
      const answered = page.waitForResponse((r) => r.request().method() === 'POST');
      await page.getByLabel('Email address').fill(email);
      await page.getByRole('button', { name: 'Email me a sign-in link' }).click();
      expect((await answered).status()).toBe(303);
      await page.waitForURL(`${app().origin}/auth/magic-link/sent`);

      const mail = await app().waitForMail(email);
      await page.goto(mail.links[0]!);
      expect(page.url()).toBe(`${app().origin}/account`);
      await expect(page.locator('#email').textContent()).resolves.toBe(email);
      await t.check('account');
      await signOut(page, app().origin);
      expect(t.problems()).toEqual([]);
    },
    SCENARIO_TIMEOUT_MS,
  );
});
