import type { Page } from 'playwright-core';
import {
  describeBrowser,
  heading,
  newEmail,
  SCENARIO_TIMEOUT_MS,
  signOut,
  submitCode,
  useBrowserSuite,
} from '../helpers/browser';
import type { TrackedPage } from '../helpers/browser';

// Passkeys in real Chromium, with the DevTools virtual authenticator (a platform authenticator
// with resident keys and user verification), against the example app as a user runs it.

/** How recent a sign-in /account/danger needs in this suite: short, so a test can outwait it. */
const RECENT_MS = 12_000;
const CODE_LABEL = 'Or type the 6-digit code from the email';

/** Adds the virtual authenticator; the returned function turns its user-presence answer on or off. */
async function addAuthenticator(page: Page): Promise<(present: boolean) => Promise<void>> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable', { enableUI: false });
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  return async (enabled) => {
    await cdp.send('WebAuthn.setAutomaticPresenceSimulation', { authenticatorId, enabled });
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describeBrowser('passkeys in Chromium (virtual authenticator)', () => {
  const { app, newPage, requestLink } = useBrowserSuite({
    env: {
      MAGIC_LINK_PROVIDER: 'self-hosted',
      PASSKEYS: '1',
      RECENT_SIGN_IN: `${RECENT_MS / 1000}s`,
    },
  });

  /** Email sign-in by code from /account; lands on the passkey offer (first time in a browser). */
  async function signInByEmail(t: TrackedPage, email: string, landsOn: string): Promise<void> {
    const mail = await requestLink(t, email, { from: '/account' });
    await submitCode(t.page, CODE_LABEL, mail.code!, landsOn);
  }

  async function enrollFromOffer(t: TrackedPage, email: string): Promise<void> {
    const origin = app().origin;
    await signInByEmail(t, email, `${origin}/auth/passkeys/offer?returnTo=%2Faccount`);
    await expect(heading(t.page)).resolves.toBe('Sign in faster next time');
    await t.check('offer');
    await t.page.getByRole('button', { name: 'Add a passkey' }).click();
    await t.page.waitForURL(`${origin}/account`);
  }

  test(
    'email sign-in → offer → enroll → sign out → sign in with the button',
    async () => {
      const t = await newPage('passkey-enroll');
      const presence = await addAuthenticator(t.page);
      const origin = app().origin;
      const email = newEmail('pia');
      await enrollFromOffer(t, email);
      await signOut(t.page, origin);

      // No one at the authenticator while the page loads, so its autofill request waits (the
      // next test lets it answer); then the button starts a ceremony of its own.
      await presence(false);
      const options: string[] = [];
      t.page.on('request', (r) => {
        if (r.url().endsWith('/auth/passkeys/sign-in/options')) options.push(r.url());
      });
      await t.page.goto(`${origin}/auth/magic-link?returnTo=%2Faccount`);
      const button = t.page.getByRole('button', { name: 'Sign in with a passkey' });
      await button.waitFor({ state: 'visible' });
      await t.check('signin-with-passkey');
      await presence(true);
      await button.click();
      await t.page.waitForURL(`${origin}/account`);
      expect(options).toHaveLength(2);
      await expect(t.page.locator('#email').textContent()).resolves.toBe(email);
      expect(t.problems()).toEqual([]);
    },
    SCENARIO_TIMEOUT_MS,
  );

  test(
    'sign in through passkey autofill on the email field',
    async () => {
      const t = await newPage('passkey-autofill');
      await addAuthenticator(t.page);
      const origin = app().origin;
      const email = newEmail('otto');
      await enrollFromOffer(t, email);
      await signOut(t.page, origin);
      // The page asks with conditional mediation (autofill on the email field); the virtual
      // authenticator, simulating the person's choice, answers it: no button is pressed.
      await t.page.goto(`${origin}/auth/magic-link?returnTo=%2Faccount`);
      await t.page.waitForURL(`${origin}/account`);
      await expect(t.page.locator('#email').textContent()).resolves.toBe(email);
    },
    SCENARIO_TIMEOUT_MS,
  );

  test(
    'rename and remove on the management page; a removed passkey no longer signs in',
    async () => {
      const t = await newPage('passkey-manage');
      await addAuthenticator(t.page);
      const origin = app().origin;
      await enrollFromOffer(t, newEmail('rita'));
      await t.page.goto(`${origin}/auth/passkeys`);
      await expect(heading(t.page)).resolves.toBe('Your passkeys');
      await t.check('manage');
      await t.page.getByLabel('Name').fill('My laptop');
      await t.page.getByRole('button', { name: 'Rename' }).click();
      await t.page.waitForURL(`${origin}/auth/passkeys`);
      await expect(t.page.getByLabel('Name').inputValue()).resolves.toBe('My laptop');
      await t.page.getByRole('button', { name: 'Remove' }).click();
      await t.page.waitForURL(`${origin}/auth/passkeys`);
      await expect(t.page.getByText('You have no passkeys yet.').isVisible()).resolves.toBe(true);

      await t.page.goto(`${origin}/account`);
      await signOut(t.page, origin);
      await t.page.goto(`${origin}/auth/magic-link?returnTo=%2Faccount`);
      await t.page.getByRole('button', { name: 'Sign in with a passkey' }).click();
      const alert = t.page.locator('[data-passkey-error]');
      await alert.waitFor({ state: 'visible' });
      await expect(alert.textContent()).resolves.toBe(
        'That passkey could not be used. Try again, or sign in with your email.',
      );
      expect(t.page.url()).toBe(`${origin}/auth/magic-link?returnTo=%2Faccount`);
    },
    SCENARIO_TIMEOUT_MS,
  );

  test(
    'recent sign-in: confirmed by an emailed code, then by passkey, back to the route',
    async () => {
      const t = await newPage('passkey-recent');
      await addAuthenticator(t.page);
      const origin = app().origin;
      const email = newEmail('vera');
      await enrollFromOffer(t, email);

      await sleep(RECENT_MS + 1000);
      await t.page.goto(`${origin}/account/danger`);
      expect(t.page.url()).toBe(`${origin}/auth/reauth?returnTo=%2Faccount%2Fdanger`);
      await expect(heading(t.page)).resolves.toBe('Confirm it is you');
      await t.check('reauth');
      const previous = await app().waitForMail(email);
      await t.page.getByRole('button', { name: `Email a code to ${email}` }).click();
      await t.page.waitForURL(`${origin}/auth/magic-link/sent`);
      const mail = await app().waitForMail(email, previous);
      await submitCode(t.page, CODE_LABEL, mail.code!, `${origin}/account/danger`);
      await expect(t.page.locator('#method').textContent()).resolves.toBe('code');

      await sleep(RECENT_MS + 1000);
      await t.page.goto(`${origin}/account/danger`);
      expect(t.page.url()).toBe(`${origin}/auth/reauth?returnTo=%2Faccount%2Fdanger`);
      await t.page.getByRole('button', { name: 'Use my passkey' }).click();
      await t.page.waitForURL(`${origin}/account/danger`);
      await expect(t.page.locator('#method').textContent()).resolves.toBe('passkey');
    },
    SCENARIO_TIMEOUT_MS,
  );

  test(
    'with JavaScript off: no passkey button, and the email path signs in',
    async () => {
      const t = await newPage('passkey-nojs', { javaScriptEnabled: false });
      const origin = app().origin;
      const email = newEmail('noah');
      await t.page.goto(`${origin}/auth/magic-link`);
      await expect(
        t.page.getByRole('button', { name: 'Sign in with a passkey' }).isVisible(),
      ).resolves.toBe(false);
      await signInByEmail(t, email, `${origin}/auth/passkeys/offer?returnTo=%2Faccount`);
      await expect(t.page.getByRole('button', { name: 'Add a passkey' }).isVisible()).resolves.toBe(
        false,
      );
      await t.page.getByRole('link', { name: 'Not now' }).click();
      await t.page.waitForURL(`${origin}/account`);
      await expect(t.page.locator('#email').textContent()).resolves.toBe(email);
    },
    SCENARIO_TIMEOUT_MS,
  );
});
