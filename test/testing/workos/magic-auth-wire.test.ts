import { START, call, useEmulator, withEmulator } from './harness';
import type { RawAnswer } from './harness';
import type { WorkOSEmulator } from '../../../lib/testing/workos';

const h = useEmulator({ users: [{ email: 'grace@example.com', firstName: 'Grace' }] });
const GRANT = 'urn:workos:oauth:grant-type:magic-auth:code';

function createMagicAuth(emulator: WorkOSEmulator, body: unknown, apiKey?: string | null) {
  return call(emulator, '/user_management/magic_auth', { body: JSON.stringify(body), apiKey });
}

function authenticate(emulator: WorkOSEmulator, fields: Record<string, unknown>) {
  return call(emulator, '/user_management/authenticate', {
    apiKey: null,
    body: JSON.stringify({
      grant_type: GRANT,
      client_id: emulator.clientId,
      client_secret: emulator.apiKey,
      ...fields,
    }),
  });
}

async function codeFor(email: string): Promise<string> {
  const res = await createMagicAuth(h.emulator, { email });
  expect(res.status).toBe(201);
  return (res.body as { code: string }).code;
}

function bodyOf(res: RawAnswer): Record<string, unknown> {
  return res.body as Record<string, unknown>;
}

describe('POST /user_management/magic_auth on the wire', () => {
  it('answers 201 with exactly the Magic Auth fields', async () => {
    const res = await createMagicAuth(h.emulator, {
      email: 'grace@example.com',
      invitation_token: 'inv_1',
      ip_address: '203.0.113.7',
      user_agent: 'curl',
    });
    expect(res.status).toBe(201);
    expect(Object.keys(bodyOf(res)).sort()).toEqual(
      ['code', 'created_at', 'email', 'expires_at', 'id', 'object', 'updated_at', 'user_id'].sort(),
    );
    expect(h.emulator.findUser('grace@example.com')?.id).toBe(bodyOf(res).user_id);
    expect(h.emulator.magicAuthOutbox[0]).toMatchObject({
      ipAddress: '203.0.113.7',
      userAgent: 'curl',
    });
  });

  it('needs the Bearer API key (401)', async () => {
    expect((await createMagicAuth(h.emulator, { email: 'a@b.co' }, null)).status).toBe(401);
    expect((await createMagicAuth(h.emulator, { email: 'a@b.co' }, 'sk_test_wrong')).status).toBe(
      401,
    );
  });

  it.each([
    [{}, 'email_required'],
    [{ email: 'nope' }, 'email_invalid'],
    [{ email: 42 }, 'email_invalid'],
    [{ email: 'a@b.co', ip_address: 7 }, 'ip_address_must_be_string'],
  ])('answers 422 for %p', async (body, code) => {
    const res = await createMagicAuth(h.emulator, body);
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({
      message: 'Validation failed',
      code: 'invalid_request_parameters',
      errors: [expect.objectContaining({ code })],
    });
  });

  it('answers the exact error bodies for the environment switches', async () => {
    await withEmulator(
      { allowSignUp: false, undeliverableEmailDomains: ['bounce.test'] },
      async (emulator) => {
        expect(await createMagicAuth(emulator, { email: 'a@example.com' })).toMatchObject({
          status: 400,
          body: {
            error: 'sign_up_not_allowed',
            error_description: 'Sign up is not allowed for this environment.',
          },
        });
        expect((await createMagicAuth(emulator, { email: 'a@bounce.test' })).body).toEqual({
          code: 'email_domain_not_deliverable',
          message: "The email domain 'bounce.test' cannot receive email.",
        });
      },
    );
    await withEmulator({ magicAuth: false }, async (emulator) => {
      expect((await createMagicAuth(emulator, { email: 'a@example.com' })).body).toEqual({
        error: 'authentication_method_not_allowed',
        error_description: 'Magic Auth is not enabled for this environment.',
      });
    });
  });
});

describe('GET /user_management/magic_auth/:id on the wire', () => {
  it('answers 404 with the entity_not_found body', async () => {
    const res = await call(h.emulator, '/user_management/magic_auth/magic_auth_x', {
      method: 'GET',
    });
    expect(res).toMatchObject({
      status: 404,
      body: {
        message: "MagicAuth not found: 'magic_auth_x'.",
        code: 'entity_not_found',
        entity_id: 'magic_auth_x',
      },
    });
  });

  it('answers 405 to POST', async () => {
    const res = await call(h.emulator, '/user_management/magic_auth/magic_auth_x', { body: '{}' });
    expect(res.status).toBe(405);
  });
});

