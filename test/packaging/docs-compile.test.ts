import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, posix, relative } from 'node:path';
import { freePort } from '../helpers/processes';
import { BIN, ROOT, STEP_TIMEOUT_MS, dep, install, pack, run } from './pack';

/**
 * Docs that cannot rot: every ```ts, ```typescript, ```js and ```javascript block in README.md
 * and docs/*.md (and any other top-level page) is type-checked, each as its own ES module, by one
 * strict `module: nodenext` tsc program against the packed tarball installed in a throwaway
 * project. A fragment declares what it assumes (`declare const provider: Provider;`). README's
 * first block, the complete keyless app, is also started and signed in through.
 */

const SUITE_TIMEOUT_MS = 600_000;
const BROKEN_FIXTURE = join(__dirname, 'fixtures', 'docs', 'broken.md');
/** What the blocks import, at the versions in the repo's lockfile. */
const DEPENDENCIES = [
  'express',
  'express-session',
  'connect-redis',
  'redis',
  'ioredis',
  'helmet',
  '@workos-inc/node',
  '@types/express',
  '@types/express-session',
  '@types/node',
  '@types/jest',
  'pg',
  '@types/pg',
  'resend',
  'postmark',
  '@aws-sdk/client-sesv2',
  '@sendgrid/mail',
  '@sendgrid/client',
  '@opentelemetry/api',
  '@opentelemetry/sdk-trace-base',
  '@opentelemetry/sdk-metrics',
  '@opentelemetry/context-async-hooks',
].map((name) => dep(name));

const TSCONFIG = {
  compilerOptions: {
    module: 'nodenext',
    moduleResolution: 'nodenext',
    target: 'es2022',
    lib: ['es2022'],
    strict: true,
    noEmit: true,
    allowJs: true,
    checkJs: true,
    // Our own declarations are checked with skipLibCheck off by packaging.test.ts.
    skipLibCheck: true,
    types: ['node', 'jest'],
  },
  include: ['blocks'],
};

/** One fenced code block of a Markdown page. */
interface Block {
  /** The page, relative to the repo root. */
  page: string;
  /** 1-based line of the block's first code line in the page. */
  line: number;
  lang: 'ts' | 'js';
  code: string;
}

const FENCE = /^(\s*)```(\w*)[^`]*$/;
const LANGS: Record<string, Block['lang']> = {
  ts: 'ts',
  typescript: 'ts',
  js: 'js',
  javascript: 'js',
};

