import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import type { Browser, BrowserContext, Page } from 'playwright-core';

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

/** Generous for a loaded 2-core machine, but every wait is bounded. */
export const NAVIGATION_TIMEOUT_MS = 15_000;
export const ACTION_TIMEOUT_MS = 10_000;
const APP_START_TIMEOUT_MS = 20_000;
const APP_STOP_TIMEOUT_MS = 5_000;
const BUILD_TIMEOUT_MS = 120_000;
const MAIL_TIMEOUT_MS = 10_000;

/** For `beforeAll`: a build (when `dist/` is missing), an app process and a browser. */
export const SETUP_TIMEOUT_MS = BUILD_TIMEOUT_MS + APP_START_TIMEOUT_MS + 30_000;
/** For one scenario: several navigations and a few emails. */
export const SCENARIO_TIMEOUT_MS = 45_000;

export const DESKTOP = { width: 1280, height: 800 } as const;
export const NARROW = { width: 375, height: 812 } as const;

export const ROOT = path.resolve(__dirname, '../..');
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

const DIST_FILES = ['dist/index.mjs', 'dist/testing/index.mjs'].map((f) => path.join(ROOT, f));
const BUILD_LOCK = path.join(tmpdir(), `express-magic-link-build-${ROOT.replace(/\W/g, '_')}.lock`);

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function isBuilt(): boolean {
  return DIST_FILES.every((f) => existsSync(f));
}

/**
 * `npm test` builds before jest; a bare `npx jest test/e2e` on a fresh clone has no dist/, so build
 * it once (one worker builds, the others wait). An existing dist/ is used as it is.
 */
export async function ensureBuilt(): Promise<void> {
  const deadline = Date.now() + BUILD_TIMEOUT_MS;
  while (!isBuilt()) {
    if (Date.now() > deadline) throw new Error('Timed out waiting for `npx tsup` to build dist/.');
    try {
      mkdirSync(BUILD_LOCK);
    } catch {
      // Another worker is building; a lock older than the build timeout is left from a crash.
      try {
        if (Date.now() - statSync(BUILD_LOCK).mtimeMs > BUILD_TIMEOUT_MS)
          rmSync(BUILD_LOCK, { recursive: true, force: true });
      } catch {
        // The lock went away between the two calls.
      }
      await sleep(250);
      continue;
    }
    try {
      if (isBuilt()) return;
      await new Promise<void>((resolve, reject) => {
        execFile(
          'npx',
          ['tsup'],
          { cwd: ROOT, timeout: BUILD_TIMEOUT_MS, maxBuffer: 10 * 1024 * 1024 },
          (err, stdout, stderr) =>
            err
              ? reject(
                  new Error(
                    `\`npx tsup\` failed, so the example app cannot start:\n${stdout}${stderr}`,
                    { cause: err },
                  ),
                )
              : resolve(),
        );
      });
      if (!isBuilt())
        throw new Error(`\`npx tsup\` ran but did not write ${DIST_FILES.join(', ')}.`);
    } finally {
      rmSync(BUILD_LOCK, { recursive: true, force: true });
    }
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

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
];

// A crashed or timed-out test file must not leave example apps behind.
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export interface MailboxEntry {
  to: string;
  subject: string;
  text: string;
  html: string;
  links: string[];
  code: string | null;
  sentAt: string;
}

export interface ExampleApp {
  /** The origin the app says it is on, and the one the browser uses. */
  origin: string;
  port: number;
  /** What the process printed so far, for failure messages. */
  output(): string;
  /** The dev mailbox, newest first, read over loopback from the test process. */
  mailbox(): Promise<MailboxEntry[]>;
  /**
   * The newest email to `to` that is not `previous`, waiting for it to arrive if need be.
   * Pass the email a resend should replace, so the old one is not mistaken for the new.
   */
  waitForMail(to: string, previous?: MailboxEntry): Promise<MailboxEntry>;
  stop(): Promise<void>;
}

/**
 * Runs `node example-app/server.mjs` with `NODE_ENV=development` on a free port, and waits for its
 * "Example app on" line. `env` may depend on the port, e.g. for an `ORIGIN`.
 */
export async function startExampleApp(
  env: Record<string, string> | ((port: number) => Record<string, string>) = {},
): Promise<ExampleApp> {
  await ensureBuilt();
  const port = await freePort();
  const childEnv: NodeJS.ProcessEnv = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !EXAMPLE_ENV.includes(name)),
  );
  Object.assign(
    childEnv,
    { NODE_ENV: 'development', PORT: String(port) },
    typeof env === 'function' ? env(port) : env,
  );

  const child = spawn(process.execPath, [path.join('example-app', 'server.mjs')], {
    cwd: ROOT,
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  child.once('exit', () => running.delete(child));
  let output = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));

  let origin: string;
  try {
    origin = await waitForListening(child, () => output);
  } catch (err) {
    await stopProcess(child);
    throw err;
  }
  const local = `http://127.0.0.1:${port}`;

  async function mailbox(): Promise<MailboxEntry[]> {
    const res = await fetch(`${local}/dev/mailbox.json`, { signal: AbortSignal.timeout(5_000) });
    if (!res.ok) throw new Error(`GET /dev/mailbox.json answered ${res.status}`);
    return (await res.json()) as MailboxEntry[];
  }

  return {
    origin,
    port,
    output: () => output,
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
            `No new email to ${to} within ${MAIL_TIMEOUT_MS} ms. App output:\n${output}`,
          );
        await sleep(100);
      }
    },
    stop: () => stopProcess(child),
  };
}

function waitForListening(child: ChildProcess, output: () => string): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(
        new Error(
          `The example app did not log "Example app on" within ${APP_START_TIMEOUT_MS} ms:\n${output()}`,
        ),
      );
    }, APP_START_TIMEOUT_MS);
    const onData = (): void => {
      const match = /Example app on (\S+)/.exec(output());
      if (match) {
        cleanup();
        resolve(match[1]!);
      }
    };
    const onExit = (code: number | null, signal: string | null): void => {
      cleanup();
      reject(
        new Error(`The example app exited (${signal ?? code}) before listening:\n${output()}`),
      );
    };
    function cleanup(): void {
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      child.off('exit', onExit);
    }
    child.stdout!.on('data', onData);
    child.on('exit', onExit);
    onData();
  });
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), APP_STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
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

/** A new browser context (a fresh profile: no cookies) with one tracked page. */
export async function newTrackedPage(browser: Browser, scenario: string): Promise<TrackedPage> {
  const context = await browser.newContext({ viewport: DESKTOP });
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
