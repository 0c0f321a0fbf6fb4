import { execFile } from 'node:child_process';
import { access } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { postgresAvailable } from '../helpers/postgres';
import { redisServerAvailable } from '../helpers/redis';

// `npm run bench` measures ten stacks: ours with express-session, sealedCookieSession in memory
// (also with telemetry wired and no SDK registered), on Redis and on Postgres, express-session
// with a hand guard in memory and on connect-redis, bare Express, and the passport-magic-link and
// passport-magic-login peers. bench/smoke.mjs signs in once
// through each of them, as the bench does before it measures, so a broken stack (a peer's new
// major version, a changed route of ours) fails here rather than in the next benchmark run.

const ROOT = resolve(__dirname, '../..');
/** A bound for a stuck child process, not a speed target: it takes about 5 s. */
const TIMEOUT_MS = 120_000;

const STACKS = [
  'magic-link',
  'sealed',
  'sealed-otel',
  'hand-guard',
  'bare',
  'passport-magic-link',
  'passport-magic-login',
];
const REDIS_STACKS = ['sealed-redis', 'hand-guard-redis'];
const POSTGRES_STACKS = ['sealed-postgres'];

function smoke(): Promise<{ code: number; report: Record<string, string>; output: string }> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [join(ROOT, 'bench', 'smoke.mjs')],
      { cwd: ROOT, timeout: TIMEOUT_MS, env: { ...process.env } },
      (err, stdout, stderr) => {
        const line = stdout.trim().split('\n').pop() ?? '';
        let report: Record<string, string> = {};
        try {
          report = JSON.parse(line) as Record<string, string>;
        } catch {
          // Left empty: the assertion below then shows the output.
        }
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        done({ code, report, output: `${stdout}\n${stderr}` });
      },
    );
  });
}

describe('the benchmark stacks (bench/smoke.mjs)', () => {
  it(
    'every stack signs in through its own routes, and its guarded route refuses a stranger',
    async () => {
      await access(join(ROOT, 'dist', 'index.mjs')).catch(() => {
        throw new Error('dist/ is missing. Run `npm run build` before this test.');
      });
      const { code, report, output } = await smoke();
      const withRedis = redisServerAvailable();
      const withPostgres = postgresAvailable();
      if (!withPostgres) {
        console.warn(
          'SKIPPED: the Postgres stack of bench/smoke.mjs, because postgresql is not installed.',
        );
      }
      if (!withRedis) {
        console.warn(
          'SKIPPED: the Redis stacks of bench/smoke.mjs, because redis-server is not installed.',
        );
      }
      const expected = Object.fromEntries([
        ...STACKS.map((s) => [s, 'ok']),
        ...REDIS_STACKS.map((s) => [
          s,
          withRedis ? 'ok' : 'skipped: redis-server is not installed',
        ]),
        ...POSTGRES_STACKS.map((s) => [
          s,
          withPostgres ? 'ok' : 'skipped: postgresql is not installed',
        ]),
      ]);
      expect({ report, output: Object.keys(report).length === 10 ? '' : output }).toEqual({
        report: expected,
        output: '',
      });
      expect(code).toBe((!withRedis || !withPostgres) && process.env['CI'] === 'true' ? 1 : 0);
    },
    TIMEOUT_MS,
  );
});
