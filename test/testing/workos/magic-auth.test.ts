import * as workos11 from '@workos-inc/node';
import { DEFAULT_EMULATOR_MAGIC_AUTH_TTL_MS } from '../../../lib/testing/workos';
import type { WorkOSEmulator, WorkOSEmulatorOptions } from '../../../lib/testing/workos';
import { BOUNDARIES, SDKS, START, rejection, useEmulator, withEmulator } from './harness';
import type { SdkCase, SdkClient, SdkError, UserManagementClient } from './harness';

const h = useEmulator();
const EMAIL = 'ada@example.com';

type Client = SdkClient & UserManagementClient;

/**
 * The `code` of a `400 { code, message }`: 11 copies it onto the GenericServerException, 8.13
 * leaves `.code` unset and keeps it in `rawData` only.
 */
function codeOf(error: SdkError, major: 8 | 11): unknown {
  if (major === 11) return error.code;
  expect(error.code).toBeUndefined();
  return (error.rawData as { code?: unknown }).code;
}

function decodeJwtPayload(token: string): Record<string, unknown> {
  const parts = token.split('.');
  expect(parts).toHaveLength(3);
  return JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as Record<
    string,
    unknown
  >;
}

describe.each(SDKS)('Magic Auth with $name', ({ create, errors, major }: SdkCase) => {
  let sdk: Client;
  beforeEach(() => {
    sdk = create(h.emulator.apiKey, h.emulator);
  });
  const authenticate = (code: string, email = EMAIL, client: Client = sdk) =>
    client.userManagement.authenticateWithMagicAuth({
      clientId: h.emulator.clientId,
      code,
      email,
    });
  const wrong = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0');

  it('createMagicAuth signs up an unknown email, answers the code and emails it', async () => {
    const email = `new-${major}@example.com`;
    const magicAuth = await sdk.userManagement.createMagicAuth({ email });
    expect(magicAuth).toEqual({
      object: 'magic_auth',
      id: expect.stringMatching(/^magic_auth_[0-9A-Z]{26}$/),
      userId: expect.stringMatching(/^user_[0-9A-Z]{26}$/),
      email,
      code: expect.stringMatching(/^\d{6}$/),
      expiresAt: new Date(START + DEFAULT_EMULATOR_MAGIC_AUTH_TTL_MS).toISOString(),
      createdAt: new Date(START).toISOString(),
      updatedAt: new Date(START).toISOString(),
    });
    expect(h.emulator.magicAuthOutbox).toEqual([
      expect.objectContaining({
        to: email,
        code: magicAuth.code,
        magicAuthId: magicAuth.id,
        userId: magicAuth.userId,
      }),
    ]);
    expect(h.emulator.findUser(email.toUpperCase())).toMatchObject({
      id: magicAuth.userId,
      emailVerified: false,
      lastSignIn: null,
    });
  });

  it('getMagicAuth answers the same object, and NotFoundException for an unknown id', async () => {
    const magicAuth = await sdk.userManagement.createMagicAuth({ email: EMAIL });
    await expect(sdk.userManagement.getMagicAuth(magicAuth.id)).resolves.toEqual(magicAuth);
    const error = await rejection(sdk.userManagement.getMagicAuth('magic_auth_nope'));
    expect(error).toBeInstanceOf(errors.NotFoundException);
    expect(error).toMatchObject({
      status: 404,
      message: "MagicAuth not found: 'magic_auth_nope'.",
      code: 'entity_not_found',
    });
  });

  it('authenticateWithMagicAuth answers the user, a JWT-shaped access token and MagicAuth', async () => {
    const { code, userId } = await sdk.userManagement.createMagicAuth({ email: EMAIL });
    const result = await authenticate(code);
    expect(result).toMatchObject({
      user: {
        object: 'user',
        id: userId,
        email: EMAIL,
        emailVerified: true,
        firstName: null,
        lastName: null,
        profilePictureUrl: null,
      },
      refreshToken: expect.any(String),
      authenticationMethod: 'MagicAuth',
    });
    expect(result.organizationId).toBeUndefined();
    const claims = decodeJwtPayload(result.accessToken);
    expect(claims).toMatchObject({ sub: userId, iat: START / 1000, exp: START / 1000 + 300 });
    expect(h.emulator.findUser(EMAIL)?.emailVerified).toBe(true);
  });

  it('authenticateWithMagicAuth sends ipAddress and userAgent (both SDKs)', async () => {
    const { code } = await sdk.userManagement.createMagicAuth({ email: EMAIL });
    await sdk.userManagement.authenticateWithMagicAuth({
      clientId: h.emulator.clientId,
      code,
      email: EMAIL,
      ipAddress: '203.0.113.7',
      userAgent: 'jest',
    });
    expect(h.emulator.findUser(EMAIL)?.lastSignIn).toEqual({
      at: new Date(START),
      ipAddress: '203.0.113.7',
      userAgent: 'jest',
    });
  });

  it(`createMagicAuth ${major === 11 ? 'sends' : 'drops'} ipAddress and userAgent`, async () => {
    const options = { email: EMAIL, ipAddress: '203.0.113.7', userAgent: 'jest' };
    await sdk.userManagement.createMagicAuth(options as { email: string });
    expect(h.emulator.magicAuthOutbox[0]).toMatchObject(
      major === 11
        ? { ipAddress: '203.0.113.7', userAgent: 'jest' }
        : { ipAddress: null, userAgent: null },
    );
  });

  describe(`refused codes: 400 { code, message } → GenericServerException (${major === 11 ? '.code set' : '.code unset, rawData.code'})`, () => {
    async function refusal(promise: Promise<unknown>, expected: string): Promise<void> {
      const error = await rejection(promise);
      expect(error).toBeInstanceOf(errors.GenericServerException);
      expect(error.name).toBe('GenericServerException');
      expect(error.status).toBe(400);
      expect(codeOf(error, major)).toBe(expected);
      expect(error.message).toEqual(expect.any(String));
    }

    it('invalid_one_time_code for a wrong code, an unknown email, or a superseded code', async () => {
      const first = await sdk.userManagement.createMagicAuth({ email: EMAIL });
      await refusal(authenticate(wrong(first.code)), 'invalid_one_time_code');
      await refusal(authenticate(first.code, 'nobody@example.com'), 'invalid_one_time_code');
      const second = await sdk.userManagement.createMagicAuth({ email: EMAIL });
      if (second.code !== first.code) {
        await refusal(authenticate(first.code), 'invalid_one_time_code');
      }
      await expect(authenticate(second.code)).resolves.toMatchObject({ user: { email: EMAIL } });
    });

    it('one_time_code_previously_used for a replayed code', async () => {
      const { code } = await sdk.userManagement.createMagicAuth({ email: EMAIL });
      await authenticate(code);
      await refusal(authenticate(code), 'one_time_code_previously_used');
    });

    it.each(BOUNDARIES)('a code used $when is valid: $valid', async ({ offset, valid }) => {
      const { code } = await sdk.userManagement.createMagicAuth({ email: EMAIL });
      h.clock = START + DEFAULT_EMULATOR_MAGIC_AUTH_TTL_MS + offset;
      if (valid) await expect(authenticate(code)).resolves.toMatchObject({ user: {} });
      else await refusal(authenticate(code), 'one_time_code_expired');
    });

    it('one_time_code_too_many_attempts after 5 wrong codes, even for the right one', async () => {
      const { code } = await sdk.userManagement.createMagicAuth({ email: EMAIL });
      for (let i = 0; i < 5; i += 1) {
        await refusal(authenticate(wrong(code)), 'invalid_one_time_code');
      }
      await refusal(authenticate(code), 'one_time_code_too_many_attempts');
    });

    it('accepts the right code after 4 wrong ones', async () => {
      const { code } = await sdk.userManagement.createMagicAuth({ email: EMAIL });
      for (let i = 0; i < 4; i += 1) await rejection(authenticate(wrong(code)));
      await expect(authenticate(code)).resolves.toMatchObject({ user: { email: EMAIL } });
    });
  });

  it('lets exactly one of 20 concurrent authentications with one code succeed', async () => {
    const { code } = await sdk.userManagement.createMagicAuth({ email: EMAIL });
    const results = await Promise.allSettled(Array.from({ length: 20 }, () => authenticate(code)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results) {
      if (r.status === 'rejected') {
        expect(codeOf(r.reason as SdkError, major)).toBe('one_time_code_previously_used');
      }
    }
  });

  it.each([
    ['a wrong API key (client_secret)', 'sk_test_wrong', undefined],
    ['an unknown client id', undefined, 'client_other'],
  ])(
    'refuses %s with OauthException invalid_client, without spending the code',
    async (_label, apiKey, clientId) => {
      const { code } = await sdk.userManagement.createMagicAuth({ email: EMAIL });
      const client = apiKey === undefined ? sdk : create(apiKey, h.emulator);
      const error = await rejection(
        client.userManagement.authenticateWithMagicAuth({
          clientId: clientId ?? h.emulator.clientId,
          code,
          email: EMAIL,
        }),
      );
      expect(error).toBeInstanceOf(errors.OauthException);
      expect(error).toMatchObject({
        status: 400,
        error: 'invalid_client',
        errorDescription: 'Invalid client ID or secret.',
      });
      await expect(authenticate(code)).resolves.toMatchObject({ user: { email: EMAIL } });
    },
  );

  it('refuses an implausible email with UnprocessableEntityException (422)', async () => {
    const error = await rejection(sdk.userManagement.createMagicAuth({ email: 'not-an-email' }));
    expect(error).toBeInstanceOf(errors.UnprocessableEntityException);
    expect(error.message).toContain('email_invalid');
  });

  it.each(['organization_selection_required', 'mfa_challenge'] as const)(
    `requireStepUp(%p) answers 403, thrown as ${major === 11 ? 'AuthenticationException' : 'GenericServerException'}, and spends the code`,
    async (kind) => {
      const { code, userId } = await sdk.userManagement.createMagicAuth({ email: EMAIL });
      h.emulator.requireStepUp(kind);
      const error = await rejection(authenticate(code));
      expect(error.status).toBe(403);
      const raw = error.rawData as Record<string, unknown>;
      expect(raw).toMatchObject({
        code: kind,
        message: expect.any(String),
        pending_authentication_token: expect.any(String),
        user: { object: 'user', id: userId, email: EMAIL },
      });
      expect(raw).toHaveProperty(
        kind === 'mfa_challenge' ? 'authentication_factors' : 'organizations',
      );
      if (major === 11) {
        expect(error).toBeInstanceOf(workos11.AuthenticationException);
        expect(error).toMatchObject({
          code: kind,
          pendingAuthenticationToken: raw.pending_authentication_token,
        });
      } else {
        expect(error).toBeInstanceOf(errors.GenericServerException);
        expect(error.name).toBe('GenericServerException');
      }
      h.emulator.requireStepUp(null);
      expect(codeOf(await rejection(authenticate(code)), major)).toBe(
        'one_time_code_previously_used',
      );
    },
  );

  it('failNext(1, 500) fails createMagicAuth with no effect, then it works', async () => {
    h.emulator.failNext(1, 500);
    const email = `faulty-${major}@example.com`;
    const error = await rejection(sdk.userManagement.createMagicAuth({ email }));
    expect(error).toBeInstanceOf(errors.GenericServerException);
    expect(error.status).toBe(500);
    expect(h.emulator.findUser(email)).toBeUndefined();
    expect(h.emulator.magicAuthOutbox).toHaveLength(0);
    await expect(sdk.userManagement.createMagicAuth({ email })).resolves.toMatchObject({ email });
  });

  it('failNext(1, 503) fails authenticateWithMagicAuth without spending the code', async () => {
    const { code } = await sdk.userManagement.createMagicAuth({ email: EMAIL });
    h.emulator.failNext(1, 503);
    expect(await rejection(authenticate(code))).toMatchObject({ status: 503 });
    await expect(authenticate(code)).resolves.toMatchObject({ user: { email: EMAIL } });
  });
});

describe.each(SDKS)('Magic Auth options with $name', ({ create, errors, major }) => {
  async function withMagicAuth(
    options: WorkOSEmulatorOptions,
    run: (sdk: Client, emulator: WorkOSEmulator) => Promise<void>,
  ): Promise<void> {
    await withEmulator({ now: () => START, ...options }, (emulator) =>
      run(create(emulator.apiKey, emulator), emulator),
    );
  }

  it('magicAuth: false → OauthException authentication_method_not_allowed on both calls', async () => {
    await withMagicAuth({ magicAuth: false }, async (sdk, emulator) => {
      for (const call of [
        sdk.userManagement.createMagicAuth({ email: EMAIL }),
        sdk.userManagement.authenticateWithMagicAuth({
          clientId: emulator.clientId,
          code: '123456',
          email: EMAIL,
        }),
      ]) {
        const error = await rejection(call);
        expect(error).toBeInstanceOf(errors.OauthException);
        expect(error).toMatchObject({ status: 400, error: 'authentication_method_not_allowed' });
      }
      expect(emulator.findUser(EMAIL)).toBeUndefined();
    });
  });

  it('allowSignUp: false → OauthException sign_up_not_allowed; seeded users still sign in', async () => {
    const users = [
      {
        email: 'Grace@Example.com',
        firstName: 'Grace',
        lastName: 'Hopper',
        organizationId: 'org_1',
      },
    ];
    await withMagicAuth({ allowSignUp: false, users }, async (sdk, emulator) => {
      const error = await rejection(sdk.userManagement.createMagicAuth({ email: EMAIL }));
      expect(error).toBeInstanceOf(errors.OauthException);
      expect(error).toMatchObject({ status: 400, error: 'sign_up_not_allowed' });
      expect(emulator.findUser(EMAIL)).toBeUndefined();

      const { code } = await sdk.userManagement.createMagicAuth({ email: 'grace@example.com' });
      const result = await sdk.userManagement.authenticateWithMagicAuth({
        clientId: emulator.clientId,
        code,
        email: 'GRACE@example.com',
      });
      expect(result).toMatchObject({
        user: { email: 'Grace@Example.com', firstName: 'Grace', lastName: 'Hopper' },
        organizationId: 'org_1',
      });
      expect(decodeJwtPayload(result.accessToken)).toMatchObject({ org_id: 'org_1' });
    });
  });

  it('workosEmails: false → the code is answered but nothing lands in the outbox', async () => {
    await withMagicAuth({ workosEmails: false }, async (sdk, emulator) => {
      const { code } = await sdk.userManagement.createMagicAuth({ email: EMAIL });
      expect(code).toMatch(/^\d{6}$/);
      expect(emulator.magicAuthOutbox).toHaveLength(0);
    });
  });

  it('undeliverableEmailDomains → 400 email_domain_not_deliverable (GenericServerException)', async () => {
    await withMagicAuth({ undeliverableEmailDomains: ['Bounce.test'] }, async (sdk, emulator) => {
      const error = await rejection(sdk.userManagement.createMagicAuth({ email: 'a@bounce.TEST' }));
      expect(error).toBeInstanceOf(errors.GenericServerException);
      expect(error.status).toBe(400);
      expect(codeOf(error, major)).toBe('email_domain_not_deliverable');
      expect(emulator.findUser('a@bounce.test')).toBeUndefined();
    });
  });

  it('magicAuthAttempts: 2 locks a code after 2 wrong ones', async () => {
    await withMagicAuth({ magicAuthAttempts: 2 }, async (sdk, emulator) => {
      const { code } = await sdk.userManagement.createMagicAuth({ email: EMAIL });
      const attempt = (c: string) =>
        sdk.userManagement.authenticateWithMagicAuth({
          clientId: emulator.clientId,
          code: c,
          email: EMAIL,
        });
      const bad = code === '000000' ? '000001' : '000000';
      await rejection(attempt(bad));
      await rejection(attempt(bad));
      expect(codeOf(await rejection(attempt(code)), major)).toBe('one_time_code_too_many_attempts');
    });
  });

  it.each([
    { voids: true, first: 'invalid_one_time_code' },
    { voids: false, first: null },
  ])(
    'magicAuthVoidsEarlierCode: $voids decides whether a new code voids the live earlier one',
    async ({ voids, first }) => {
      await withMagicAuth({ magicAuthVoidsEarlierCode: voids }, async (sdk, emulator) => {
        const one = await sdk.userManagement.createMagicAuth({ email: EMAIL });
        let two = await sdk.userManagement.createMagicAuth({ email: EMAIL });
        // Two random codes may coincide (one in a million); draw again until they differ.
        while (two.code === one.code)
          two = await sdk.userManagement.createMagicAuth({ email: EMAIL });
        const attempt = (c: string) =>
          sdk.userManagement.authenticateWithMagicAuth({
            clientId: emulator.clientId,
            code: c,
            email: EMAIL,
          });
        if (first === null) await expect(attempt(one.code)).resolves.toHaveProperty('user');
        else expect(codeOf(await rejection(attempt(one.code)), major)).toBe(first);
        await expect(attempt(two.code)).resolves.toHaveProperty('user');
      });
    },
  );

  it('magicAuthCodeTtlMs sets expires_at and the lifetime', async () => {
    let clock = START;
    await withMagicAuth({ magicAuthCodeTtlMs: 60_000, now: () => clock }, async (sdk, emulator) => {
      const { code, expiresAt } = await sdk.userManagement.createMagicAuth({ email: EMAIL });
      expect(expiresAt).toBe(new Date(START + 60_000).toISOString());
      clock = START + 60_000;
      const error = await rejection(
        sdk.userManagement.authenticateWithMagicAuth({
          clientId: emulator.clientId,
          code,
          email: EMAIL,
        }),
      );
      expect(codeOf(error, major)).toBe('one_time_code_expired');
    });
  });
});
