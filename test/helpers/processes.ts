import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** The repository root: example-app/ and dist/ live here. */
export const ROOT = path.resolve(__dirname, '../..');

const SERVER_SCRIPT = path.join(ROOT, 'example-app', 'server.mjs');
export const BUILD_TIMEOUT_MS = 120_000;
/**
 * Bounds for a stuck process, not speed targets: on a busy 2-core machine, loading the example
 * app's modules alone has taken 14 s.
 */
export const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 10_000;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A TCP port that was free on 127.0.0.1 a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address !== null && typeof address === 'object') resolve(address.port);
        else reject(new Error('freePort: could not find a free port'));
      });
    });
  });
}

// ---------------------------------------------------------------------------------------------
// dist/: the example app imports the package by name, which resolves to the build.

const DIST_FILES = ['dist/index.mjs', 'dist/testing/index.mjs'].map((f) => path.join(ROOT, f));
const BUILD_LOCK = path.join(tmpdir(), `express-magic-link-build-${ROOT.replace(/\W/g, '_')}.lock`);

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

// ---------------------------------------------------------------------------------------------
// The example app, started the way a user starts it: built package, `node example-app/server.mjs`.

/** One `node example-app/server.mjs` process. */
export interface ExampleProcess {
  port: number;
  /** `http://127.0.0.1:<port>`: where to send requests (not necessarily the app's ORIGIN). */
  url: string;
  /** The origin the app says it is on (its "Example app on <origin>" line). */
  origin: string;
  child: ChildProcess;
  /** Everything the process printed so far, for failure messages. */
  output(): string;
  /** SIGTERM, then SIGKILL if it has not exited within a few seconds. */
  stop(): Promise<void>;
}

export interface StartExampleOptions {
  /** The port to listen on; `PORT` is set to it, over anything in `env`. */
  port: number;
}

// A crashed or timed-out test file must not leave example apps behind.
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/**
 * Builds dist/ if need be, runs `node example-app/server.mjs` with exactly `env` (plus `PORT`), and
 * resolves once it logs "Example app on <origin>". Each caller decides what of its own environment
 * the app inherits.
 *
 * @example
 * const app = await startExampleProcess({ ...cleanEnv, SMTP_URL }, { port: await freePort() });
 * await fetch(`${app.url}/`);
 * await app.stop();
 */
export async function startExampleProcess(
  env: NodeJS.ProcessEnv,
  { port }: StartExampleOptions,
): Promise<ExampleProcess> {
  await ensureBuilt();
  const child = spawn(process.execPath, [SERVER_SCRIPT], {
    cwd: ROOT,
    env: { ...env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  child.once('exit', () => running.delete(child));
  let output = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));

  const stop = (): Promise<void> => stopProcess(child);
  let origin: string;
  try {
    origin = await waitForListening(child, () => output);
  } catch (err) {
    await stop();
    throw err;
  }
  return { port, url: `http://127.0.0.1:${port}`, origin, child, output: () => output, stop };
}

function waitForListening(child: ChildProcess, output: () => string): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(
        new Error(
          `The example app did not log "Example app on" within ${START_TIMEOUT_MS} ms:\n${output()}`,
        ),
      );
    }, START_TIMEOUT_MS);
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
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}
