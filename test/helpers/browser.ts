import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import type { Browser, BrowserContext, BrowserContextOptions, Page } from 'playwright-core';
import type { DevMailboxEntry } from '../../lib/mail/dev-mailbox';
import {
  BUILD_TIMEOUT_MS,
  START_TIMEOUT_MS,
  ROOT,
  ensureBuilt,
  freePort,
  startExampleProcess,
} from './processes';

/** Where Debian's `chromium` package puts the browser; `npx playwright install` is not used. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

export const CHROMIUM_ARGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
];

/** Generous for a loaded, shared 2-core machine, but every wait is bounded. */
export const NAVIGATION_TIMEOUT_MS = 30_000;
export const ACTION_TIMEOUT_MS = 20_000;
const MAIL_TIMEOUT_MS = 20_000;

/** For `beforeAll`: a build (when `dist/` is missing), an app process and a browser. */
export const SETUP_TIMEOUT_MS = BUILD_TIMEOUT_MS + START_TIMEOUT_MS + 30_000;
/** For one scenario: several navigations and a few emails. */
export const SCENARIO_TIMEOUT_MS = 120_000;

export const DESKTOP = { width: 1280, height: 800 } as const;
export const NARROW = { width: 375, height: 812 } as const;

export const SCREENSHOT_DIR = path.join(ROOT, 'test-artifacts', 'screenshots');

const MISSING_CHROMIUM = `chromium not installed — browser tests did not run (no ${CHROMIUM_PATH}; install it with \`apt-get install -y chromium\`)`;

/**
 * `describe` for suites that need Chromium. Without it the suite fails when `CI=true`, and is
 * skipped loudly everywhere else.
 */
export function describeBrowser(name: string, fn: () => void): void {
  if (existsSync(CHROMIUM_PATH)) {
    describe(name, fn);
    return;
  }
  if (process.env.CI === 'true') {
    describe(name, () => {
      test('chromium is installed', () => {
        throw new Error(`${MISSING_CHROMIUM}. CI=true, so this is a failure, not a skip.`);
      });
    });
    return;
  }
  const rule = '='.repeat(MISSING_CHROMIUM.length + 9);
  console.warn(`\n${rule}\nSKIPPED: ${MISSING_CHROMIUM}\n${rule}\n  suite: ${name}\n`);
  describe.skip(name, fn);
}

export function launchBrowser(extraArgs: readonly string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [...CHROMIUM_ARGS, ...extraArgs],
    timeout: NAVIGATION_TIMEOUT_MS,
  });
}

// ---------------------------------------------------------------------------------------------
// The example app, started the way a user starts it: built package, `node example-app/server.mjs`.

/** Variables that would switch the example to another mode if a developer's shell has them. */
const EXAMPLE_ENV = [
  'ORIGIN',
  'HOST',
  'PORT',
  'WORKOS_API_KEY',
  'WORKOS_CLIENT_ID',
  'MAGIC_LINK_PROVIDER',
  'MAGIC_LINK_SECRET',
  'MAGIC_LINK_TTL_MS',
  'SESSION_SECRET',
  'SMTP_URL',
  'MAIL_FROM',
  'REDIS_URL',
  'TRUST_PROXY',
  'PASSKEYS',
  'RECENT_SIGN_IN',
];

export interface ExampleApp {
  /** The origin the app says it is on, and the one the browser uses. */
  origin: string;
  port: number;
  /** What the process printed so far, for failure messages. */
  output(): string;
  /** The dev mailbox, newest first, read over loopback from the test process. */
  mailbox(): Promise<DevMailboxEntry[]>;
  /**
   * The newest email to `to` that is not `previous`, waiting for it to arrive if need be.
   * Pass the email a resend should replace, so the old one is not mistaken for the new.
   */
  waitForMail(to: string, previous?: DevMailboxEntry): Promise<DevMailboxEntry>;
  stop(): Promise<void>;
}

export type ExampleEnv = Record<string, string> | ((port: number) => Record<string, string>);