/** The ts/js blocks of a page, indentation (a block inside a list item) removed. */
function extractBlocks(page: string, text: string): Block[] {
  const blocks: Block[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i]!);
    if (!open) continue;
    const indent = open[1]!.length;
    const body: string[] = [];
    let j = i + 1;
    while (j < lines.length && !/^\s*```\s*$/.test(lines[j]!)) body.push(lines[j++]!.slice(indent));
    const lang = LANGS[open[2]!.toLowerCase()];
    if (lang) blocks.push({ page, line: i + 2, lang, code: body.join('\n') });
    i = j;
  }
  return blocks;
}

async function pages(): Promise<string[]> {
  const top = (await readdir(ROOT)).filter((f) => f.endsWith('.md'));
  const docs = (await readdir(join(ROOT, 'docs'))).filter((f) => f.endsWith('.md'));
  return [...top, ...docs.map((f) => `docs/${f}`)].sort();
}

/** A heading's anchor, as GitHub and npm make it. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-');
}

/** `docs/options.md` line 12, as a file name tsc reports. */
function fileOf(block: Block): string {
  const ext = block.lang === 'ts' ? 'ts' : 'js';
  return `blocks/${block.page.replace(/[^A-Za-z0-9]+/g, '_')}.L${block.line}.${ext}`;
}

interface Diagnostic {
  page: string;
  /** The line in the page. */
  line: number;
  message: string;
}

/** Maps `blocks/x.L12.ts(3,5): error TS…` back to the page's own line. */
function diagnosticsOf(output: string, byFile: Map<string, Block>): Diagnostic[] {
  const found: Diagnostic[] = [];
  for (const line of output.split('\n')) {
    const m = /^(blocks\/[^(]+)\((\d+),(\d+)\): (error .*)$/.exec(line.trim());
    if (!m) continue;
    const block = byFile.get(m[1]!);
    if (!block) continue;
    found.push({
      page: block.page,
      line: block.line + Number(m[2]) - 1,
      message: `${block.page}:${block.line + Number(m[2]) - 1}:${m[3]} ${m[4]}`,
    });
  }
  return found;
}

/** Cookies as a browser keeps them, for one site. */
class Jar {
  private readonly cookies = new Map<string, string>();
  take(res: Response): void {
    for (const header of res.headers.getSetCookie()) {
      const pair = header.split(';', 1)[0]!;
      const eq = pair.indexOf('=');
      const value = pair.slice(eq + 1);
      if (/max-age=0|expires=thu, 01 jan 1970/i.test(header))
        this.cookies.delete(pair.slice(0, eq));
      else this.cookies.set(pair.slice(0, eq), value);
    }
  }
  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}

function waitForOutput(child: ChildProcess, pattern: RegExp, log: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`The README app did not start:\n${log.join('')}`)),
      60_000,
    );
    const onData = (chunk: Buffer) => {
      log.push(chunk.toString());
      if (pattern.test(log.join(''))) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`The README app exited with ${code}:\n${log.join('')}`));
    });
  });
}

describe('the code blocks in README.md and docs/', () => {
  let root = '';
  const blocks: Block[] = [];
  const byFile = new Map<string, Block>();
  let diagnostics: Diagnostic[] = [];
  let tscOutput = '';

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'express-magic-link-docs-'));
    const { tarball } = await pack(root);
    const project = join(root, 'project');
    await mkdir(join(project, 'blocks'), { recursive: true });
    await writeFile(
      join(project, 'package.json'),
      JSON.stringify({ name: 'docs-blocks', private: true, type: 'module' }),
    );
    await writeFile(join(project, 'tsconfig.json'), JSON.stringify(TSCONFIG, null, 2));
    const log: string[] = [];
    await install(project, tarball, DEPENDENCIES, log);

    for (const page of await pages()) {
      blocks.push(...extractBlocks(page, await readFile(join(ROOT, page), 'utf8')));
    }
    const fixture = relative(ROOT, BROKEN_FIXTURE);
    const all = [...blocks, ...extractBlocks(fixture, await readFile(BROKEN_FIXTURE, 'utf8'))];
    for (const block of all) {
      const file = fileOf(block);
      byFile.set(file, block);
      // Each block is its own module: top-level await works and names never clash.
      await writeFile(join(project, file), `${block.code}\nexport {};\n`);
    }
    const ran = await run(
      join(BIN, 'tsc'),
      ['-p', '.', '--pretty', 'false'],
      project,
      STEP_TIMEOUT_MS,
    );
    tscOutput = ran.output;
    diagnostics = diagnosticsOf(ran.stdout, byFile);
    if (ran.code !== 0 && diagnostics.length === 0) throw new Error(`tsc failed:\n${ran.output}`);
  }, SUITE_TIMEOUT_MS);

  afterAll(async () => {
    if (root) await rm(root, { recursive: true, force: true });
  });

  test('README.md and every page in docs/ are found, with their code blocks', () => {
    const found = new Set(blocks.map((b) => b.page));
    expect(found).toContain('README.md');
    expect([...found].filter((p) => p.startsWith('docs/')).length).toBeGreaterThanOrEqual(8);
    expect(blocks.length).toBeGreaterThanOrEqual(25);
  });

  test('a block that does not compile fails the check, naming its page and line', () => {
    const fixture = relative(ROOT, BROKEN_FIXTURE);
    expect(diagnostics.filter((d) => d.page === fixture).map((d) => d.message)).toEqual([
      expect.stringMatching(/^test\/packaging\/fixtures\/docs\/broken\.md:8:\d+ error TS2322: /),
    ]);
  });

  test('every ts and js block compiles under strict nodenext against the packed package', () => {
    const fixture = relative(ROOT, BROKEN_FIXTURE);
    const errors = diagnostics.filter((d) => d.page !== fixture).map((d) => d.message);
    // Anything tsc reports that maps to no block (a broken tsconfig, a missing type package)
    // counts too: only the fixture's one error may be left.
    const unmapped = tscOutput
      .split('\n')
      .filter((line) => /error TS\d+/.test(line) && !line.includes('fixtures_docs_broken'));
    errors.push(...unmapped.filter((line) => !/^blocks\//.test(line.trim())));
    expect({ errors, tsc: errors.length ? tscOutput : '' }).toEqual({ errors: [], tsc: '' });
  });

  test('every link between the pages names a page and a heading that exist', async () => {
    const broken: string[] = [];
    const all = await pages();
    const headings = new Map<string, Set<string>>();
    for (const page of all) {
      const text = await readFile(join(ROOT, page), 'utf8');
      headings.set(page, new Set([...text.matchAll(/^#+ (.+)$/gm)].map((m) => slug(m[1]!))));
    }
    for (const page of all) {
      const text = await readFile(join(ROOT, page), 'utf8');
      for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z]+:/i.test(target!)) continue;
        const [path, anchor] = target!.split('#');
        const file = path ? posix.normalize(posix.join(posix.dirname(page), path)) : page;
        if (
          path &&
          !(await readFile(join(ROOT, file)).then(
            () => true,
            () => false,
          ))
        ) {
          broken.push(`${page}: ${target} (no ${file})`);
        } else if (anchor !== undefined && file.endsWith('.md')) {
          if (!headings.get(file)?.has(anchor)) broken.push(`${page}: ${target} (no heading)`);
        }
      }
    }
    expect(broken).toEqual([]);
  });

  test("README's keyless app runs as pasted and signs in through the dev mailbox", async () => {
    const readme = blocks.filter((b) => b.page === 'README.md');
    const app = readme[0]!;
    expect(app.code).toContain('devMailbox()');
    expect(app.code).toContain('selfHostedProvider()');
    expect(app.line).toBeLessThan(60);
    const file = join(root, 'project', 'app.mjs');
    await writeFile(file, app.code);
    const port = await freePort();
    const log: string[] = [];
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, PORT: String(port) };
    const child = spawn(process.execPath, [file], { cwd: join(root, 'project'), env });
    try {
      await waitForOutput(child, /http:\/\/localhost:\d+/, log);
      const base = `http://127.0.0.1:${port}`;
      const local = (url: string) =>
        url.startsWith('/') ? base + url : url.replace(`http://localhost:${port}`, base);
      const jar = new Jar();
      const get = async (url: string) => {
        const res = await fetch(local(url), {
          headers: { cookie: jar.header() },
          redirect: 'manual',
        });
        jar.take(res);
        return res;
      };

      const before = await get('/account');
      expect(before.status).toBe(303);
      expect(before.headers.get('location')).toBe('/auth/magic-link?returnTo=%2Faccount');

      const asked = await fetch(`${base}/auth/magic-link`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: jar.header() },
        body: new URLSearchParams({ email: 'ada@example.com', returnTo: '/account' }).toString(),
        redirect: 'manual',
      });
      jar.take(asked);
      expect(asked.status).toBe(303);

      // The email goes out just after the answer.
      let link: string | undefined;
      for (let i = 0; i < 200 && !link; i++) {
        const mail = (await (await get('/dev/mailbox.json')).json()) as { links: string[] }[];
        link = mail[0]?.links[0];
        if (!link) await new Promise((r) => setTimeout(r, 100));
      }
      expect(link).toMatch(new RegExp(`^http://localhost:${port}/auth/callback\\?`));

      const landed = await get(link!);
      expect(landed.status).toBe(303);
      expect(landed.headers.get('location')).toBe('/account');
      const account = await get('/account');
      expect(account.status).toBe(200);
      expect(await account.text()).toContain('ada@example.com');
    } finally {
      child.kill('SIGTERM');
    }
  }, 120_000);
});
