import {
  describeBrowser,
  escapeRegExp,
  heading,
  newEmail,
  SCENARIO_TIMEOUT_MS,
  signOut,
  submitCode,
  useBrowserSuite,
} from '../helpers/browser';

// The default example: no keys, so the WorkOS emulator runs inside the app and our own email
// (with the scanner-safe /auth/magic-link/open link) lands in the dev mailbox.

describeBrowser('example app with the WorkOS emulator, in Chromium', () => {
  const { app, newPage, requestLink } = useBrowserSuite();

  test(
    'signs in by link in the same browser, then signs out',
    async () => {
      const t = await newPage('workos-link');
      const { page } = t;
      const email = newEmail('ada');

      const first = await page.goto(`${app().origin}/account`);
      expect(first?.status()).toBe(200);
      expect(page.url()).toBe(`${app().origin}/auth/magic-link?returnTo=%2Faccount`);
      await expect(heading(page)).resolves.toBe('Sign in to Example');
      await t.check('signin');

      const submitted = page.waitForRequest((r) => r.method() === 'POST');
      await page.getByLabel('Email address').fill(email);
      await page.getByRole('button', { name: 'Email me a sign-in link' }).click();
      // Plain http on localhost: helmet's CSP must not upgrade the form to https.
      expect((await submitted).url()).toBe(`${app().origin}/auth/magic-link`);
      await page.waitForURL(`${app().origin}/auth/magic-link/sent`);
      await expect(heading(page)).resolves.toBe('Check your email');
      await t.check('sent');

      const mail = await app().waitForMail(email);
      expect(mail.subject).toBe('Sign in to Example');
      expect(mail.links[0]).toMatch(
        new RegExp(`^${escapeRegExp(app().origin)}/auth/magic-link/open\\?t=[\\w-]+$`),
      );

      const landed = await page.goto(mail.links[0]!);
      expect(landed?.status()).toBe(200);
      expect(page.url()).toBe(`${app().origin}/account`);
      await expect(page.locator('#email').textContent()).resolves.toBe(email);
      await t.check('account');

      await signOut(page, app().origin);
      await expect(page.locator('main p').first().textContent()).resolves.toBe(
        'You are signed out.',
      );
      await t.check('home');

      await page.goto(`${app().origin}/account`);
      expect(page.url()).toBe(`${app().origin}/auth/magic-link?returnTo=%2Faccount`);
      expect(t.problems()).toEqual([]);
    },
    SCENARIO_TIMEOUT_MS,
  );

  test(
    'a link opened on another device shows a code, and only the browser that asked signs in with it',
    async () => {
      const a = await newPage('workos-relay-a');
      const b = await newPage('workos-relay');
      const email = newEmail('grace');
      const mail = await requestLink(a, email);

      const shown = await b.page.goto(mail.links[0]!);
      expect(shown?.status()).toBe(200);
      expect(b.page.url()).toBe(mail.links[0]);
      await expect(heading(b.page)).resolves.toBe('Finish signing in where you asked');
      await expect(b.page.locator('form').count()).resolves.toBe(0);
      const code = await b.page.locator('#relay-code').textContent();
      expect(code).toMatch(/^[0-9]{6}$/);
      await b.check('relay');

      // A, still on "Check your email", types the code B shows.
      await submitCode(
        a.page,
        'Opened the link on another device? Type the 6-digit code it shows',
        code!,
        `${app().origin}/account`,
      );
      await expect(a.page.locator('#email').textContent()).resolves.toBe(email);

      // B never signed in; the link is spent.
      await b.page.goto(`${app().origin}/account`);
      expect(b.page.url()).toBe(`${app().origin}/auth/magic-link?returnTo=%2Faccount`);
      const again = await b.page.goto(mail.links[0]!);
      expect(again?.status()).toBe(400);
      await expect(heading(b.page)).resolves.toBe('This link has expired or was already used');
      expect(a.problems()).toEqual([]);
      expect(b.problems()).toEqual([]);
    },
    SCENARIO_TIMEOUT_MS,
  );

  test(
    'a used link shows the expired page, which leads back to the form for a new link that signs in',
    async () => {
      const t = await newPage('workos-used-link');
      const { page } = t;
      const email = newEmail('linus');
      const used = await requestLink(t, email);
      await page.goto(used.links[0]!);
      expect(page.url()).toBe(`${app().origin}/account`);
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

      await page.goto(fresh.links[0]!);
      expect(page.url()).toBe(`${app().origin}/account`);
      await expect(page.locator('#email').textContent()).resolves.toBe(email);
      expect(t.problems()).toEqual([]);
    },
    SCENARIO_TIMEOUT_MS,
  );

  test(
    'a WorkOS link spent without finishing (lost connection) lands on the expired page via access_denied',
    async () => {
      const t = await newPage('workos-access-denied');
      const { page, context } = t;
      const email = newEmail('barbara');
      const first = await requestLink(t, email);

      // The browser (its cookies, through the context's request API) follows the link to WorkOS,
      // which spends it, but the redirect back to the app never arrives.
      const toWorkOS = await context.request.get(first.links[0]!, { maxRedirects: 0 });
      expect(toWorkOS.status()).toBe(303);
      const workosLink = toWorkOS.headers().location!;
      expect(new URL(workosLink).origin).not.toBe(app().origin);
      const lost = await context.request.get(workosLink, { maxRedirects: 0 });
      expect(lost.status()).toBe(302);
      expect(lost.headers().location).toMatch(
        new RegExp(`^${escapeRegExp(app().origin)}/auth/callback\\?code=[^&]+&state=`),
      );

      const denied = await page.goto(first.links[0]!);
      expect(denied?.status()).toBe(400);
      const landed = new URL(page.url());
      expect(`${landed.origin}${landed.pathname}`).toBe(`${app().origin}/auth/callback`);
      expect(landed.searchParams.get('error')).toBe('access_denied');
      expect(landed.searchParams.get('state')).toEqual(expect.any(String));
      await expect(heading(page)).resolves.toBe('This link has expired or was already used');
      await t.check('expired');

      await page.getByRole('button', { name: 'Email me a new link' }).click();
      await page.waitForURL(`${app().origin}/auth/magic-link/sent`);
      const fresh = await app().waitForMail(email, first);
      await page.goto(fresh.links[0]!);
      expect(page.url()).toBe(`${app().origin}/account`);
      await expect(page.locator('#email').textContent()).resolves.toBe(email);
      expect(t.problems()).toEqual([]);
    },
    SCENARIO_TIMEOUT_MS,
  );

  test(
    'a sign-in form posted from another site is refused, and nothing is emailed',
    async () => {
      const t = await newPage('workos-cross-site');
      const { page } = t;
      const email = newEmail('mallory');
      const attacker = 'http://attacker.test';
      await page.route(`${attacker}/**`, (route) =>
        route.fulfill({
          contentType: 'text/html',
          body: `<!doctype html><title>Win a prize</title>
<form method="post" action="${app().origin}/auth/magic-link">
<input type="hidden" name="email" value="${email}"><button>Claim</button></form>`,
        }),
      );
      await page.goto(`${attacker}/prize`);
      await page.getByRole('button', { name: 'Claim' }).click();
      await page.waitForURL(`${app().origin}/auth/magic-link`);
      await expect(heading(page)).resolves.toBe('Sign-in problem');
      await expect(page.locator('main p').first().textContent()).resolves.toBe(
        'This request came from another site and was refused.',
      );
      await t.check('error');

      await page.getByRole('link', { name: 'Back to sign-in' }).click();
      await page.waitForURL(`${app().origin}/auth/magic-link`);
      await expect(heading(page)).resolves.toBe('Sign in to Example');
      expect((await app().mailbox()).filter((m) => m.to === email)).toEqual([]);
      expect(t.problems()).toEqual([]);
    },
    SCENARIO_TIMEOUT_MS,
  );

  test(
    'a mistyped link shows the expired page without a resend button',
    async () => {
      const t = await newPage('workos-bad-link');
      const { page } = t;
      const res = await page.goto(`${app().origin}/auth/magic-link/open?t=not-a-real-token`);
      expect(res?.status()).toBe(400);
      await expect(heading(page)).resolves.toBe('This link has expired or was already used');
      await expect(page.getByRole('button', { name: 'Email me a new link' }).count()).resolves.toBe(
        0,
      );
      await t.check('expired-no-resend');
      await page.getByRole('link', { name: 'Ask for a new link' }).click();
      await page.waitForURL(`${app().origin}/auth/magic-link`);
      expect(t.problems()).toEqual([]);
    },
    SCENARIO_TIMEOUT_MS,
  );
});
