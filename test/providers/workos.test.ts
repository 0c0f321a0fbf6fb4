import { WorkOS as WorkOS11 } from '@workos-inc/node';
import { WorkOS as WorkOS8 } from 'workos8';
import { MagicLinkError, workosProvider } from '../../lib/index';
import type { WorkOSClientLike } from '../../lib/index';
import { startWorkOSEmulator } from '../../lib/testing/workos-emulator';
import type { WorkOSEmulator } from '../../lib/testing/workos-emulator';

const REDIRECT = 'http://127.0.0.1:9/auth/callback';

const SDKS = [
  {
    sdk: 11,
    client: (key: string, e: WorkOSEmulator) =>
      new WorkOS11(key, { ...e.sdkOptions(), maxRetries: 0 }) as unknown as WorkOSClientLike,
  },
  {
    sdk: 8,
    client: (key: string, e: WorkOSEmulator) =>
      new WorkOS8(key, e.sdkOptions()) as unknown as WorkOSClientLike,
  },
];

describe.each(SDKS)('workosProvider against the emulator (SDK $sdk)', ({ client }) => {
  let emulator: WorkOSEmulator;
  beforeEach(async () => {
    emulator = await startWorkOSEmulator({ defaultRedirectUri: REDIRECT });
  });
  afterEach(() => emulator.close());

  async function codeFor(workos: WorkOSClientLike): Promise<string> {
    const provider = workosProvider({ workos, clientId: emulator.clientId });
    const started = await provider.start('alice@example.com', {
      state: 'state',
      redirectUri: REDIRECT,
      binding: 'b',
      providerSends: false,
    });
    const res = await fetch(started.link!, { redirect: 'manual' });
    return new URL(res.headers.get('location')!).searchParams.get('code')!;
  }

  it('asks WorkOS for a 900-second link, so the link, the state and the email agree', async () => {
    const real = client(emulator.apiKey, emulator);
    const seen: unknown[] = [];
    const spy: WorkOSClientLike = {
      ...real,
      passwordless: {
        createSession: (options) => {
          seen.push(options);
          return real.passwordless.createSession(options);
        },
        sendSession: (id) => real.passwordless.sendSession(id),
      },
      sso: real.sso,
    };
    const provider = workosProvider({ workos: spy, clientId: emulator.clientId });
    const started = await provider.start('alice@example.com', {
      state: 'state',
      redirectUri: REDIRECT,
      binding: 'b',
      providerSends: false,
    });
    expect(seen).toEqual([expect.objectContaining({ expiresIn: 900 })]);
    const lifetime = started.expiresAt.getTime() - Date.now();
    expect(lifetime).toBeGreaterThan(14 * 60 * 1000);
    expect(lifetime).toBeLessThanOrEqual(15 * 60 * 1000);
  });

  it('A4: maps invalid_grant to ERR_LINK_INVALID, and a wrong API key to ERR_PROVIDER_MISCONFIGURED', async () => {
    const good = workosProvider({
      workos: client(emulator.apiKey, emulator),
      clientId: emulator.clientId,
    });
    await expect(good.finish('01FORGEDFORGEDFORGEDFORGED')).rejects.toMatchObject({
      code: 'ERR_LINK_INVALID',
    });

    const code = await codeFor(client(emulator.apiKey, emulator));
    const wrongKey = workosProvider({
      workos: client('sk_test_wrong_key_0123456789', emulator),
      clientId: emulator.clientId,
    });
    const failure = await wrongKey.finish(code).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(MagicLinkError);
    expect(failure).toMatchObject({ code: 'ERR_PROVIDER_MISCONFIGURED', status: 503 });
    // A configuration fault spends nothing: the right client still finishes with the same code.
    await expect(good.finish(code)).resolves.toMatchObject({ email: 'alice@example.com' });
  });
});
