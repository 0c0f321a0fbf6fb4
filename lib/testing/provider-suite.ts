import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { signInOf } from '../providers/provider';
import type { Provider, ProviderContext, StartContext, StartResult } from '../providers/provider';
import { memoryStore } from '../stores/memory';
import {
  CLOCK_SLACK_MS,
  DAY_MS,
  DEFAULT_SECRET,
  GARBAGE_CODES,
  MINUTE_MS,
  checkProfile,
  newBinding,
  rejectsWith,
} from './provider-checks';
import type { ProviderConformanceCase, ProviderConformanceOptions } from './provider-checks';

export type { ProviderConformanceCase, ProviderConformanceOptions } from './provider-checks';

/**
 * The checks every {@link Provider} must pass: sane `name` and `linkTtlMs`; `start` returns a
 * future `expiresAt` and a link (or `null` when the provider emails it itself); `finish` refuses
 * garbage and forged codes with `ERR_LINK_INVALID` (a `MagicLinkError`, never a plain `Error`);
 * a link's code finishes exactly once, even under concurrency; identities are stable per address;
 * `revoke()` resolves; and, for providers with `verifyCode`, wrong codes and codes from another
 * browser are refused while the right one finishes once and spends the link too. It uses
 * `node:assert/strict` and no test framework, so it runs under jest, vitest or `node:test`.
 *
 * Each case calls `makeProvider` once, calls its `init` with a fresh context, and starts sign-ins
 * for addresses no other case uses, so the cases may share one backend and run in any order.
 *
 * @example
 * // jest or vitest
 * import { providerConformanceCases } from 'express-magic-link/testing';
 *
 * describe('my provider', () => {
 *   for (const c of providerConformanceCases(() => myProvider())) it(c.name, c.run);
 * });
 *
 * @example
 * // WorkOS against the emulator: the code comes from the redirect of the hosted link.
 * const cases = providerConformanceCases(
 *   () => workosProvider({ workos: new WorkOS(emulator.apiKey, { ...emulator.sdkOptions(), maxRetries: 0 }), clientId: emulator.clientId }),
 *   { codeOf: async (link) => new URL((await fetch(link, { redirect: 'manual' })).headers.get('location')!).searchParams.get('code')! },
 * );
 */
