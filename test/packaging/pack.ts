import { execFile } from 'node:child_process';
import { access, mkdir, readFile, rm, symlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';

/**
 * What the packaging tests share: `npm pack` the built package, and install the tarball into a
 * throwaway project as a user would (npm's cache, else the registry, else the repo's copies).
 */

export const ROOT = resolve(__dirname, '../..');
export const BIN = join(ROOT, 'node_modules', '.bin');
// Bounds for a stuck child process, not speed targets: on a busy 2-core machine, with every
// sample project installing and compiling at once, tsc and attw have needed more than 30 s.
export const INSTALL_TIMEOUT_MS = 180_000;
export const STEP_TIMEOUT_MS = 180_000;
const PING_TIMEOUT_MS = 30_000;

export interface Ran {
  code: number;
  /** The command line, stdout and stderr, for failure messages. */
  output: string;
  stdout: string;
}

/** A package a sample project installs, at the exact version in the repo's lockfile. */
export interface Dependency {
  name: string;
  /** Its folder in the repo's node_modules (an alias such as `express4` for express@4). */
  repoDir: string;
}

export const dep = (name: string, repoDir = name): Dependency => ({ name, repoDir });

/** `npm test` exports its own prefix, package and lifecycle; a nested npm must not see them. */
const PARENT_NPM =
  /^(npm_package_|npm_lifecycle_|npm_command$|npm_config_(local_|global_)?prefix$)/;

function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { NO_COLOR: '1' };
  for (const [key, value] of Object.entries(process.env)) {
    if (!PARENT_NPM.test(key)) env[key] = value;
  }
  return env;
}

export function run(command: string, args: string[], cwd: string, timeoutMs: number): Promise<Ran> {
  return new Promise((done) => {
    execFile(
      command,
      args,
      { cwd, timeout: timeoutMs, env: childEnv(), maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const output = `$ ${command} ${args.join(' ')}\n${stdout}${stderr}`;
        if (!err) return done({ code: 0, output, stdout });
        const timedOut = err.killed ? `\n(timed out after ${timeoutMs} ms)` : '';
        const code = typeof err.code === 'number' ? err.code : 1;
        done({ code, output: output + timedOut, stdout });
      },
    );
  });
}

export function succeed(ran: Ran): void {
  if (ran.code !== 0) throw new Error(`exited with ${ran.code}:\n${ran.output}`);
}

/** What `npm pack --json` says about the tarball it wrote. */
export interface Packed {
  tarball: string;
  /** Paths inside the package, e.g. `dist/index.js`. */
  files: string[];
  /** Bytes, as npm reports them. */
  size: number;
  unpackedSize: number;
}

/** Packs the built package into `destination`. Run `npm run build` (or `npx tsup`) first. */
export async function pack(destination: string): Promise<Packed> {
  await access(join(ROOT, 'dist', 'index.mjs')).catch(() => {
    throw new Error('dist/ is missing. Run `npm run build` before the packaging tests.');
  });
  const packed = await run(
    'npm',
    ['pack', '--pack-destination', destination, '--json'],
    ROOT,
    STEP_TIMEOUT_MS,
  );
  succeed(packed);
  const [info] = JSON.parse(packed.stdout) as {
    filename: string;
    files: { path: string }[];
    size: number;
    unpackedSize: number;
  }[];
  return {
    tarball: join(destination, info!.filename),
    files: info!.files.map((f) => f.path),
    size: info!.size,
    unpackedSize: info!.unpackedSize,
  };
}

async function versionInRepo(dependency: Dependency): Promise<string> {
  const manifest = join(ROOT, 'node_modules', dependency.repoDir, 'package.json');
  return (JSON.parse(await readFile(manifest, 'utf8')) as { version: string }).version;
}

/** Without a registry: unpack the tarball, and link its dependencies from the repo. */
async function linkFromRepo(dir: string, tarball: string, dependencies: Dependency[]) {
  const installed = join(dir, 'node_modules', 'express-magic-link');
  await mkdir(installed, { recursive: true });
  succeed(
    await run('tar', ['-xzf', tarball, '-C', installed, '--strip-components=1'], dir, 10_000),
  );
  const manifest = JSON.parse(await readFile(join(installed, 'package.json'), 'utf8')) as {
    dependencies?: Record<string, string>;
  };
  const own = Object.keys(manifest.dependencies ?? {}).map((name) => dep(name));
  for (const d of [...own, ...dependencies]) {
    const target = join(dir, 'node_modules', d.name);
    await mkdir(resolve(target, '..'), { recursive: true });
    await symlink(join(ROOT, 'node_modules', d.repoDir), target, 'dir');
  }
}

let registryUp: Promise<boolean> | undefined;

function registryReachable(cwd: string): Promise<boolean> {
  registryUp ??= run('npm', ['ping'], cwd, PING_TIMEOUT_MS).then((ran) => ran.code === 0);
  return registryUp;
}

/**
 * Installs the tarball and `dependencies` into `dir` as a user would. npm's cache usually holds
 * everything (`--offline`, no network); if not, the registry fills the gaps; with no registry at
 * all, the repo's copies are linked instead, so the test still runs offline. `log` collects the
 * commands' output for failure messages.
 */
export async function install(
  dir: string,
  tarball: string,
  dependencies: Dependency[],
  log: string[],
): Promise<void> {
  const specs = await Promise.all(
    dependencies.map(async (d) => `${d.name}@${await versionInRepo(d)}`),
  );
  const args = ['install', tarball, ...specs, '--no-audit', '--no-fund', '--no-package-lock'];
  const cached = await run('npm', [...args, '--offline'], dir, INSTALL_TIMEOUT_MS);
  log.push(cached.output);
  if (cached.code === 0) return;
  if (await registryReachable(dir)) {
    const online = await run('npm', [...args, '--prefer-offline'], dir, INSTALL_TIMEOUT_MS);
    log.push(online.output);
    if (online.code !== 0) throw new Error(log.join('\n'));
    return;
  }
  console.warn(`${dir}: no npm registry and no cached copy; linking from the repo.`);
  await rm(join(dir, 'node_modules'), { recursive: true, force: true });
  await linkFromRepo(dir, tarball, dependencies);
}
