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

// MAGIC_LINK_PROVIDER=workos-magic-auth with no keys: the WorkOS emulator runs inside the app and
// the real SDK calls its Magic Auth endpoints. Our email lands in the dev mailbox with WorkOS's
// 6-digit code and a scanner-safe link that carries the code sealed.

const CODE_LABEL = 'Or type the 6-digit code from the email';

describeBrowser('example app with WorkOS Magic Auth (emulator), in Chromium', () => {
  const { app, newPage, requestLink } = useBrowserSuite({
    env: { MAGIC_LINK_PROVIDER: 'workos-magic-auth' },
  });

  test(
    'the email carries the code and a sealed link; the code typed in the same browser signs in',
    async () => {
      const t = await newPage('magic-auth-code');
      const { page } = t;
      const email = newEmail('barbara');
      const mail = await requestLink(t, email, { from: '/account', check: true });
      await t.check('sent');

      expect(mail.subject).toBe('Sign in to Example');
      expect(mail.code).toMatch(/^[0-9]{6}$/);
      const link = mail.links[0]!;
      expect(link).toMatch(
        new RegExp(`^${escapeRegExp(app().origin)}/auth/callback\\?code=[\\w-]+&state=[\\w-]+$`),
      );
      // The link never carries the code in clear.
      expect(new URL(link).searchParams.get('code')).not.toContain(mail.code!);

      await expectCodeRefused(
        page,
        CODE_LABEL,
        '000000' === mail.code ? '111111' : '000000',
        app().origin,
      );
      await t.check('wrong-code');

      await submitCode(page, CODE_LABEL, mail.code!, `${app().origin}/account`);
      await expect(page.locator('#email').textContent()).resolves.toBe(email);
      await t.check('account');

      // The code spent the link as well: it now shows the expired page.
      await signOut(page, app().origin);
      const spent = await page.goto(link);
      expect(spent?.status()).toBe(400);
      await expect(heading(page)).resolves.toBe('This link has expired or was already used');
      await t.check('spent-link');
      expect(t.problems()).toEqual([]);
    },
    SCENARIO_TIMEOUT_MS,
  );

  test(
    'the link in the same browser signs in; a replay does not',
    async () => {
      const t = await newPage('magic-auth-link');
      const { page } = t;
      const email = newEmail('frances');
      const mail = await requestLink(t, email, { from: '/account' });

      const landed = await page.goto(mail.links[0]!);
      expect(landed?.status()).toBe(200);
      expect(page.url()).toBe(`${app().origin}/account`);
      await expect(page.locator('#email').textContent()).resolves.toBe(email);

      await signOut(page, app().origin);
      const replay = await page.goto(mail.links[0]!);
      expect(replay?.status()).toBe(400);
      await expect(heading(page)).resolves.toBe('This link has expired or was already used');
      await page.goto(`${app().origin}/account`);
      expect(page.url()).toBe(`${app().origin}/auth/magic-link?returnTo=%2Faccount`);
      expect(t.problems()).toEqual([]);
    },
    SCENARIO_TIMEOUT_MS,
  );

  test(
    'the link in another browser shows a relay code and signs in only the browser that asked; the code there is refused',
    async () => {
      const a = await newPage('magic-auth-relay-a');
      const b = await newPage('magic-auth-relay');
      const email = newEmail('radia');
      const mail = await requestLink(a, email, { from: '/account' });

      // Browser B never asked: its code form has nothing to check against.
      await b.page.goto(`${app().origin}/auth/magic-link/sent`);
      await expectCodeRefused(b.page, CODE_LABEL, mail.code!, app().origin);

      const shown = await b.page.goto(mail.links[0]!);
      expect(shown?.status()).toBe(200);
      await expect(heading(b.page)).resolves.toBe('Finish signing in where you asked');
      const code = await b.page.locator('#relay-code').textContent();
      expect(code).toMatch(/^[0-9]{6}$/);
      await b.check('relay');

      await submitCode(a.page, CODE_LABEL, code!, `${app().origin}/account`);
      await expect(a.page.locator('#email').textContent()).resolves.toBe(email);

      await b.page.goto(`${app().origin}/account`);
      expect(b.page.url()).toBe(`${app().origin}/auth/magic-link?returnTo=%2Faccount`);
      expect(a.problems()).toEqual([]);
      expect(b.problems()).toEqual([]);
    },
    SCENARIO_TIMEOUT_MS,
  );
});