export function providerConformanceCases(
  makeProvider: (context: ProviderContext) => Provider | Promise<Provider>,
  options: ProviderConformanceOptions = {},
): ProviderConformanceCase[] {
  const redirectUri = options.redirectUri ?? 'https://app.example.com/auth/callback';
  const makeContext =
    options.context ??
    (() => ({ store: memoryStore({ warnInProduction: false }), secrets: [DEFAULT_SECRET] }));
  const codeOf =
    options.codeOf ??
    (async (link: string) => {
      const code = new URL(link).searchParams.get('code');
      assert.ok(
        code,
        `the link ${link} has no code parameter; pass options.codeOf to say how a click on it yields the callback's code`,
      );
      return code;
    });
  const cases: ProviderConformanceCase[] = [];

  interface Kit {
    provider: Provider;
    /** A fresh address, unique to this case. */
    address(label?: string): string;
    startContext(overrides?: Partial<StartContext>): StartContext;
    start(email: string, overrides?: Partial<StartContext>): Promise<StartResult>;
    /** Starts a sign-in whose link the app sends; the code a click on the link yields. */
    started(email: string, overrides?: Partial<StartContext>): Promise<string>;
  }

  function add(name: string, body: (kit: Kit) => Promise<void>) {
    cases.push({
      name,
      async run() {
        const context = makeContext();
        const provider = await makeProvider(context);
        provider.init?.(context);
        const id = randomUUID().slice(0, 8);
        const startContext = (overrides: Partial<StartContext> = {}): StartContext => ({
          state: randomBytes(96).toString('base64url'),
          redirectUri,
          binding: newBinding(),
          providerSends: false,
          ...overrides,
        });
        const start = (email: string, overrides?: Partial<StartContext>) =>
          provider.start(email, startContext(overrides));
        await body({
          provider,
          address: (label = 'user') => `conformance-${label}-${id}@example.com`,
          startContext,
          start,
          async started(email, overrides) {
            const result = await start(email, overrides);
            assert.ok(result.link, 'start must return a link when the app sends the email');
            return codeOf(result.link);
          },
        });
      },
    });
  }

  add('name is a non-empty string', async ({ provider }) => {
    assert.equal(typeof provider.name, 'string');
    assert.ok(provider.name.trim().length > 0, 'name must not be blank');
  });

  add(
    'linkTtlMs is a whole number of milliseconds, from a minute to a day',
    async ({ provider }) => {
      assert.ok(
        Number.isInteger(provider.linkTtlMs),
        `linkTtlMs ${provider.linkTtlMs} must be an integer`,
      );
      assert.ok(
        provider.linkTtlMs >= MINUTE_MS && provider.linkTtlMs <= DAY_MS,
        `linkTtlMs ${provider.linkTtlMs} must be between ${MINUTE_MS} and ${DAY_MS}`,
      );
    },
  );

  add('capabilities, when declared, are well formed', async ({ provider }) => {
    const capabilities = provider.capabilities;
    if (capabilities === undefined) return;
    assert.ok(capabilities !== null && typeof capabilities === 'object');
    if (capabilities.sendsOwnEmail !== undefined)
      assert.equal(typeof capabilities.sendsOwnEmail, 'boolean');
    if (capabilities.remote !== undefined)
      assert.equal(typeof capabilities.remote, 'boolean', 'capabilities.remote is a boolean');
    if (capabilities.codeTtlMs !== undefined) {
      assert.ok(
        Number.isInteger(capabilities.codeTtlMs) && capabilities.codeTtlMs > 0,
        `codeTtlMs ${capabilities.codeTtlMs} must be a positive integer`,
      );
    }
  });

  add(
    'start returns expiresAt in the future, at most linkTtlMs away, and a revoke function',
    async ({ provider, start, address }) => {
      const before = Date.now();
      const result = await start(address());
      const after = Date.now();
      assert.ok(result.expiresAt instanceof Date, 'expiresAt must be a Date');
      const at = result.expiresAt.getTime();
      assert.ok(Number.isFinite(at), 'expiresAt must be a valid date');
      assert.ok(at > after, `expiresAt ${result.expiresAt.toISOString()} must be in the future`);
      assert.ok(
        at <= before + provider.linkTtlMs + CLOCK_SLACK_MS,
        `expiresAt ${result.expiresAt.toISOString()} must be within linkTtlMs of now`,
      );
      assert.ok(result.code === null || typeof result.code === 'string', 'code is string or null');
      assert.equal(typeof result.revoke, 'function');
    },
  );

  add(
    'start returns an absolute http(s) link when the app sends the email',
    async ({ start, address }) => {
      const result = await start(address(), { providerSends: false });
      assert.equal(typeof result.link, 'string', 'link must be a string');
      const url = new URL(result.link!);
      assert.ok(url.protocol === 'https:' || url.protocol === 'http:', `link ${result.link}`);
    },
  );

  add(
    'start with providerSends returns link null (providers that send their own email)',
    async ({ provider, start, address }) => {
      if (provider.capabilities?.sendsOwnEmail !== true) return;
      const result = await start(address(), { providerSends: true });
      assert.equal(result.link, null, 'the link must not pass through the app');
      assert.ok(result.expiresAt.getTime() > Date.now());
    },
  );

  add('two starts give two different links', async ({ start, address }) => {
    const email = address();
    const a = await start(email);
    const b = await start(email);
    assert.notEqual(a.link, b.link);
  });

  add(
    'finish of garbage rejects with ERR_LINK_INVALID, never a plain Error',
    async ({ provider }) => {
      for (const code of GARBAGE_CODES) {
        await rejectsWith(provider.finish(code), ['ERR_LINK_INVALID'], `finish(${code})`);
      }
    },
  );

  add(
    'finish of a forged code rejects with ERR_LINK_INVALID and leaves the genuine one usable',
    async ({ provider, started, address }) => {
      const email = address();
      const code = await started(email);
      const last = code[code.length - 1];
      const forgeries = [
        `${code.slice(0, -1)}${last === 'A' ? 'B' : 'A'}`,
        code.slice(0, -1),
        `${code}A`,
        code.toLowerCase() === code ? code.toUpperCase() : code.toLowerCase(),
      ].filter((forged) => forged !== code);
      for (const forged of forgeries) {
        await rejectsWith(provider.finish(forged), ['ERR_LINK_INVALID'], `finish(forged)`);
      }
      checkProfile(await provider.finish(code), email);
    },
  );

  add(
    "a started link's code finishes once with the address's profile; the second time is refused",
    async ({ provider, started, address }) => {
      const email = address();
      const code = await started(email);
      checkProfile(await provider.finish(code), email);
      await rejectsWith(provider.finish(code), ['ERR_LINK_INVALID'], 'the second finish');
    },
  );

  add('10 concurrent finishes of one code: exactly one resolves', async (kit) => {
    const email = kit.address();
    const code = await kit.started(email);
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, () => kit.provider.finish(code)),
    );
    const won = results.filter((r) => r.status === 'fulfilled');
    assert.equal(won.length, 1, `${won.length} of 10 concurrent finishes resolved`);
    for (const r of results) {
      if (r.status === 'rejected') {
        await rejectsWith(Promise.reject(r.reason), ['ERR_LINK_INVALID'], 'a losing finish');
      }
    }
  });

  add(
    'codes of two links for one address finish independently',
    async ({ provider, started, address }) => {
      const email = address();
      const first = await started(email);
      const second = await started(email);
      assert.notEqual(first, second);
      checkProfile(await provider.finish(second), email);
      checkProfile(await provider.finish(first), email);
    },
  );

  add(
    'ids are stable per address, whatever its case, and differ between addresses',
    async ({ provider, started, address }) => {
      const email = address('id');
      const idOf = async (to: string) =>
        signInOf(await provider.finish(await started(to))).profile.id;
      const a = await idOf(email);
      const b = await idOf(email);
      const c = await idOf(email.replace(/^conformance/, 'Conformance'));
      const other = await idOf(address('other'));
      assert.equal(a, b, 'the same address must get the same id');
      assert.equal(a, c, 'an address in another case must get the same id');
      assert.notEqual(a, other, 'another address must get another id');
    },
  );

  add('revoke() resolves, and resolves again', async ({ start, address }) => {
    const result = await start(address());
    await result.revoke();
    await result.revoke();
  });

  // Codes typed by the user, for providers that have them.

  async function startedWithCode(kit: Kit, email: string, binding: string) {
    const state = randomBytes(96).toString('base64url');
    const result = await kit.start(email, { binding, state });
    assert.ok(
      typeof result.code === 'string' && result.code.length > 0,
      'a provider with verifyCode must return the one-time code from start',
    );
    return { result, state, code: result.code };
  }

  add(
    'verifyCode (if any): a wrong code rejects with ERR_CODE_INVALID or ERR_CODE_LOCKED',
    async (kit) => {
      const verifyCode = kit.provider.verifyCode?.bind(kit.provider);
      if (!verifyCode) return;
      const binding = newBinding();
      const { code } = await startedWithCode(kit, kit.address(), binding);
      const wrong = /^[0-9]+$/.test(code)
        ? String((Number(code) + 1) % 10 ** code.length).padStart(code.length, '0')
        : `${code}x`;
      for (const typed of [wrong, '', 'abcdef']) {
        await rejectsWith(
          verifyCode(binding, typed),
          ['ERR_CODE_INVALID', 'ERR_CODE_LOCKED'],
          `verifyCode(${JSON.stringify(typed)})`,
        );
      }
    },
  );

  add(
    'verifyCode (if any): a browser with no pending sign-in is refused with ERR_CODE_INVALID or ERR_CODE_LOCKED',
    async (kit) => {
      const verifyCode = kit.provider.verifyCode?.bind(kit.provider);
      if (!verifyCode) return;
      // Someone else's sign-in is pending; this binding never started one.
      await startedWithCode(kit, kit.address(), newBinding());
      const stranger = newBinding();
      for (const typed of ['000000', '123456', '']) {
        await rejectsWith(
          verifyCode(stranger, typed),
          ['ERR_CODE_INVALID', 'ERR_CODE_LOCKED'],
          `verifyCode(${JSON.stringify(typed)}) for a binding that started nothing`,
        );
      }
    },
  );

  add('verifyCode (if any): the right code from another browser is refused', async (kit) => {
    const verifyCode = kit.provider.verifyCode?.bind(kit.provider);
    if (!verifyCode) return;
    const binding = newBinding();
    const email = kit.address();
    const { code, state } = await startedWithCode(kit, email, binding);
    await rejectsWith(
      verifyCode(newBinding(), code),
      ['ERR_CODE_INVALID', 'ERR_CODE_LOCKED'],
      'verifyCode from another binding',
    );
    // The refusal spent nothing of the genuine sign-in.
    const verified = await verifyCode(binding, code);
    checkProfile(verified.profile, email);
    assert.equal(verified.state, state, 'verifyCode returns the state given to start');
  });

  add('verifyCode (if any): the right code finishes once, and spends the link too', async (kit) => {
    const verifyCode = kit.provider.verifyCode?.bind(kit.provider);
    if (!verifyCode) return;
    const binding = newBinding();
    const email = kit.address();
    const { result, code, state } = await startedWithCode(kit, email, binding);
    const verified = await verifyCode(binding, code);
    checkProfile(verified.profile, email);
    assert.equal(verified.state, state);
    await rejectsWith(
      verifyCode(binding, code),
      ['ERR_CODE_INVALID', 'ERR_CODE_LOCKED'],
      'a second verifyCode',
    );
    assert.ok(result.link, 'start must return a link when the app sends the email');
    await rejectsWith(
      kit.provider.finish(await codeOf(result.link)),
      ['ERR_LINK_INVALID'],
      "finish of the link's code after verifyCode",
    );
  });

  add('verifyCode (if any): a code whose link was finished is refused', async (kit) => {
    const verifyCode = kit.provider.verifyCode?.bind(kit.provider);
    if (!verifyCode) return;
    const binding = newBinding();
    const email = kit.address();
    const { result, code } = await startedWithCode(kit, email, binding);
    assert.ok(result.link);
    checkProfile(await kit.provider.finish(await codeOf(result.link)), email);
    await rejectsWith(
      verifyCode(binding, code),
      ['ERR_CODE_INVALID', 'ERR_CODE_LOCKED'],
      'verifyCode after the link was used',
    );
  });

  return cases;
}
