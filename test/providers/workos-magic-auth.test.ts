import * as workos11 from '@workos-inc/node';
import * as workos8 from 'workos8';
import { createSealer } from '../../lib/flow/seal';
import { MagicLinkError, memoryStore, workosMagicAuthProvider } from '../../lib/index';
import type {
  MagicLinkErrorCode,
  Provider,
  StartContext,
  WorkOSMagicAuthClientLike,
} from '../../lib/index';
import type { MemoryStore } from '../../lib/stores/memory';
import { providerConformanceCases, startWorkOSEmulator } from '../../lib/testing/index';
import type { WorkOSEmulator, WorkOSEmulatorOptions } from '../../lib/testing/index';

const REDIRECT = 'https://app.example.com/auth/callback';
const SECRETS = ['magic-auth-provider-test-secret-0123456789abcdef'];
const TEN_MINUTES = 10 * 60 * 1000;
const AUTHENTICATE = '/user_management/authenticate';
const CREATE = '/user_management/magic_auth';

interface Sdk {
  name: string;
  major: 8 | 11;
  client(apiKey: string, emulator: WorkOSEmulator): WorkOSMagicAuthClientLike;
}

const SDKS: Sdk[] = [
  {
    name: '@workos-inc/node 11',
    major: 11,
    client: (apiKey, emulator) =>
      new workos11.WorkOS(apiKey, { ...emulator.sdkOptions(), maxRetries: 0 }),
  },
  {
    name: '@workos-inc/node 8.13 (workos8)',
    major: 8,
    client: (apiKey, emulator) => new workos8.WorkOS(apiKey, emulator.sdkOptions()),
  },
];

let seq = 0;
const address = (label = 'user') => `${label}-${process.pid}-${++seq}@example.com`;
const newBinding = () => `binding-${++seq}-${Math.random().toString(36).slice(2)}`;
const sealedOf = (link: string | null) => new URL(link!).searchParams.get('code')!;
const wrong = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0');

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
/** Another base64url spelling of the same bytes: a stray last character, or unused bits set. */
function otherSpelling(token: string): string {
  if (token.length % 4 === 0) return `${token}A`;
  const last = ALPHABET.indexOf(token[token.length - 1]!);
  return `${token.slice(0, -1)}${ALPHABET[last + 1]!}`;
}

