import { exampleFactoryWith } from '../helpers/example-process';
import { ensureBuilt } from '../helpers/processes';

describe('the example app refuses a configuration it cannot run, naming the fix', () => {
  beforeAll(() => ensureBuilt(), 150_000);

  it('an unknown MAGIC_LINK_PROVIDER lists the ones there are', async () => {
    await expect(
      exampleFactoryWith({ MAGIC_LINK_PROVIDER: 'magic-auth', PORT: '0' }),
    ).resolves.toBe(
      'failed: MAGIC_LINK_PROVIDER=magic-auth is not a provider. Use one of: workos, workos-magic-auth, self-hosted.',
    );
  }, 70_000);

  it('an unknown SESSION lists the session kinds there are', async () => {
    await expect(exampleFactoryWith({ SESSION: 'cookie', PORT: '0' })).resolves.toBe(
      'failed: SESSION=cookie is not a session kind. Use one of: express-session, sealed.',
    );
  }, 70_000);

  it('MAGIC_LINK_PROVIDER=workos-magic-auth with no keys starts on the emulator', async () => {
    await expect(
      exampleFactoryWith({ MAGIC_LINK_PROVIDER: 'workos-magic-auth', PORT: '0' }),
    ).resolves.toBe('started');
  }, 70_000);
});
