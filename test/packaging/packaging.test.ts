import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { BIN, ROOT, STEP_TIMEOUT_MS, dep, install, pack, run, succeed } from './pack';
import type { Dependency, Ran } from './pack';

/**
 * The package as it will be installed: `npm pack` the built `dist/`, install the tarball into
 * throwaway CommonJS, ESM, TypeScript (nodenext) and Express 4 projects, and sign in through
 * each. publint and arethetypeswrong lint the same tarball. Run `npm run build` first.
 */

const FIXTURES = join(__dirname, 'fixtures');
/** Each test waits for a job that began in beforeAll; under heavy load the file has taken 4.5 min. */
const SUITE_TIMEOUT_MS = 600_000;

interface Project {
  fixture: string;
  dependencies: Dependency[];
  typecheck: boolean;
  entries: string[];
}

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
  await install(dir, tarball, project.dependencies, log);
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
    root = await mkdtemp(join(tmpdir(), 'express-magic-link-packaging-'));
    // Every sample project reaches the shared sign-in check as ../shared, here as in the repo.
    await cp(join(FIXTURES, 'shared'), join(root, 'shared'), { recursive: true });
    ({ tarball, files } = await pack(root));

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

  test('ships the build, LICENSE, CHANGELOG.md and docs/, and nothing from lib/ or test/', () => {
    expect(files).toEqual(
      expect.arrayContaining([
        'package.json',
        'LICENSE',
        'CHANGELOG.md',
        'README.md',
        'SECURITY.md',
        'docs/README.md',
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
    const shipped =
      /^(dist\/.+\.(js|mjs|d\.ts|d\.mts)|docs\/[^/]+\.md|(package\.json|README\.md|SECURITY\.md|LICENSE|CHANGELOG\.md))$/;
    // No source maps: they doubled the package with a copy of lib/ (see CHANGELOG.md).
    expect(files.filter((f) => !shipped.test(f))).toEqual([]);
  });

  test('LICENSE is the MIT licence that package.json names', async () => {
    const manifest = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as {
      license: string;
    };
    expect(manifest.license).toBe('MIT');
    const license = await readFile(join(ROOT, 'LICENSE'), 'utf8');
    expect(license).toMatch(
      /^MIT License\n\nCopyright \(c\) \d{4} express-magic-link contributors\n/,
    );
    expect(license).toContain('THE SOFTWARE IS PROVIDED "AS IS"');
  });

  test('every relative link in the shipped Markdown names a file the tarball ships', async () => {
    const shipped = new Set(files);
    const broken: string[] = [];
    for (const page of files.filter((f) => f.endsWith('.md'))) {
      const text = await readFile(join(ROOT, page), 'utf8');
      for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^([a-z]+:|#)/i.test(target!)) continue;
        const path = posix.normalize(posix.join(posix.dirname(page), target!.split('#')[0]!));
        if (!shipped.has(path)) broken.push(`${page}: ${target} (${path})`);
      }
    }
    expect(broken).toEqual([]);
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
