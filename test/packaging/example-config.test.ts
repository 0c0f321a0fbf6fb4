import { execFile } from 'node:child_process';
import path from 'node:path';
import { ensureBuilt } from '../helpers/processes';

const ROOT = path.resolve(__dirname, '../..');

/** Runs the example app's factory with `env` and reports how it failed, or that it started. */
function startWith(env: Record<string, string>): Promise<string> {
  const script = `
    const { createExampleApp } = await import('./example-app/app.mjs');
    try {
      const app = await createExampleApp(${JSON.stringify(env)});
      await app.close();
      console.log('started');
    } catch (err) {
      console.log('failed: ' + err.message);
    }`;
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--input-type=module', '-e', script],
      { cwd: ROOT, timeout: 60_000 },
      (err, stdout, stderr) =>
        err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout.trim()),
    );
  });
}

describe('the example app refuses a configuration it cannot run, naming the fix', () => {
  beforeAll(() => ensureBuilt(), 150_000);

  it('an unknown MAGIC_LINK_PROVIDER lists the ones there are', async () => {
    await expect(startWith({ MAGIC_LINK_PROVIDER: 'magic-auth', PORT: '0' })).resolves.toBe(
      'failed: MAGIC_LINK_PROVIDER=magic-auth is not a provider. Use one of: workos, workos-magic-auth, self-hosted.',
    );
  }, 70_000);

  it('an unknown SESSION lists the session kinds there are', async () => {
    await expect(startWith({ SESSION: 'cookie', PORT: '0' })).resolves.toBe(
      'failed: SESSION=cookie is not a session kind. Use one of: express-session, sealed.',
    );
  }, 70_000);

  it('MAGIC_LINK_PROVIDER=workos-magic-auth with no keys starts on the emulator', async () => {
    await expect(startWith({ MAGIC_LINK_PROVIDER: 'workos-magic-auth', PORT: '0' })).resolves.toBe(
      'started',
    );
  }, 70_000);
});