describe('POST /user_management/authenticate on the wire', () => {
  it('answers 200 with the user, tokens and the method, and needs no Bearer header', async () => {
    const code = await codeFor('grace@example.com');
    const res = await authenticate(h.emulator, { code, email: 'grace@example.com' });
    expect(res.status).toBe(200);
    const body = bodyOf(res);
    expect(Object.keys(body).sort()).toEqual(
      ['access_token', 'authentication_method', 'refresh_token', 'user'].sort(),
    );
    expect(body.user).toMatchObject({
      object: 'user',
      email: 'grace@example.com',
      email_verified: true,
      first_name: 'Grace',
      last_name: null,
      profile_picture_url: null,
      last_sign_in_at: new Date(START).toISOString(),
      created_at: new Date(START).toISOString(),
      updated_at: new Date(START).toISOString(),
    });
    expect(body.access_token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(body.authentication_method).toBe('MagicAuth');
  });

  it.each([
    ['a wrong secret', { client_secret: 'sk_test_wrong' }],
    ['no secret', { client_secret: undefined }],
    ['an unknown client', { client_id: 'client_other' }],
  ])('answers invalid_client for %s', async (_label, override) => {
    const res = await authenticate(h.emulator, { code: '123456', email: 'a@b.co', ...override });
    expect(res).toMatchObject({
      status: 400,
      body: { error: 'invalid_client', error_description: 'Invalid client ID or secret.' },
    });
  });

  it('refuses another grant_type', async () => {
    const res = await authenticate(h.emulator, { grant_type: 'password' });
    expect(res).toMatchObject({ status: 400, body: { error: 'unsupported_grant_type' } });
  });

  it('answers 422 without code or email', async () => {
    const res = await authenticate(h.emulator, {});
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({
      errors: [
        { field: 'code', code: 'code_required' },
        { field: 'email', code: 'email_required' },
      ],
    });
  });

  it('answers each refused code as exactly { code, message }', async () => {
    const code = await codeFor('grace@example.com');
    const wrong = code === '000000' ? '000001' : '000000';
    const invalid = await authenticate(h.emulator, { code: wrong, email: 'grace@example.com' });
    expect(invalid.status).toBe(400);
    expect(invalid.body).toEqual({ code: 'invalid_one_time_code', message: expect.any(String) });
    await authenticate(h.emulator, { code, email: 'grace@example.com' });
    const used = await authenticate(h.emulator, { code, email: 'grace@example.com' });
    expect(used.body).toEqual({
      code: 'one_time_code_previously_used',
      message: expect.any(String),
    });
  });

  it('a failNext(1, 500) is spent on authenticate too', async () => {
    h.emulator.failNext(1, 500);
    expect((await authenticate(h.emulator, { code: '1', email: 'a@b.co' })).status).toBe(500);
    expect((await authenticate(h.emulator, { code: '1', email: 'a@b.co' })).status).toBe(400);
  });
});

describe('Magic Auth option checks', () => {
  it.each([
    [{ magicAuth: 'yes' }, /magicAuth must be true or false/],
    [{ allowSignUp: 1 }, /allowSignUp must be true or false/],
    [{ workosEmails: null }, /workosEmails must be true or false/],
    [{ magicAuthVoidsEarlierCode: 'no' }, /magicAuthVoidsEarlierCode must be true or false/],
    [{ magicAuthAttempts: 0 }, /magicAuthAttempts must be a positive integer/],
    [{ magicAuthCodeTtlMs: Infinity }, /magicAuthCodeTtlMs must be a positive number/],
    [{ users: [{ name: 'x' }] }, /users must be an array of \{ email/],
    [{ undeliverableEmailDomains: ['@x.test'] }, /undeliverableEmailDomains must be an array/],
  ])('refuses %p with a TypeError that says the fix', async (options, message) => {
    const outcome = await withEmulator(options as never, async () => 'started').catch(
      (error: unknown) => error,
    );
    expect(outcome).toBeInstanceOf(TypeError);
    expect((outcome as TypeError).message).toMatch(message);
  });

  it('requireStepUp refuses an unknown kind', () => {
    expect(() => h.emulator.requireStepUp('captcha' as never)).toThrow(TypeError);
  });
});
