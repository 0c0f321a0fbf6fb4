import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

/** The repository root: example-app/ and dist/ live here. */
export const ROOT = join(__dirname, '..', '..');

const SERVER_SCRIPT = join(ROOT, 'example-app', 'server.mjs');
const BUILT_ENTRY = join(ROOT, 'dist', 'index.mjs');
const STARTUP_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 5_000;
const BUILD_TIMEOUT_MS = 120_000;
const READY_LINE = 'Example app on ';

/** One `node example-app/server.mjs` process. */
export interface ExampleProcess {
  port: number;
  /** `http://127.0.0.1:<port>`: where to send requests (not necessarily the app's ORIGIN). */
  url: string;
  child: ChildProcess;
  /** Everything the process printed so far, for failure messages. */
  output(): string;
  /** SIGTERM, then SIGKILL if it has not exited within a few seconds. */
  stop(): Promise<void>;
}

// A crashed or timed-out test must not leave example apps behind.
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/**
 * The example app imports the package by name, which resolves to dist/. Builds it with tsup when
 * it is missing (as on a fresh clone); `npm test` builds before jest anyway.
 */
export function ensureBuilt(): void {
  if (existsSync(BUILT_ENTRY)) return;
  const result = spawnSync('npx', ['tsup'], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: BUILD_TIMEOUT_MS,
  });
  if (result.status !== 0 || !existsSync(BUILT_ENTRY)) {
    throw new Error(
      `ensureBuilt: \`npx tsup\` failed (status ${String(result.status)}):\n${result.stdout}\n${result.stderr}`,
    );
  }
}

/** A TCP port that was free on 127.0.0.1 a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
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

/**
 * Spawns the example app on `port` with `env` on top of a clean environment (no WorkOS keys, so
 * nothing reaches the real WorkOS), and resolves once it logs that it is listening.
 *
 * @example
 * const a = await startExample(await freePort(), { MAGIC_LINK_PROVIDER: 'self-hosted', SMTP_URL });
 * await fetch(`${a.url}/`);
 * await a.stop();
 */
export async function startExample(
  port: number,
  env: Record<string, string>,
): Promise<ExampleProcess> {
  ensureBuilt();
  // Only what the test passes configures the app: no inherited WorkOS keys, Redis or SMTP.
  const base = Object.fromEntries(
    Object.entries(process.env).filter(
      ([key]) => !/^(WORKOS_|REDIS_URL$|SMTP_URL$|ORIGIN$|MAGIC_LINK_|SESSION_SECRET$)/.test(key),
    ),
  );
  const child = spawn(process.execPath, [SERVER_SCRIPT], {
    cwd: ROOT,
    env: { ...base, HOST: '127.0.0.1', ...env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  child.once('exit', () => running.delete(child));
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));

  async function stop(): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  }

  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      void stop();
      reject(new Error(`example app did not start within ${STARTUP_TIMEOUT_MS} ms:\n${output}`));
    }, STARTUP_TIMEOUT_MS);
    const onData = () => {
      if (!output.includes(READY_LINE)) return;
      cleanup();
      resolve();
    };
    const onExit = (code: number | null, signal: string | null) => {
      cleanup();
      reject(new Error(`example app exited (code ${String(code)}, ${String(signal)}):\n${output}`));
    };
    function cleanup(): void {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.off('exit', onExit);
    }
    child.stdout?.on('data', onData);
    child.once('exit', onExit);
  });

  return { port, url: `http://127.0.0.1:${port}`, child, output: () => output, stop };
}
