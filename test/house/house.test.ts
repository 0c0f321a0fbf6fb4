import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

// The house rules of CONTRIBUTING/DESIGN: no import circles in lib/, and no lib file over 400
// lines (locale tables excepted). Both are read from the source as it stands.

const LIB = resolve(__dirname, '../../lib');
const MAX_LINES = 400;

function libFiles(dir = LIB): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return libFiles(path);
    return /\.tsx?$/.test(name) ? [path] : [];
  });
}

/** The lib files a file imports (value and type imports and re-exports alike). */
function importsOf(file: string): string[] {
  const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
  const out: string[] = [];
  for (const { fileName } of info.importedFiles) {
    if (!fileName.startsWith('.')) continue;
    const base = resolve(dirname(file), fileName);
    const target = [`${base}.ts`, join(base, 'index.ts'), base].find(
      (p) => existsSync(p) && statSync(p).isFile(),
    );
    if (target) out.push(target);
  }
  return out;
}

/** Every elementary circle found by a depth-first walk, each as a list of lib-relative paths. */
export function findCircles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const circles: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string): void => {
    state.set(node, 'open');
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === 'open') circles.push([...stack.slice(stack.indexOf(next)), next]);
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(node, 'done');
  };
  for (const node of [...graph.keys()].sort()) if (!state.has(node)) visit(node);
  return circles;
}

describe('the import graph of lib/', () => {
  it('finds a circle when there is one (the check can fail)', () => {
    const graph = new Map([
      ['a', ['b']],
      ['b', ['c']],
      ['c', ['a']],
      ['d', ['a']],
    ]);
    expect(findCircles(graph)).toEqual([['a', 'b', 'c', 'a']]);
  });

  it('has no circles: a module two others need goes below both', () => {
    const graph = new Map(libFiles().map((f) => [f, importsOf(f)] as const));
    expect(graph.size).toBeGreaterThan(50);
    const circles = findCircles(graph).map((c) => c.map((f) => relative(LIB, f)).join(' -> '));
    expect(circles).toEqual([]);
  });
});

describe('the size of lib files', () => {
  it(`keeps every lib file at ${MAX_LINES} lines or fewer, locale tables excepted`, () => {
    const over = libFiles()
      .filter((f) => !relative(LIB, f).startsWith(join('i18n', 'locales')))
      .map((f) => ({
        file: relative(LIB, f),
        lines: readFileSync(f, 'utf8').trimEnd().split('\n').length,
      }))
      .filter(({ lines }) => lines > MAX_LINES);
    expect(over).toEqual([]);
  });
});