/**
 * Runs `node example-app/server.mjs` with `NODE_ENV=development` on a free port, and waits for its
 * "Example app on" line. `env` may depend on the port, e.g. for an `ORIGIN`.
 */
export async function startExampleApp(env: ExampleEnv = {}): Promise<ExampleApp> {
  // Built before the port is picked, so a long build cannot leave the port stale.
  await ensureBuilt();
  const port = await freePort();
  const childEnv: NodeJS.ProcessEnv = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !EXAMPLE_ENV.includes(name)),
  );
  // Passkeys off unless a suite turns them on: the email suites expect to land on returnTo, not
  // on the passkey offer.
  Object.assign(
    childEnv,
    { NODE_ENV: 'development', PASSKEYS: '0' },
    typeof env === 'function' ? env(port) : env,
  );
  const app = await startExampleProcess(childEnv, { port });

  async function mailbox(): Promise<DevMailboxEntry[]> {
    const res = await fetch(`${app.url}/dev/mailbox.json`, { signal: AbortSignal.timeout(15_000) });
    if (!res.ok) throw new Error(`GET /dev/mailbox.json answered ${res.status}`);
    return (await res.json()) as DevMailboxEntry[];
  }

  return {
    origin: app.origin,
    port,
    output: app.output,
    mailbox,
    async waitForMail(to, previous) {
      const deadline = Date.now() + MAIL_TIMEOUT_MS;
      for (;;) {
        const found = (await mailbox()).find((m) => m.to === to);
        if (
          found &&
          !(previous && found.sentAt === previous.sentAt && found.text === previous.text)
        )
          return found;
        if (Date.now() > deadline)
          throw new Error(
            `No new email to ${to} within ${MAIL_TIMEOUT_MS} ms. App output:\n${app.output()}`,
          );
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    stop: app.stop,
  };
}

// ---------------------------------------------------------------------------------------------
// One suite: an example app and a browser for all its scenarios, a fresh context for each.

export interface BrowserSuiteOptions {
  /** For {@link startExampleApp}. */
  env?: ExampleEnv;
  /** Extra Chromium flags, for {@link launchBrowser}. */
  browserArgs?: readonly string[];
}

export interface BrowserSuite {
  /** The running example app (from `beforeAll` on). */
  app(): ExampleApp;
  /**
   * A tracked page in a new context, closed after the test. `contextOptions` go to
   * `browser.newContext`, e.g. `{ locale: 'ar' }` (which also sets `Accept-Language`).
   */
  newPage(scenario: string, contextOptions?: BrowserContextOptions): Promise<TrackedPage>;
  /**
   * Opens `from` (the sign-in page unless given; any other page must send a signed-out user to
   * sign-in with it as `returnTo`), `check`s the sign-in page if asked, asks for a link for
   * `email`, waits for "Check your email", and returns the email.
   */
  requestLink(
    t: TrackedPage,
    email: string,
    options?: { from?: string; check?: boolean },
  ): Promise<DevMailboxEntry>;
}

const SIGN_IN_PATH = '/auth/magic-link';

/**
 * For the top of a `describeBrowser` block: starts the example app and Chromium in `beforeAll`,
 * closes each test's contexts in `afterEach`, and both in `afterAll`.
 */
export function useBrowserSuite({ env, browserArgs }: BrowserSuiteOptions = {}): BrowserSuite {
  let app: ExampleApp | undefined;
  let browser: Browser | undefined;
  const open: TrackedPage[] = [];

  beforeAll(async () => {
    [app, browser] = await Promise.all([startExampleApp(env), launchBrowser(browserArgs)]);
  }, SETUP_TIMEOUT_MS);

  afterEach(async () => {
    await Promise.all(open.splice(0).map((t) => t.context.close()));
  });

  afterAll(async () => {
    await Promise.all([browser?.close(), app?.stop()]);
  });

  function started(): { app: ExampleApp; browser: Browser } {
    if (app === undefined || browser === undefined)
      throw new Error('The example app and the browser have not started yet.');
    return { app, browser };
  }

  return {
    app: () => started().app,
    async newPage(scenario, contextOptions) {
      const tracked = await newTrackedPage(started().browser, scenario, contextOptions);
      open.push(tracked);
      return tracked;
    },
    async requestLink(t, email, { from = SIGN_IN_PATH, check = false } = {}) {
      const { page } = t;
      const example = started().app;
      const { origin } = example;
      await page.goto(`${origin}${from}`);
      if (from !== SIGN_IN_PATH)
        expect(page.url()).toBe(`${origin}${SIGN_IN_PATH}?returnTo=${encodeURIComponent(from)}`);
      if (check) await t.check('signin');
      await page.getByLabel('Email address').fill(email);
      await page.getByRole('button', { name: 'Email me a sign-in link' }).click();
      await page.waitForURL(`${origin}${SIGN_IN_PATH}/sent`);
      await expect(heading(page)).resolves.toBe('Check your email');
      return example.waitForMail(email);
    },
  };
}

/** The page's `h1` text. */
export function heading(page: Page): Promise<string | null> {
  return page.locator('h1').textContent();
}

/** A fresh address at example.com, so scenarios sharing one app never see each other's mail. */
export function newEmail(name: string): string {
  return `${name}-${randomBytes(4).toString('hex')}@example.com`;
}

export function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

// ---------------------------------------------------------------------------------------------
// A page that records what goes wrong on it, and checks what a user would notice.

export interface TrackedPage {
  page: Page;
  context: BrowserContext;
  /** Console errors, uncaught exceptions and CSP violations so far (see `trackPage`). */
  problems(): string[];
  /**
   * Screenshots the current page (desktop and 375 px) as `<scenario>-<name>[-375].png`, then
   * asserts: no problems, every visible input labelled, a visible focus ring after Tab, and no
   * horizontal scroll at 375 px.
   */
  check(name: string): Promise<void>;
}

/**
 * A new browser context (a fresh profile: no cookies) with one tracked page. Chromium's own
 * `Accept-Language` is `en-US`; pass `{ locale }` to browse in another language.
 */
export async function newTrackedPage(
  browser: Browser,
  scenario: string,
  contextOptions: BrowserContextOptions = {},
): Promise<TrackedPage> {
  const context = await browser.newContext({ viewport: DESKTOP, ...contextOptions });
  context.setDefaultNavigationTimeout(NAVIGATION_TIMEOUT_MS);
  context.setDefaultTimeout(ACTION_TIMEOUT_MS);
  // Init scripts run through DevTools, so the pages' CSP (no inline script) does not block this.
  await context.addInitScript(`addEventListener('securitypolicyviolation', (e) => {
    console.error('CSP violation: ' + e.violatedDirective + ' blocked ' + (e.blockedURI || 'inline'));
  });`);
  const page = await context.newPage();
  return trackPage(page, context, scenario);
}

export function trackPage(page: Page, context: BrowserContext, scenario: string): TrackedPage {
  const errors: { text: string; url: string }[] = [];
  /** Documents served with an error status on purpose (an expired link answers 400). */
  const errorDocuments = new Set<string>();
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push({ text: msg.text(), url: msg.location().url });
  });
  page.on('pageerror', (err) => errors.push({ text: `Uncaught: ${err.message}`, url: page.url() }));
  page.on('response', (res) => {
    if (
      res.status() >= 400 &&
      res.request().isNavigationRequest() &&
      res.frame() === page.mainFrame()
    )
      errorDocuments.add(res.url());
  });

  function problems(): string[] {
    return errors
      .filter(
        (e) =>
          !(
            /^Failed to load resource: the server responded with a status of \d+/.test(e.text) &&
            errorDocuments.has(e.url)
          ),
      )
      .map((e) => `${e.text} (${e.url})`);
  }

  async function check(name: string): Promise<void> {
    const file = `${scenario}-${name}`;
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    await page.waitForLoadState('load');

    const unlabelled = await page.evaluate<string[]>(UNLABELLED_INPUTS);
    await page.keyboard.press('Tab');
    const focus = await page.evaluate<FocusInfo>(FOCUSED_ELEMENT);
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${file}.png`), fullPage: true });

    await page.setViewportSize(NARROW);
    const scrollWidth = await page.evaluate<number>('document.documentElement.scrollWidth');
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${file}-375.png`), fullPage: true });
    await page.setViewportSize(DESKTOP);

    expect({ page: file, problems: problems() }).toEqual({ page: file, problems: [] });
    expect({ page: file, unlabelled }).toEqual({ page: file, unlabelled: [] });
    expect({ page: file, focus }).toMatchObject({ page: file, focus: { visible: true } });
    expect({ page: file, overflowAt375: Math.max(0, scrollWidth - NARROW.width) }).toEqual({
      page: file,
      overflowAt375: 0,
    });
  }

  return { page, context, problems, check };
}