async function refusal(
  promise: Promise<unknown>,
  code: MagicLinkErrorCode,
): Promise<MagicLinkError> {
  let caught: unknown;
  try {
    await promise;
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(MagicLinkError);
  expect((caught as MagicLinkError).code).toBe(code);
  return caught as MagicLinkError;
}

async function withEmulator(
  options: WorkOSEmulatorOptions,
  run: (emulator: WorkOSEmulator) => Promise<void>,
): Promise<void> {
  const emulator = await startWorkOSEmulator(options);
  try {
    await run(emulator);
  } finally {
    await emulator.close();
  }
}

describe('workosMagicAuthProvider() construction', () => {
  const client = {
    userManagement: {
      createMagicAuth: async () => ({ id: 'm', email: 'e', code: '000000', expiresAt: '' }),
      authenticateWithMagicAuth: async () => ({ user: { id: 'u', email: 'e' } }),
    },
  };

  it.each([
    ['no options', undefined],
    ['no client', { clientId: 'client_1' }],
    ['a Magic Link-only client', { workos: { passwordless: {}, sso: {} }, clientId: 'client_1' }],
    [
      'a client without authenticateWithMagicAuth',
      { workos: { userManagement: { createMagicAuth: () => null } }, clientId: 'client_1' },
    ],
  ])('throws a TypeError naming the fix for %s', (_label, options) => {
    expect(() => workosMagicAuthProvider(options as never)).toThrow(
      new TypeError(
        "workosMagicAuthProvider: workos must be a WorkOS client (@workos-inc/node 8.13 or later). Pass workos: new WorkOS(process.env.WORKOS_API_KEY, { clientId }) from '@workos-inc/node'.",
      ),
    );
  });

  it.each([undefined, '', 42])('throws a TypeError naming the fix for clientId %p', (clientId) => {
    expect(() => workosMagicAuthProvider({ workos: client, clientId } as never)).toThrow(
      /^workosMagicAuthProvider: clientId is required\. Pass clientId: process\.env\.WORKOS_CLIENT_ID/,
    );
  });

  it('declares its name, a 10-minute link and code, its own email, and a remote check', () => {
    const provider = workosMagicAuthProvider({ workos: client, clientId: 'client_1' });
    expect(provider.name).toBe('workos-magic-auth');
    expect(provider.linkTtlMs).toBe(TEN_MINUTES);
    expect(provider.capabilities).toEqual({
      sendsOwnEmail: true,
      codeTtlMs: TEN_MINUTES,
      remote: true,
    });
    expect(typeof provider.verifyCode).toBe('function');
    expect(provider.follow).toBeUndefined();
  });

  it('refuses to start before init, with a TypeError naming the fix', async () => {
    const provider = workosMagicAuthProvider({ workos: client, clientId: 'client_1' });
    await expect(
      provider.start('a@example.com', {
        state: 's',
        redirectUri: REDIRECT,
        binding: 'b',
        providerSends: false,
      }),
    ).rejects.toThrow(/not initialised\. Pass it to magicLinkRouter\(\{ provider \}\)/);
  });
});

describe.each(SDKS)('workosMagicAuthProvider with $name', ({ client, major }) => {
  let emulator: WorkOSEmulator;
  /** The emulator's clock; our own clock (seals, store) stays real. */
  let clock = Date.now();
  beforeAll(async () => {
    emulator = await startWorkOSEmulator({ now: () => clock });
  });
  afterAll(() => emulator.close());
  beforeEach(() => {
    clock = Date.now();
    emulator.reset();
  });

  interface Kit {
    provider: Provider;
    store: MemoryStore;
  }

  function make(
    options: { apiKey?: string; clientId?: string; on?: WorkOSEmulator; store?: MemoryStore } = {},
  ): Kit {
    const on = options.on ?? emulator;
    const store = options.store ?? memoryStore({ warnInProduction: false });
    const provider = workosMagicAuthProvider({
      workos: client(options.apiKey ?? on.apiKey, on),
      clientId: options.clientId ?? on.clientId,
    });
    provider.init!({ store, secrets: SECRETS });
    return { provider, store };
  }

  function context(overrides: Partial<StartContext> = {}): StartContext {
    return {
      state: `state-${++seq}`,
      redirectUri: REDIRECT,
      binding: newBinding(),
      providerSends: false,
      ...overrides,
    };
  }

  const authCalls = (on: WorkOSEmulator = emulator) =>
    on.requests.filter((r) => r.path === AUTHENTICATE).length;

  describe('our email (providerSends: false)', () => {
    it('start answers the code and a callback link carrying it sealed, with the state', async () => {
      const { provider } = make();
      const email = address();
      const ctx = context();
      const result = await provider.start(email, ctx);

      expect(result.code).toMatch(/^\d{6}$/);
      // The emulator also "emails" it (WorkOS emails are on): the same code.
      expect(emulator.magicAuthOutbox.at(-1)).toMatchObject({ to: email, code: result.code });
      const link = new URL(result.link!);
      expect(`${link.origin}${link.pathname}`).toBe(REDIRECT);
      expect([...link.searchParams.keys()].sort()).toEqual(['code', 'state']);
      expect(link.searchParams.get('state')).toBe(ctx.state);
      const sealed = sealedOf(result.link);
      expect(sealed).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(sealed).not.toContain(result.code);
      const bytes = Buffer.from(sealed, 'base64url').toString('latin1');
      expect(bytes).not.toContain(result.code);
      expect(bytes).not.toContain(email);
      const left = result.expiresAt.getTime() - Date.now();
      expect(left).toBeLessThanOrEqual(TEN_MINUTES);
      expect(left).toBeGreaterThan(TEN_MINUTES - 60_000);
    });

    it('passes the browser IP and user agent to WorkOS where the SDK sends them (Radar)', async () => {
      const { provider } = make();
      const client = { ip: '203.0.113.7', userAgent: 'Mozilla/5.0 (Radar test)' };
      const byCode = address();
      const ctx = context({ client });
      const result = await provider.start(byCode, ctx);
      // SDK 8.13 drops ipAddress and userAgent from createMagicAuth; 10.1 and later send them.
      const created = emulator.magicAuthOutbox.at(-1)!;
      expect({ ip: created.ipAddress, ua: created.userAgent }).toEqual(
        major === 8 ? { ip: null, ua: null } : { ip: client.ip, ua: client.userAgent },
      );
      await provider.verifyCode!(ctx.binding, result.code!, client);
      expect(emulator.findUser(byCode)!.lastSignIn).toMatchObject({
        ipAddress: client.ip,
        userAgent: client.userAgent,
      });

      const byLink = address();
      const linked = await provider.start(byLink, context({ client }));
      const other = { ip: '198.51.100.4', userAgent: null };
      await provider.finish(sealedOf(linked.link), other);
      expect(emulator.findUser(byLink)!.lastSignIn).toMatchObject({
        ipAddress: other.ip,
        userAgent: null,
      });
    });

    it("a 254-character address's sealed code fits the callback's 512-character limit, and signs in", async () => {
      const { provider } = make();
      const email = `${'a'.repeat(64)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(57)}.com`;
      expect(email).toHaveLength(254);
      const result = await provider.start(email, context());
      const sealed = sealedOf(result.link);
      expect(sealed.length).toBeLessThanOrEqual(512);
      await expect(provider.finish(sealed)).resolves.toMatchObject({ profile: { email } });
    });

    it('stores what verifyCode needs under the binding, never the code in clear', async () => {
      const { provider, store } = make();
      const set = jest.spyOn(store, 'set');
      const ctx = context();
      const result = await provider.start(address(), ctx);
      expect(set).toHaveBeenCalled();
      for (const [key, value, ttl] of set.mock.calls) {
        expect(key).not.toContain(result.code!);
        expect(value).not.toContain(result.code!);
        expect(ttl).toBeLessThanOrEqual(TEN_MINUTES);
        expect(ttl).toBeGreaterThan(TEN_MINUTES - 60_000);
      }
      expect(set.mock.calls.map(([key]) => key)).toContain(`b:${ctx.binding}`);
    });

    it('verifyCode with the emailed code returns the profile and the state, and spends the link locally', async () => {
      const { provider } = make();
      const email = address();
      const ctx = context();
      const result = await provider.start(email, ctx);
      const verified = await provider.verifyCode!(ctx.binding, result.code!);
      const user = emulator.findUser(email)!;
      expect(verified).toEqual({
        state: ctx.state,
        profile: {
          id: user.id,
          idpId: user.id,
          organizationId: null,
          connectionId: 'conn_magic_auth',
          connectionType: 'MagicAuth',
          email,
          firstName: null,
          lastName: null,
          rawAttributes: {},
        },
        tokens: { accessToken: expect.stringMatching(/^ey/), refreshToken: expect.any(String) },
      });
      const calls = authCalls();
      await refusal(provider.finish(sealedOf(result.link)), 'ERR_LINK_INVALID');
      await refusal(provider.verifyCode!(ctx.binding, result.code!), 'ERR_CODE_INVALID');
      expect(authCalls()).toBe(calls);
    });

    it('finish(sealed) signs in once; a replay, and the code typed afterwards, are refused without calling WorkOS', async () => {
      const { provider } = make();
      const email = address();
      const ctx = context();
      const result = await provider.start(email, ctx);
      const signedIn = await provider.finish(sealedOf(result.link));
      expect(signedIn).toMatchObject({ profile: { id: emulator.findUser(email)!.id, email } });
      expect(authCalls()).toBe(1);
      await refusal(provider.finish(sealedOf(result.link)), 'ERR_LINK_INVALID');
      await refusal(provider.verifyCode!(ctx.binding, result.code!), 'ERR_CODE_INVALID');
      expect(authCalls()).toBe(1);
    });

    it('10 concurrent finishes of one link: one signs in, one WorkOS call', async () => {
      const { provider } = make();
      const result = await provider.start(address(), context());
      const sealed = sealedOf(result.link);
      const results = await Promise.allSettled(
        Array.from({ length: 10 }, () => provider.finish(sealed)),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      for (const r of results) {
        if (r.status === 'rejected') {
          expect(r.reason).toMatchObject({ name: 'MagicLinkError', code: 'ERR_LINK_INVALID' });
        }
      }
      expect(authCalls()).toBe(1);
    });

    it('a link whose code was spent elsewhere at WorkOS is ERR_LINK_EXPIRED (one_time_code_previously_used)', async () => {
      const { provider } = make();
      const email = address();
      const ctx = context();
      const result = await provider.start(email, ctx);
      await client(emulator.apiKey, emulator).userManagement.authenticateWithMagicAuth({
        clientId: emulator.clientId,
        code: result.code!,
        email,
      });
      const err = await refusal(provider.finish(sealedOf(result.link)), 'ERR_LINK_EXPIRED');
      expect(err.message).toContain('one_time_code_previously_used');
      // The typed code meets the same answer, and then nothing is left to check.
      await refusal(provider.verifyCode!(ctx.binding, result.code!), 'ERR_LINK_EXPIRED');
      const calls = authCalls();
      await refusal(provider.verifyCode!(ctx.binding, result.code!), 'ERR_CODE_INVALID');
      expect(authCalls()).toBe(calls);
    });

    it('a second request for the address while its code lives reuses that code (G04): WorkOS is asked once, and the older link still works', async () => {
      const { provider } = make();
      const email = address();
      const first = await provider.start(email, context());
      const secondCtx = context();
      const second = await provider.start(email, secondCtx);
      expect(second.code).toBe(first.code);
      expect(emulator.requests.filter((r) => r.path === CREATE)).toHaveLength(1);
      await expect(provider.finish(sealedOf(first.link))).resolves.toMatchObject({
        profile: { email },
      });
      // That code is now used: the second browser's copy of it is dead, and the next request
      // asks WorkOS for a new one.
      await refusal(provider.verifyCode!(secondCtx.binding, second.code!), 'ERR_LINK_EXPIRED');
      const third = await provider.start(email, context());
      expect(emulator.requests.filter((r) => r.path === CREATE)).toHaveLength(2);
      expect(third.code).not.toBeNull();
    });
  });

  describe('WorkOS email (providerSends: true)', () => {
    it('start answers no link and no code; the code WorkOS emailed verifies in the browser that asked', async () => {
      const { provider } = make();
      const email = address();
      const ctx = context({ providerSends: true });
      const result = await provider.start(email, ctx);
      expect(result).toMatchObject({ link: null, code: null });
      expect(result.expiresAt.getTime()).toBeGreaterThan(Date.now());
      expect(emulator.magicAuthOutbox).toHaveLength(1);
      const mail = emulator.magicAuthOutbox[0]!;
      expect(mail.to).toBe(email);
      await refusal(provider.verifyCode!(newBinding(), mail.code), 'ERR_CODE_INVALID');
      const verified = await provider.verifyCode!(ctx.binding, mail.code);
      expect(verified.state).toBe(ctx.state);
      expect(verified.profile).toMatchObject({ id: mail.userId, email });
    });

    it('a browser with no pending code is refused with ERR_CODE_INVALID, calling nobody, and locks after 5 like one with a code', async () => {
      const { provider, store } = make();
      await provider.start(address(), context({ providerSends: true }));
      const writes = [
        jest.spyOn(store, 'set'),
        jest.spyOn(store, 'take'),
        jest.spyOn(store, 'delete'),
      ];
      const calls = authCalls();
      const binding = newBinding();
      for (let i = 0; i < 5; i += 1)
        await refusal(provider.verifyCode!(binding, '123456'), 'ERR_CODE_INVALID');
      await refusal(provider.verifyCode!(binding, '123456'), 'ERR_CODE_LOCKED');
      // Only the browser's attempt counter is written.
      for (const write of writes) expect(write).not.toHaveBeenCalled();
      expect(authCalls()).toBe(calls);
    });
  });

  describe('typed codes', () => {
    it('5 wrong codes are refused locally as ERR_CODE_INVALID, never reaching WorkOS; then ERR_CODE_LOCKED, even for the right code', async () => {
      const { provider } = make();
      const ctx = context();
      const { code, link } = await provider.start(address(), ctx);
      for (let i = 0; i < 5; i += 1) {
        const err = await refusal(
          provider.verifyCode!(ctx.binding, wrong(code!)),
          'ERR_CODE_INVALID',
        );
        expect(err.message).toBe('Wrong code');
      }
      expect(authCalls()).toBe(0);
      const locked = await refusal(provider.verifyCode!(ctx.binding, code!), 'ERR_CODE_LOCKED');
      expect(locked.retryAfter).toBeGreaterThanOrEqual(1);
      expect(locked.retryAfter).toBeLessThanOrEqual(600);
      expect(authCalls()).toBe(0);
      // WorkOS saw none of the guesses, so it did not lock the code: the link in our email works.
      await expect(provider.finish(sealedOf(link))).resolves.toMatchObject({
        profile: { id: expect.any(String) },
      });
    });

    it('the right code after 4 wrong ones signs in', async () => {
      const { provider } = make();
      const ctx = context();
      const { code } = await provider.start(address(), ctx);
      for (let i = 0; i < 4; i += 1) {
        await refusal(provider.verifyCode!(ctx.binding, wrong(code!)), 'ERR_CODE_INVALID');
      }
      await expect(provider.verifyCode!(ctx.binding, code!)).resolves.toMatchObject({
        state: ctx.state,
      });
    });

    it('malformed codes count as attempts but never reach WorkOS', async () => {
      const { provider } = make();
      const ctx = context();
      const { code } = await provider.start(address(), ctx);
      for (const typed of ['', 'abcdef', '12345', '1234567', '12 456']) {
        await refusal(provider.verifyCode!(ctx.binding, typed), 'ERR_CODE_INVALID');
      }
      expect(authCalls()).toBe(0);
      await refusal(provider.verifyCode!(ctx.binding, code!), 'ERR_CODE_LOCKED');
    });

    it('10 parallel wrong guesses: increment-then-compare lets exactly 5 be compared, none at WorkOS', async () => {
      const { provider } = make();
      const ctx = context();
      const { code } = await provider.start(address(), ctx);
      const results = await Promise.allSettled(
        Array.from({ length: 10 }, () => provider.verifyCode!(ctx.binding, wrong(code!))),
      );
      const codes = results.map((r) =>
        r.status === 'rejected' ? (r.reason as MagicLinkError).code : 'ok',
      );
      expect(codes.filter((c) => c === 'ERR_CODE_INVALID')).toHaveLength(5);
      expect(codes.filter((c) => c === 'ERR_CODE_LOCKED')).toHaveLength(5);
      expect(authCalls()).toBe(0);
    });

    it("a new code for the same browser shares the browser's 5 attempts; a sign-in resets them", async () => {
      const { provider } = make();
      const binding = newBinding();
      const first = await provider.start(address(), context({ binding }));
      for (let i = 0; i < 5; i += 1)
        await refusal(provider.verifyCode!(binding, wrong(first.code!)), 'ERR_CODE_INVALID');
      await refusal(provider.verifyCode!(binding, first.code!), 'ERR_CODE_LOCKED');
      // Fresh attempts for a new code would tell an address that got one from one that did not.
      const second = await provider.start(address(), context({ binding }));
      await refusal(provider.verifyCode!(binding, second.code!), 'ERR_CODE_LOCKED');

      const other = newBinding();
      const third = await provider.start(address(), context({ binding: other }));
      for (let i = 0; i < 4; i += 1)
        await refusal(provider.verifyCode!(other, wrong(third.code!)), 'ERR_CODE_INVALID');
      await provider.verifyCode!(other, third.code!);
      const ctx = context({ binding: other });
      const fourth = await provider.start(address(), ctx);
      for (let i = 0; i < 4; i += 1)
        await refusal(provider.verifyCode!(other, wrong(fourth.code!)), 'ERR_CODE_INVALID');
      await expect(provider.verifyCode!(other, fourth.code!)).resolves.toMatchObject({
        state: ctx.state,
      });
    });
  });

  describe('revoke', () => {
    it('withdraws the link and the code locally, and resolves twice', async () => {
      const { provider } = make();
      const ctx = context();
      const result = await provider.start(address(), ctx);
      await result.revoke();
      await result.revoke();
      await refusal(provider.finish(sealedOf(result.link)), 'ERR_LINK_INVALID');
      await refusal(provider.verifyCode!(ctx.binding, result.code!), 'ERR_CODE_INVALID');
      expect(authCalls()).toBe(0);
    });

    it("an older sign-in's revoke leaves the browser's newer one alone", async () => {
      const { provider } = make();
      const binding = newBinding();
      const older = await provider.start(address(), context({ binding }));
      const ctx = context({ binding });
      const newer = await provider.start(address(), ctx);
      await older.revoke();
      await expect(provider.verifyCode!(binding, newer.code!)).resolves.toMatchObject({
        state: ctx.state,
      });
    });
  });

  describe('links that are not ours', () => {
    it('another base64url spelling of a genuine sealed code is refused; the genuine one still works', async () => {
      const { provider } = make();
      const email = address();
      const result = await provider.start(email, context());
      const sealed = sealedOf(result.link);
      const other = otherSpelling(sealed);
      expect(other).not.toBe(sealed);
      expect(Buffer.from(other, 'base64url').equals(Buffer.from(sealed, 'base64url'))).toBe(true);
      await refusal(provider.finish(other), 'ERR_LINK_INVALID');
      expect(authCalls()).toBe(0);
      await expect(provider.finish(sealed)).resolves.toMatchObject({ profile: { email } });
    });

    it('a seal of another purpose or secret, of another shape, or naming no pending link is refused without calling WorkOS', async () => {
      const { provider } = make();
      const { code } = await provider.start(address(), context());
      const ours = createSealer(SECRETS, 'workos-magic-auth:link');
      const forged = [
        createSealer(SECRETS, 'state').seal({ c: code, e: 'x@example.com', n: 'n' }, 60_000),
        createSealer(['another-secret-0123456789abcdef0123456789'], 'workos-magic-auth:link').seal(
          { c: code, e: 'x@example.com', n: 'n' },
          60_000,
        ),
        ours.seal({ c: code, e: 'x@example.com' }, 60_000),
        ours.seal('just a string', 60_000),
        ours.seal({ c: code, e: 'x@example.com', n: 'never-issued' }, 60_000),
      ];
      for (const token of forged) await refusal(provider.finish(token), 'ERR_LINK_INVALID');
      expect(authCalls()).toBe(0);
    });
  });

  describe('expiry', () => {
    it('a code past its lifetime at WorkOS: ERR_LINK_EXPIRED from finish and from verifyCode', async () => {
      const { provider } = make();
      const one = await provider.start(address(), context());
      const ctx = context();
      const two = await provider.start(address(), ctx);
      clock += TEN_MINUTES;
      const err = await refusal(provider.finish(sealedOf(one.link)), 'ERR_LINK_EXPIRED');
      expect(err.message).toContain('one_time_code_expired');
      await refusal(provider.verifyCode!(ctx.binding, two.code!), 'ERR_LINK_EXPIRED');
    });

    it('follows WorkOS’s shorter code lifetime; a seal past it is refused before WorkOS is called', async () => {
      await withEmulator({ magicAuthCodeTtlMs: 60_000 }, async (short) => {
        const { provider } = make({ on: short });
        const email = address();
        const ctx = context();
        const result = await provider.start(email, ctx);
        expect(result.expiresAt.getTime() - Date.now()).toBeLessThanOrEqual(60_000);
        // Our clock (and only ours) moves past the seal's expiry, for the finish call.
        const realNow = Date.now;
        const later = realNow() + 60_001;
        const now = jest.spyOn(Date, 'now').mockImplementation(() => later);
        try {
          await refusal(provider.finish(sealedOf(result.link)), 'ERR_LINK_INVALID');
        } finally {
          now.mockRestore();
        }
        expect(authCalls(short)).toBe(0);
        // The refusal spent nothing: the code still signs in.
        await expect(provider.verifyCode!(ctx.binding, result.code!)).resolves.toMatchObject({
          profile: { email },
        });
      });
    });
  });

  describe('WorkOS refusals and failures', () => {
    it.each(['organization_selection_required', 'mfa_challenge'] as const)(
      '403 step-up %s → ERR_SIGN_IN_REFUSED from verifyCode and finish',
      async (kind) => {
        const { provider } = make();
        const ctx = context();
        const one = await provider.start(address(), ctx);
        const two = await provider.start(address(), context());
        emulator.requireStepUp(kind);
        const err = await refusal(
          provider.verifyCode!(ctx.binding, one.code!),
          'ERR_SIGN_IN_REFUSED',
        );
        expect(err.message).toBe(
          `WorkOS asks for a further step (${kind}) that a Magic Auth sign-in cannot finish here`,
        );
        expect((err.cause as { status?: unknown }).status).toBe(403);
        await refusal(provider.finish(sealedOf(two.link)), 'ERR_SIGN_IN_REFUSED');
        // The code is spent at WorkOS, so nothing is left for this browser.
        const calls = authCalls();
        await refusal(provider.verifyCode!(ctx.binding, one.code!), 'ERR_CODE_INVALID');
        expect(authCalls()).toBe(calls);
      },
    );

    it.each([429, 500, 503])(
      'HTTP %i → ERR_PROVIDER_UNAVAILABLE from start, finish and verifyCode, spending nothing',
      async (status) => {
        const { provider } = make();
        emulator.failNext(1, status);
        const failed = await refusal(
          provider.start(address(), context()),
          'ERR_PROVIDER_UNAVAILABLE',
        );
        expect(failed.message).toBe(`WorkOS request failed with HTTP ${status}`);

        const email = address();
        const ctx = context();
        const result = await provider.start(email, ctx);
        emulator.failNext(1, status);
        await refusal(provider.finish(sealedOf(result.link)), 'ERR_PROVIDER_UNAVAILABLE');
        emulator.failNext(1, status);
        await refusal(provider.verifyCode!(ctx.binding, result.code!), 'ERR_PROVIDER_UNAVAILABLE');
        // Both may be retried: the link was given back, the code is unspent.
        await expect(provider.finish(sealedOf(result.link))).resolves.toMatchObject({
          profile: { email },
        });
      },
    );

    it('HTTP 429 is a RateLimitExceededException in the cause', async () => {
      const { provider } = make();
      emulator.failNext(1, 429);
      const err = await refusal(provider.start(address(), context()), 'ERR_PROVIDER_UNAVAILABLE');
      expect(err.cause).toBeInstanceOf(
        major === 11 ? workos11.RateLimitExceededException : workos8.RateLimitExceededException,
      );
    });

    it('a network failure → ERR_PROVIDER_UNAVAILABLE; the link may be retried', async () => {
      const { provider } = make();
      const email = address();
      const ctx = context();
      const result = await provider.start(email, ctx);
      emulator.refuseConnections(true);
      try {
        const failed = await refusal(
          provider.start(address(), context()),
          'ERR_PROVIDER_UNAVAILABLE',
        );
        expect(failed.message).toBe('WorkOS request failed');
        await refusal(provider.finish(sealedOf(result.link)), 'ERR_PROVIDER_UNAVAILABLE');
        await refusal(provider.verifyCode!(ctx.binding, result.code!), 'ERR_PROVIDER_UNAVAILABLE');
      } finally {
        emulator.refuseConnections(false);
      }
      await expect(provider.finish(sealedOf(result.link))).resolves.toMatchObject({
        profile: { email },
      });
    });

    it('a wrong API key → ERR_PROVIDER_MISCONFIGURED from start (401) and finish/verifyCode (invalid_client), spending nothing', async () => {
      const good = make();
      const bad = make({ apiKey: 'sk_test_wrong', store: good.store });
      const err = await refusal(
        bad.provider.start(address(), context()),
        'ERR_PROVIDER_MISCONFIGURED',
      );
      expect(err.message).toBe(
        'WorkOS refused the client id or API key; check WORKOS_API_KEY and WORKOS_CLIENT_ID',
      );
      expect((err.cause as { status?: unknown }).status).toBe(401);

      const email = address();
      const ctx = context();
      const result = await good.provider.start(email, ctx);
      const finishErr = await refusal(
        bad.provider.finish(sealedOf(result.link)),
        'ERR_PROVIDER_MISCONFIGURED',
      );
      expect(finishErr.cause).toMatchObject({ error: 'invalid_client' });
      await refusal(
        bad.provider.verifyCode!(ctx.binding, result.code!),
        'ERR_PROVIDER_MISCONFIGURED',
      );
      await expect(good.provider.finish(sealedOf(result.link))).resolves.toMatchObject({
        profile: { email },
      });
    });

    it('an unknown client id → ERR_PROVIDER_MISCONFIGURED (invalid_client)', async () => {
      const good = make();
      const bad = make({ clientId: 'client_other', store: good.store });
      const ctx = context();
      const result = await good.provider.start(address(), ctx);
      await refusal(
        bad.provider.verifyCode!(ctx.binding, result.code!),
        'ERR_PROVIDER_MISCONFIGURED',
      );
      await expect(good.provider.verifyCode!(ctx.binding, result.code!)).resolves.toMatchObject({
        state: ctx.state,
      });
    });

    it('Magic Auth off (authentication_method_not_allowed) → ERR_PROVIDER_MISCONFIGURED everywhere', async () => {
      await withEmulator({ magicAuth: false }, async (off) => {
        const good = make();
        const bad = make({ on: off, store: good.store });
        const err = await refusal(
          bad.provider.start(address(), context()),
          'ERR_PROVIDER_MISCONFIGURED',
        );
        expect(err.message).toMatch(/^Magic Auth is not enabled for this WorkOS environment/);
        const email = address();
        const ctx = context();
        const result = await good.provider.start(email, ctx);
        await refusal(bad.provider.finish(sealedOf(result.link)), 'ERR_PROVIDER_MISCONFIGURED');
        await refusal(
          bad.provider.verifyCode!(ctx.binding, result.code!),
          'ERR_PROVIDER_MISCONFIGURED',
        );
        await expect(good.provider.finish(sealedOf(result.link))).resolves.toMatchObject({
          profile: { email },
        });
      });
    });

    it('sign-up not allowed → ERR_SIGN_IN_REFUSED from start, storing nothing; a known user signs in with their profile', async () => {
      const users = [
        {
          email: 'grace@example.com',
          firstName: 'Grace',
          lastName: 'Hopper',
          organizationId: 'org_1',
        },
      ];
      await withEmulator({ allowSignUp: false, users }, async (closed) => {
        const { provider, store } = make({ on: closed });
        const set = jest.spyOn(store, 'set');
        const err = await refusal(provider.start(address(), context()), 'ERR_SIGN_IN_REFUSED');
        expect(err.message).toContain('sign_up_not_allowed');
        expect(set).not.toHaveBeenCalled();

        const result = await provider.start('grace@example.com', context());
        const user = closed.findUser('grace@example.com')!;
        await expect(provider.finish(sealedOf(result.link))).resolves.toEqual({
          profile: {
            id: user.id,
            idpId: user.id,
            organizationId: 'org_1',
            connectionId: 'conn_magic_auth',
            connectionType: 'MagicAuth',
            email: 'grace@example.com',
            firstName: 'Grace',
            lastName: 'Hopper',
            rawAttributes: {},
          },
          tokens: { accessToken: expect.any(String), refreshToken: expect.any(String) },
        });
      });
    });

    it('an undeliverable domain → ERR_MAIL_FAILED from start', async () => {
      await withEmulator({ undeliverableEmailDomains: ['bounce.test'] }, async (bouncing) => {
        const { provider } = make({ on: bouncing });
        const err = await refusal(provider.start('a@bounce.test', context()), 'ERR_MAIL_FAILED');
        expect(err.message).toContain('email_domain_not_deliverable');
      });
    });
  });
});

describe('workosMagicAuthProvider() conformance, through the real SDK and the emulator', () => {
  let emulator: WorkOSEmulator;
  beforeAll(async () => {
    emulator = await startWorkOSEmulator();
  });
  afterAll(() => emulator.close());

  /**
   * WorkOS keeps one live Magic Auth code per user, so the provider hands the second request the
   * live code rather than void it (G04): both links carry one code, and once one finishes the
   * other meets a used code.
   */
  const SUPERSEDED = 'codes of two links for one address finish independently';

  for (const { name, client } of SDKS) {
    describe(name, () => {
      const cases = providerConformanceCases(() =>
        workosMagicAuthProvider({
          workos: client(emulator.apiKey, emulator),
          clientId: emulator.clientId,
        }),
      );
      for (const c of cases) if (c.name !== SUPERSEDED) it(c.name, c.run);

      it(`"${SUPERSEDED}" fails, because the two links share the address's one live code`, async () => {
        const superseded = cases.find((c) => c.name === SUPERSEDED);
        expect(superseded).toBeDefined();
        await expect(superseded!.run()).rejects.toMatchObject({
          name: 'MagicLinkError',
          code: 'ERR_LINK_EXPIRED',
          message: 'WorkOS refused the code (one_time_code_previously_used)',
        });
      });
    });
  }
});
