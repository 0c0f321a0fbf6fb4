import { WorkOS as WorkOS11 } from '@workos-inc/node';
import { WorkOS as WorkOS8 } from 'workos8';
import { selfHostedProvider, workosProvider } from '../../lib/index';
import type { WorkOSClientLike } from '../../lib/index';
import { providerConformanceCases, startWorkOSEmulator } from '../../lib/testing/index';
import type { WorkOSEmulator } from '../../lib/testing/index';

describe('selfHostedProvider() conformance', () => {
  for (const c of providerConformanceCases(() => selfHostedProvider())) it(c.name, c.run);
});

describe('selfHostedProvider({ codes: false }) conformance', () => {
  for (const c of providerConformanceCases(() => selfHostedProvider({ codes: false }))) {
    it(c.name, c.run);
  }
});

describe('workosProvider() conformance, through the real SDK and the emulator', () => {
  let emulator: WorkOSEmulator;
  beforeAll(async () => {
    emulator = await startWorkOSEmulator();
  });
  afterAll(() => emulator.close());

  /** What a click on an emulator link brings to the callback: the code in its redirect. */
  async function codeOf(link: string): Promise<string> {
    const res = await fetch(link, { redirect: 'manual' });
    await res.body?.cancel();
    const location = res.headers.get('location');
    if (res.status !== 302 || !location) throw new Error(`the link answered ${res.status}`);
    const code = new URL(location).searchParams.get('code');
    if (!code) throw new Error(`the link redirected without a code: ${location}`);
    return code;
  }

  const sdks: [string, () => WorkOSClientLike][] = [
    [
      '@workos-inc/node v11',
      () =>
        new WorkOS11(emulator.apiKey, {
          ...emulator.sdkOptions(),
          maxRetries: 0,
        }) as unknown as WorkOSClientLike,
    ],
    [
      '@workos-inc/node v8.13',
      () => new WorkOS8(emulator.apiKey, emulator.sdkOptions()) as unknown as WorkOSClientLike,
    ],
  ];

  for (const [sdk, client] of sdks) {
    describe(sdk, () => {
      const cases = providerConformanceCases(
        () => workosProvider({ workos: client(), clientId: emulator.clientId }),
        { codeOf },
      );
      for (const c of cases) it(c.name, c.run);

      it('the provider-sends case really sent one email through the emulator', async () => {
        const before = emulator.outbox.length;
        const provider = workosProvider({ workos: client(), clientId: emulator.clientId });
        const result = await provider.start('outbox-check@example.com', {
          state: 'state',
          redirectUri: 'https://app.example.com/auth/callback',
          binding: 'binding',
          providerSends: true,
        });
        expect(result.link).toBeNull();
        expect(emulator.outbox.length).toBe(before + 1);
        expect(emulator.outbox[emulator.outbox.length - 1]!.to).toBe('outbox-check@example.com');
      });
    });
  }
});