interface FocusInfo {
  element: string | null;
  visible: boolean;
  style: string;
}

// The tsconfig has no DOM lib (the package is server-only), so in-page code is plain JavaScript.

/** Inputs a screen reader could not name: no `label[for]`, no wrapping label, no aria-label. */
const UNLABELLED_INPUTS = `(() => Array.from(document.querySelectorAll('input, select, textarea'))
  .filter((el) => el.type !== 'hidden')
  .filter((el) => {
    if ((el.getAttribute('aria-label') || '').trim()) return false;
    const byFor = el.id ? document.querySelector('label[for="' + CSS.escape(el.id) + '"]') : null;
    const label = byFor || el.closest('label');
    return !(label && label.textContent.trim());
  })
  .map((el) => el.outerHTML.replace(/\\s+/g, ' ').slice(0, 160)))()`;

const FOCUSED_ELEMENT = `(() => {
  const el = document.activeElement;
  if (!el || el === document.body || el === document.documentElement)
    return { element: null, visible: false, style: '' };
  const s = getComputedStyle(el);
  const outline = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0 &&
    s.outlineColor !== 'rgba(0, 0, 0, 0)' && s.outlineColor !== 'transparent';
  const shadow = s.boxShadow !== 'none' && s.boxShadow !== '';
  const name = (el.getAttribute('aria-label') || el.textContent || el.getAttribute('name') || '').trim();
  return {
    element: el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + ' "' + name.slice(0, 40) + '"',
    visible: outline || shadow,
    style: 'outline: ' + s.outlineStyle + ' ' + s.outlineWidth + ' ' + s.outlineColor + '; box-shadow: ' + s.boxShadow,
  };
})()`;

// ---------------------------------------------------------------------------------------------
// Steps every sign-in scenario takes.

/** Types `code` into the "check your email" page's field labelled `label`, and submits it. */
async function typeCode(page: Page, label: string, code: string): Promise<void> {
  await page.getByLabel(label).fill(code);
  await page.getByRole('button', { name: 'Sign in with code' }).click();
}

/** Submits a code that signs in, and waits for the page it lands on. */
export async function submitCode(
  page: Page,
  label: string,
  code: string,
  landsOn: string,
): Promise<void> {
  await typeCode(page, label, code);
  await page.waitForURL(landsOn);
}

/** Submits a code that must be refused: the form comes back with its alert. */
export async function expectCodeRefused(
  page: Page,
  label: string,
  code: string,
  origin: string,
): Promise<void> {
  await typeCode(page, label, code);
  await page.waitForURL(`${origin}/auth/magic-link/verify`);
  await expect(page.getByRole('alert').textContent()).resolves.toBe(
    'That code is not right, or it has expired.',
  );
}

/** Presses the account page's "Sign out" and waits for the home page. */
export async function signOut(page: Page, origin: string): Promise<void> {
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForURL(`${origin}/`);
}
