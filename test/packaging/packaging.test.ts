import { execFile } from 'node:child_process';
import { access, cp, mkdir, mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/**
 * The package as it will be installed: `npm pack` the built `dist/`, install the tarball into
 * throwaway CommonJS, ESM, TypeScript (nodenext) and Express 4 projects, and sign in through
 * each. publint and arethetypeswrong lint the same tarball. Run `npm run build` first.
 */

const ROOT = resolve(__dirname, '../..');
const FIXTURES = join(__dirname, 'fixtures');
const BIN = join(ROOT, 'node_modules', '.bin');
// Bounds for a stuck child process, not speed targets: on a busy 2-core machine, with every
// sample project installing and compiling at once, tsc and attw have needed more than 30 s.
const INSTALL_TIMEOUT_MS = 180_000;
const STEP_TIMEOUT_MS = 180_000;
const PING_TIMEOUT_MS = 30_000;
/** Each test waits for a job that began in beforeAll; under heavy load the file has taken 4.5 min. */
const SUITE_TIMEOUT_MS = 600_000;

interface Ran {
  code: number;
  /** The command line, stdout and stderr, for failure messages. */
  output: string;
  stdout: string;
}

/** A package a sample project installs, at the exact version in the repo's lockfile. */
interface Dependency {
  name: string;
  /** Its folder in the repo's node_modules (an alias such as `express4` for express@4). */
  repoDir: string;
}

interface Project {
  fixture: string;
  dependencies: Dependency[];
  typecheck: boolean;
  entries: string[];
}

const dep = (name: string, repoDir = name): Dependency => ({ name, repoDir });
const EXPRESS_SESSION = dep('express-session');

const PROJECTS: Project[] = [
  {
    fixture: 'commonjs',
    dependencies: [dep('express'), EXPRESS_SESSION],
    typecheck: false,
    entries: ['app.js'],
  },
  {
    fixture: 'esm',
    dependencies: [dep('express'), EXPRESS_SESSION],
    typecheck: false,
    entries: ['app.js'],
  },
  {
    fixture: 'typescript-nodenext',
    dependencies: [
      dep('express'),
      EXPRESS_SESSION,
      dep('@types/express'),
      dep('@types/express-session'),
      dep('@types/node'),
    ],
    typecheck: true,
    entries: ['app.mjs', 'app.cjs'],
  },
  {
    fixture: 'express4',
    dependencies: [dep('express', 'express4'), EXPRESS_SESSION],
    typecheck: false,
    entries: ['app.js'],
  },
];

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

function run(command: string, args: string[], cwd: string, timeoutMs: number): Promise<Ran> {
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

function succeed(ran: Ran): void {
  if (ran.code !== 0) throw new Error(`exited with ${ran.code}:\n${ran.output}`);
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
 * Installs the tarball as a user would. npm's cache usually holds everything (`--offline`, no
 * network); if not, the registry fills the gaps; with no registry at all, the repo's copies are
 * linked instead, so the test still runs offline.
 */
async function install(dir: string, tarball: string, project: Project, log: string[]) {
  const specs = await Promise.all(
    project.dependencies.map(async (d) => `${d.name}@${await versionInRepo(d)}`),
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
  console.warn(`${project.fixture}: no npm registry and no cached copy; linking from the repo.`);
  await rm(join(dir, 'node_modules'), { recursive: true, force: true });
  await linkFromRepo(dir, tarball, project.dependencies);
}

/** Copies the fixture, installs the tarball, compiles if needed, and runs each entry point. */
async function tryProject(root: string, tarball: string, project: Project): Promise<Ran> {
  const log: string[] = [];
  const step = async (command: string, args: string[], cwd: string) => {
    const ran = await run(command, args, cwd, STEP_TIMEOUT_MS);
    log.push(ran.output);
    if (ran.code !== 0) throw new Error(log.join('\n'));
  };
  const dir = join(root, project.fixture);
  await cp(join(FIXTURES, project.fixture), dir, { recursive: true });
  await install(dir, tarball, project, log);
  if (project.typecheck) await step(join(BIN, 'tsc'), ['-p', '.'], dir);
  for (const entry of project.entries) await step(process.execPath, [entry], dir);
  return { code: 0, output: log.join('\n'), stdout: '' };
}

function settle(work: Promise<Ran>): Promise<Ran> {
  return work.catch((err: unknown) => ({
    code: 1,
    output: err instanceof Error ? err.message : String(err),
    stdout: '',
  }));
}

describe('the packed package', () => {
  let root = '';
  let tarball = '';
  let files: string[] = [];
  const results = new Map<string, Promise<Ran>>();

  beforeAll(async () => {
    await access(join(ROOT, 'dist', 'index.mjs')).catch(() => {
      throw new Error('dist/ is missing. Run `npm run build` before the packaging tests.');
    });
    root = await mkdtemp(join(tmpdir(), 'express-magic-link-packaging-'));
    // Every sample project reaches the shared sign-in check as ../shared, here as in the repo.
    await cp(join(FIXTURES, 'shared'), join(root, 'shared'), { recursive: true });
    const packed = await run(
      'npm',
      ['pack', '--pack-destination', root, '--json'],
      ROOT,
      STEP_TIMEOUT_MS,
    );
    succeed(packed);
    const [info] = JSON.parse(packed.stdout) as { filename: string; files: { path: string }[] }[];
    tarball = join(root, info!.filename);
    files = info!.files.map((f) => f.path);

    // Everything runs at once; each test then waits for its own result.
    results.set('publint', run(join(BIN, 'publint'), [tarball, '--strict'], root, STEP_TIMEOUT_MS));
    results.set('attw', run(join(BIN, 'attw'), [tarball, '--no-color'], root, STEP_TIMEOUT_MS));
    for (const project of PROJECTS) {
      results.set(project.fixture, settle(tryProject(root, tarball, project)));
    }
  }, SUITE_TIMEOUT_MS);

  afterAll(async () => {
    await Promise.allSettled(results.values());
    if (root) await rm(root, { recursive: true, force: true });
  }, SUITE_TIMEOUT_MS);

  test('ships the build and nothing from lib/ or test/', () => {
    expect(files).toEqual(
      expect.arrayContaining([
        'package.json',
        'dist/index.js',
        'dist/index.mjs',
        'dist/index.d.ts',
        'dist/index.d.mts',
        'dist/testing/index.js',
        'dist/testing/index.mjs',
        'dist/testing/index.d.ts',
        'dist/testing/index.d.mts',
      ]),
    );
    expect(files.filter((f) => !/^(dist\/|package\.json$|README\.md$|LICENSE)/.test(f))).toEqual(
      [],
    );
  });

  test(
    'publint finds no problems',
    async () => {
      succeed(await results.get('publint')!);
    },
    SUITE_TIMEOUT_MS,
  );

  test(
    'arethetypeswrong finds no problems',
    async () => {
      succeed(await results.get('attw')!);
    },
    SUITE_TIMEOUT_MS,
  );

  describe.each(PROJECTS.map((p) => p.fixture))('installed in the %s sample project', (fixture) => {
    test(
      'signs in through magicLinkRouter and requireUser',
      async () => {
        succeed(await results.get(fixture)!);
      },
      SUITE_TIMEOUT_MS,
    );
  });
});
