import { DEFAULT_EMULATOR_CODE_TTL_MS } from '../../../lib/testing/workos';
import {
  BOUNDARIES,
  SDKS,
  START,
  call,
  codeFor,
  rawSession,
  rejection,
  useEmulator,
  visit,
} from './harness';
import type { SdkClient } from './harness';

const h = useEmulator();

describe.each(SDKS)('POST /sso/token with $name', ({ create, errors, major }) => {
  let sdk: SdkClient;
  beforeEach(() => {
    sdk = create(h.emulator.apiKey, h.emulator);
  });
  const exchange = (client: SdkClient, code: string, clientId = h.emulator.clientId) =>
    client.sso.getProfileAndToken({ code, clientId });

  it('exchanges a code for an access token and a Magic Link profile', async () => {
    const { accessToken, profile } = await exchange(sdk, await codeFor(sdk));
    expect(accessToken).toEqual(expect.any(String));
    expect(profile).toMatchObject({
      email: 'ada@example.com',
      connectionType: 'MagicLink',
      organizationId: null,
      firstName: null,
      lastName: null,
      rawAttributes: {},
    });
    expect(profile.id).toMatch(/^prof_/);
    expect(profile.connectionId).toMatch(/^conn_/);
    // 11 passes the profile's nullable `name` through; 8.13 drops it.
    if (major === 11) expect(profile).toHaveProperty('name', null);
    else expect(profile).not.toHaveProperty('name');
  });

  it('gives one email the same profile id every time, and another email another', async () => {
    const profileOf = async (email: string) =>
      (await exchange(sdk, await codeFor(sdk, email))).profile;
    const first = await profileOf('ada@example.com');
    const again = await profileOf('ada@example.com');
    const other = await profileOf('grace@example.com');
    expect(again.id).toBe(first.id);
    expect(again.idpId).toBe(first.idpId);
    expect(other.id).not.toBe(first.id);
  });

  it('refuses a replayed code with OauthException invalid_grant', async () => {
    const code = await codeFor(sdk);
    await exchange(sdk, code);
    const error = await rejection(exchange(sdk, code));
    expect(error).toBeInstanceOf(errors.OauthException);
    expect(error.name).toBe('OauthException');
    expect(error.status).toBe(400);
    expect(error.error).toBe('invalid_grant');
    expect(error.errorDescription).toBe(`The code '${code}' has expired or is invalid.`);
  });

  it('lets exactly one of 20 concurrent exchanges of one code succeed', async () => {
    const code = await codeFor(sdk);
    const results = await Promise.allSettled(Array.from({ length: 20 }, () => exchange(sdk, code)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const failures = results.filter((r) => r.status === 'rejected');
    expect(failures).toHaveLength(19);
    for (const failure of failures) {
      expect(failure.reason).toMatchObject({ error: 'invalid_grant' });
    }
  });

  it.each(BOUNDARIES)('a code exchanged $when is valid: $valid', async ({ offset, valid }) => {
    const code = await codeFor(sdk);
    h.clock = START + DEFAULT_EMULATOR_CODE_TTL_MS + offset;
    if (valid) {
      await expect(exchange(sdk, code)).resolves.toMatchObject({
        profile: { email: 'ada@example.com' },
      });
    } else {
      expect(await rejection(exchange(sdk, code))).toMatchObject({
        name: 'OauthException',
        error: 'invalid_grant',
      });
    }
  });

  it.each([
    ['a wrong client_secret (API key)', 'sk_test_wrong', undefined],
    ['an unknown client id', undefined, 'client_other'],
  ])(
    'refuses %s with OauthException invalid_client (400), without spending the code',
    async (_label, apiKey, clientId) => {
      const code = await codeFor(sdk);
      const client = apiKey === undefined ? sdk : create(apiKey, h.emulator);
      const error = await rejection(exchange(client, code, clientId));
      expect(error).toBeInstanceOf(errors.OauthException);
      expect(error).toMatchObject({
        status: 400,
        error: 'invalid_client',
        errorDescription: 'Invalid client ID or secret.',
      });
      await expect(exchange(sdk, code)).resolves.toMatchObject({
        profile: { email: 'ada@example.com' },
      });
    },
  );
});

describe('POST /sso/token on the wire', () => {
  const form = (fields: Record<string, string>) => ({
    apiKey: null,
    contentType: 'application/x-www-form-urlencoded',
    body: new URLSearchParams(fields).toString(),
  });

  it('answers token_type Bearer, expires_in and a profile with a null name', async () => {
    const { link } = await rawSession(h.emulator);
    const code = (await visit(link)).searchParams.get('code')!;
    const res = await call(
      h.emulator,
      '/sso/token',
      form({
        client_id: h.emulator.clientId,
        client_secret: h.emulator.apiKey,
        grant_type: 'authorization_code',
        code,
      }),
    );
    expect(res).toMatchObject({
      status: 200,
      body: {
        access_token: expect.any(String),
        token_type: 'Bearer',
        expires_in: expect.any(Number),
        profile: { object: 'profile', name: null, first_name: null, last_name: null },
      },
    });
    expect((res.body as { expires_in: number }).expires_in).toBeGreaterThan(0);
  });

  it('accepts a JSON body as well as a form', async () => {
    const { link } = await rawSession(h.emulator);
    const code = (await visit(link)).searchParams.get('code');
    const res = await call(h.emulator, '/sso/token', {
      apiKey: null,
      body: JSON.stringify({
        client_id: h.emulator.clientId,
        client_secret: h.emulator.apiKey,
        grant_type: 'authorization_code',
        code,
      }),
    });
    expect(res).toMatchObject({ status: 200, body: { profile: { object: 'profile' } } });
  });

  it('answers invalid_client when client_secret is missing', async () => {
    const res = await call(
      h.emulator,
      '/sso/token',
      form({ client_id: h.emulator.clientId, grant_type: 'authorization_code', code: 'x' }),
    );
    expect(res).toMatchObject({
      status: 400,
      body: { error: 'invalid_client', error_description: 'Invalid client ID or secret.' },
    });
  });

  it('refuses another grant_type', async () => {
    const res = await call(
      h.emulator,
      '/sso/token',
      form({
        client_id: h.emulator.clientId,
        client_secret: h.emulator.apiKey,
        grant_type: 'client_credentials',
      }),
    );
    expect(res).toMatchObject({ status: 400, body: { error: 'unsupported_grant_type' } });
  });
});
