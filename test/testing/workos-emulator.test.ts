import { request } from 'node:http';
import { connect } from 'node:net';
import * as workos11 from '@workos-inc/node';
import * as workos8 from 'workos8';
import {
  DEFAULT_EMULATOR_CODE_TTL_MS,
  DEFAULT_EMULATOR_LINK_TTL_MS,
  startWorkOSEmulator,
} from '../../lib/testing/workos-emulator';
import type { WorkOSEmulator } from '../../lib/testing/workos-emulator';

/** The slice of the SDK these tests use; both versions satisfy it structurally. */
interface SdkClient {
  passwordless: {
    createSession(options: {
      type: 'MagicLink';
      email: string;
      redirectURI?: string;
      state?: string;
      expiresIn?: number;
    }): Promise<{ id: string; email: string; expiresAt: unknown; link: string; object: string }>;
    sendSession(id: string): Promise<unknown>;
  };
  sso: {
    getProfileAndToken(options: { code: string; clientId: string }): Promise<{
      accessToken: string;
      profile: {
        id: string;
        idpId: string;
        email: string;
        connectionId: string;
        connectionType: string;
        organizationId?: string | null;
        firstName?: string | null;
        lastName?: string | null;
        rawAttributes?: unknown;
      };
    }>;
  };
}

type ErrorClass = new (...args: never[]) => Error;

interface SdkCase {
  name: string;
  create(apiKey: string, emulator: WorkOSEmulator): SdkClient;
  errors: Record<
    | 'OauthException'
    | 'UnauthorizedException'
    | 'UnprocessableEntityException'
    | 'GenericServerException'
    | 'RateLimitExceededException'
    | 'NotFoundException',
    ErrorClass
  >;
}

const SDKS: SdkCase[] = [
  {
    name: '@workos-inc/node 11',
    create: (apiKey, emulator) =>
      new workos11.WorkOS(apiKey, { ...emulator.sdkOptions(), maxRetries: 0 }),
    errors: workos11,
  },
  {
    name: '@workos-inc/node 8.13 (workos8)',
    create: (apiKey, emulator) => new workos8.WorkOS(apiKey, emulator.sdkOptions()),
    errors: workos8,
  },
];

const REDIRECT = 'http://localhost:3000/auth/callback';
const START = Date.UTC(2030, 0, 1);
let clock = START;
let emulator: WorkOSEmulator;

beforeAll(async () => {
  emulator = await startWorkOSEmulator({ now: () => clock });
});
afterAll(() => emulator.close());
beforeEach(() => {
  clock = START;
  emulator.reset();
});

/** Around a TTL: valid while now < start + ttl. */
const BOUNDARIES = [
  { when: '1 ms before the TTL', offset: -1, valid: true },
  { when: 'exactly at the TTL', offset: 0, valid: false },
  { when: '1 s after the TTL', offset: 1000, valid: false },
];

type SdkError = Error & Record<string, unknown>;

async function rejection(promise: Promise<unknown>): Promise<SdkError> {
  try {
    await promise;
  } catch (error) {
    return error as SdkError;
  }
  throw new Error('expected the call to reject, but it resolved');
}

/** Click a link the way a browser (or scanner) does, and return where it redirects. */
async function visit(link: string, method: 'GET' | 'HEAD' = 'GET'): Promise<URL> {
  const res = await fetch(link, { method, redirect: 'manual' });
  expect(res.status).toBe(302);
  return new URL(res.headers.get('location')!);
}

function createSession(sdk: SdkClient, email = 'ada@example.com', state = 'state-1') {
  return sdk.passwordless.createSession({ type: 'MagicLink', email, redirectURI: REDIRECT, state });
}

async function codeFor(sdk: SdkClient, email = 'ada@example.com'): Promise<string> {
  const session = await createSession(sdk, email);
  const code = (await visit(session.link)).searchParams.get('code');
  expect(code).toEqual(expect.any(String));
  return code!;
}

describe.each(SDKS)('with $name', ({ create, errors }) => {
  let sdk: SdkClient;
  beforeEach(() => {
    sdk = create(emulator.apiKey, emulator);
  });

  describe('the sign-in flow', () => {
    it('creates, sends, redirects with code and state, and exchanges the code', async () => {
      const session = await createSession(sdk, 'ada@example.com', 'opaque state');
      expect(session).toMatchObject({ object: 'passwordless_session', email: 'ada@example.com' });
      expect(session.id).toMatch(/^passwordless_session_[0-9A-Z]{26}$/);
      expect(session.link.startsWith(`${emulator.url}/passwordless/`)).toBe(true);
      // Typed as Date by both SDKs, but neither deserializes it: the wire string comes through.
      expect(session.expiresAt).toBe(new Date(START + DEFAULT_EMULATOR_LINK_TTL_MS).toISOString());

      await expect(sdk.passwordless.sendSession(session.id)).resolves.toEqual({ success: true });
      expect(emulator.outbox).toHaveLength(1);
      const email = emulator.outbox[0]!;
      expect(email).toMatchObject({
        to: 'ada@example.com',
        link: session.link,
        sessionId: session.id,
      });
      expect(email.text).toContain(session.link);
      expect(email.html).toContain(`href="${session.link}"`);

      const target = await visit(email.link);
      expect(`${target.origin}${target.pathname}`).toBe(REDIRECT);
      expect(target.searchParams.get('state')).toBe('opaque state');
      const code = target.searchParams.get('code')!;
      expect(code).toMatch(/^[0-9A-Z]{26}$/);

      const { accessToken, profile } = await sdk.sso.getProfileAndToken({
        code,
        clientId: emulator.clientId,
      });
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
    });

    it('gives one email the same profile id every time, and another email another', async () => {
      const exchange = async (email: string) =>
        (
          await sdk.sso.getProfileAndToken({
            code: await codeFor(sdk, email),
            clientId: emulator.clientId,
          })
        ).profile;
      const first = await exchange('ada@example.com');
      const again = await exchange('ada@example.com');
      const other = await exchange('grace@example.com');
      expect(again.id).toBe(first.id);
      expect(again.idpId).toBe(first.idpId);
      expect(other.id).not.toBe(first.id);
    });

    it('omits state from the redirect when the session has none', async () => {
      const session = await sdk.passwordless.createSession({
        type: 'MagicLink',
        email: 'ada@example.com',
        redirectURI: REDIRECT,
      });
      const target = await visit(session.link);
      expect(target.searchParams.has('state')).toBe(false);
      expect(target.searchParams.get('code')).toEqual(expect.any(String));
    });

    it('answers NotFoundException for sending an unknown session', async () => {
      const error = await rejection(sdk.passwordless.sendSession('passwordless_session_nope'));
      expect(error).toBeInstanceOf(errors.NotFoundException);
      expect(error.status).toBe(404);
      expect(emulator.outbox).toHaveLength(0);
    });
  });

  describe('single use', () => {
    it('redirects a replayed link with access_denied and the state, and no code', async () => {
      const session = await createSession(sdk);
      await visit(session.link);
      const replay = await visit(session.link);
      expect(replay.searchParams.get('error')).toBe('access_denied');
      expect(replay.searchParams.get('error_description')).toEqual(expect.any(String));
      expect(replay.searchParams.get('state')).toBe('state-1');
      expect(replay.searchParams.has('code')).toBe(false);
    });

    it('refuses a replayed code with OauthException invalid_grant', async () => {
      const code = await codeFor(sdk);
      await sdk.sso.getProfileAndToken({ code, clientId: emulator.clientId });
      const error = await rejection(
        sdk.sso.getProfileAndToken({ code, clientId: emulator.clientId }),
      );
      expect(error).toBeInstanceOf(errors.OauthException);
      expect(error.name).toBe('OauthException');
      expect(error.status).toBe(400);
      expect(error.error).toBe('invalid_grant');
      expect(error.errorDescription).toBe(`The code '${code}' has expired or is invalid.`);
    });

    it('lets exactly one of 20 concurrent exchanges of one code succeed', async () => {
      const code = await codeFor(sdk);
      const results = await Promise.allSettled(
        Array.from({ length: 20 }, () =>
          sdk.sso.getProfileAndToken({ code, clientId: emulator.clientId }),
        ),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const failures = results.filter((r) => r.status === 'rejected');
      expect(failures).toHaveLength(19);
      for (const failure of failures)
        expect(failure.reason).toMatchObject({ error: 'invalid_grant' });
    });
  });

  describe('expiry (valid while now < start + ttl)', () => {
    it.each(BOUNDARIES)('a link visited $when is valid: $valid', async ({ offset, valid }) => {
      const session = await createSession(sdk);
      clock = START + DEFAULT_EMULATOR_LINK_TTL_MS + offset;
      const target = await visit(session.link);
      expect(target.searchParams.has('code')).toBe(valid);
      expect(target.searchParams.get('error')).toBe(valid ? null : 'access_denied');
    });

    it('honours expires_in (seconds) over the default TTL', async () => {
      const session = await sdk.passwordless.createSession({
        type: 'MagicLink',
        email: 'ada@example.com',
        redirectURI: REDIRECT,
        expiresIn: 60,
      });
      expect(session.expiresAt).toBe(new Date(START + 60_000).toISOString());
      clock = START + 60_000;
      expect((await visit(session.link)).searchParams.get('error')).toBe('access_denied');
    });

    it.each(BOUNDARIES)('a code exchanged $when is valid: $valid', async ({ offset, valid }) => {
      const code = await codeFor(sdk);
      clock = START + DEFAULT_EMULATOR_CODE_TTL_MS + offset;
      const exchange = sdk.sso.getProfileAndToken({ code, clientId: emulator.clientId });
      if (valid) {
        await expect(exchange).resolves.toMatchObject({ profile: { email: 'ada@example.com' } });
      } else {
        expect(await rejection(exchange)).toMatchObject({
          name: 'OauthException',
          error: 'invalid_grant',
        });
      }
    });
  });

  describe('authentication and validation', () => {
    it('refuses a wrong API key with UnauthorizedException (401)', async () => {
      const impostor = create('sk_test_wrong', emulator);
      const error = await rejection(createSession(impostor));
      expect(error).toBeInstanceOf(errors.UnauthorizedException);
      expect(error.status).toBe(401);
    });

    it('refuses a wrong client_secret at /sso/token without spending the code', async () => {
      const code = await codeFor(sdk);
      const impostor = create('sk_test_wrong', emulator);
      const error = await rejection(
        impostor.sso.getProfileAndToken({ code, clientId: emulator.clientId }),
      );
      expect(error).toBeInstanceOf(errors.UnauthorizedException);
      await expect(
        sdk.sso.getProfileAndToken({ code, clientId: emulator.clientId }),
      ).resolves.toMatchObject({ profile: { email: 'ada@example.com' } });
    });

    it('refuses an unknown client id with OauthException invalid_client', async () => {
      const code = await codeFor(sdk);
      const error = await rejection(sdk.sso.getProfileAndToken({ code, clientId: 'client_other' }));
      expect(error).toMatchObject({ name: 'OauthException', error: 'invalid_client', status: 400 });
    });

    it.each([
      ['a query string', `${REDIRECT}?next=/x`, 'redirect_uri_query_not_allowed'],
      ['an empty query string', `${REDIRECT}?`, 'redirect_uri_query_not_allowed'],
      [
        'a wildcard host',
        'https://*.example.com/auth/callback',
        'redirect_uri_wildcard_not_allowed',
      ],
      ['a relative path', '/auth/callback', 'redirect_uri_invalid'],
      ['a non-http scheme', 'javascript:alert(1)', 'redirect_uri_invalid'],
    ])('refuses a redirect_uri with %s (422)', async (_label, redirectURI, code) => {
      const error = await rejection(
        sdk.passwordless.createSession({
          type: 'MagicLink',
          email: 'ada@example.com',
          redirectURI,
        }),
      );
      expect(error).toBeInstanceOf(errors.UnprocessableEntityException);
      expect(error.status).toBe(422);
      expect(error.message).toContain(code);
    });

    it('refuses a session with no redirect_uri when there is no default (422)', async () => {
      const error = await rejection(
        sdk.passwordless.createSession({ type: 'MagicLink', email: 'ada@example.com' }),
      );
      expect(error).toBeInstanceOf(errors.UnprocessableEntityException);
      expect(error.message).toContain('redirect_uri_required');
    });

    it('refuses an implausible email (422)', async () => {
      const error = await rejection(createSession(sdk, 'not-an-email'));
      expect(error).toBeInstanceOf(errors.UnprocessableEntityException);
      expect(error.message).toContain('email_invalid');
    });
  });

  describe('fault switches', () => {
    it('failNext(1, 500) fails one call with no effect, then the next succeeds', async () => {
      const code = await codeFor(sdk);
      emulator.failNext(1, 500);
      const error = await rejection(
        sdk.sso.getProfileAndToken({ code, clientId: emulator.clientId }),
      );
      expect(error).toBeInstanceOf(errors.GenericServerException);
      expect(error.status).toBe(500);
      await expect(
        sdk.sso.getProfileAndToken({ code, clientId: emulator.clientId }),
      ).resolves.toMatchObject({ profile: { email: 'ada@example.com' } });
    });

    it('failNext(1, 429) answers RateLimitExceededException with Retry-After, then recovers', async () => {
      emulator.failNext(1, 429);
      const error = await rejection(createSession(sdk));
      expect(error).toBeInstanceOf(errors.RateLimitExceededException);
      expect(error).toMatchObject({ status: 429, retryAfter: 1 });
      await expect(createSession(sdk)).resolves.toMatchObject({ object: 'passwordless_session' });
    });

    it('failNext counts API calls only: link visits still work while a failure is pending', async () => {
      const session = await createSession(sdk);
      emulator.failNext(1, 503);
      expect((await visit(session.link)).searchParams.has('code')).toBe(true);
      expect(await rejection(sdk.passwordless.sendSession(session.id))).toMatchObject({
        status: 503,
      });
      expect(emulator.outbox).toHaveLength(0);
    });

    it('delay(ms) slows every API answer until cleared', async () => {
      // Long enough that an undelayed answer on a busy machine still comes back well within it.
      const DELAY_MS = 3000;
      emulator.delay(DELAY_MS);
      let started = performance.now();
      await createSession(sdk);
      expect(performance.now() - started).toBeGreaterThanOrEqual(DELAY_MS - 10);
      emulator.delay(0);
      started = performance.now();
      await createSession(sdk);
      expect(performance.now() - started).toBeLessThan(DELAY_MS - 10);
    });

    it('refuseConnections makes the SDK reject quickly, and recovers when turned off', async () => {
      await createSession(sdk); // leaves a pooled keep-alive socket behind
      emulator.refuseConnections(true);
      const timeout = new Promise<'timed out'>((resolve) => {
        // Only a hang takes this long: the SDK's own default timeout is a minute.
        setTimeout(() => resolve('timed out'), 15_000).unref();
      });
      const outcome = await Promise.race([
        createSession(sdk).then(
          () => 'resolved',
          (error: unknown) => error,
        ),
        timeout,
      ]);
      expect(outcome).toBeInstanceOf(Error);
      emulator.refuseConnections(false);
      await expect(createSession(sdk)).resolves.toMatchObject({ object: 'passwordless_session' });
    });
  });
});

/** A bare HTTP call, for what the SDK never sends. */
async function call(
  path: string,
  init: { method?: string; body?: string; contentType?: string; apiKey?: string | null } = {},
): Promise<{ status: number; contentType: string | null; body: unknown }> {
  const headers: Record<string, string> = {
    'Content-Type': init.contentType ?? 'application/json',
  };
  const apiKey = init.apiKey === undefined ? emulator.apiKey : init.apiKey;
  if (apiKey !== null) headers.Authorization = `Bearer ${apiKey}`;
  const res = await fetch(`${emulator.url}${path}`, {
    method: init.method ?? 'POST',
    headers,
    body: init.body,
    redirect: 'manual',
  });
  const text = await res.text();
  return {
    status: res.status,
    contentType: res.headers.get('content-type'),
    body: text === '' ? null : JSON.parse(text),
  };
}

async function rawSession(state = 's'): Promise<{ id: string; link: string }> {
  const res = await call('/passwordless/sessions', {
    body: JSON.stringify({
      type: 'MagicLink',
      email: 'ada@example.com',
      redirect_uri: REDIRECT,
      state,
    }),
  });
  expect(res.status).toBe(201);
  return res.body as { id: string; link: string };
}

describe('link visits', () => {
  it('HEAD spends the link too, like the harshest scanner', async () => {
    const { link } = await rawSession();
    expect((await visit(link, 'HEAD')).searchParams.has('code')).toBe(true);
    expect((await visit(link)).searchParams.get('error')).toBe('access_denied');
  });

  it('answers 405 to other methods without spending the link', async () => {
    const { link } = await rawSession();
    const res = await fetch(link, { method: 'POST', redirect: 'manual' });
    expect(res.status).toBe(405);
    expect((await visit(link)).searchParams.has('code')).toBe(true);
  });

  it('answers 404 to an unknown link', async () => {
    const res = await fetch(`${emulator.url}/passwordless/unknownToken123/confirm`, {
      redirect: 'manual',
    });
    expect(res.status).toBe(404);
  });

  it('logs link visits and API calls, and needs no API key to visit', async () => {
    const { link } = await rawSession();
    await visit(link);
    expect(emulator.requests).toEqual([
      { method: 'POST', path: '/passwordless/sessions' },
      { method: 'GET', path: new URL(link).pathname },
    ]);
  });
});

describe('robustness', () => {
  it('answers 401 JSON without a bearer token', async () => {
    const res = await call('/passwordless/sessions', { body: '{}', apiKey: null });
    expect(res).toMatchObject({ status: 401, body: { message: 'Unauthorized' } });
  });

  it('answers 404 JSON to an unknown route', async () => {
    const res = await call('/organizations', { method: 'GET' });
    expect(res.status).toBe(404);
    expect(res.contentType).toContain('application/json');
  });

  it('answers 405 JSON to a wrong method on a known route', async () => {
    expect((await call('/passwordless/sessions', { method: 'GET' })).status).toBe(405);
  });

  it.each([['{"type":'], ['[1,2]'], ['"a string"']])(
    'answers 400 JSON to the body %s',
    async (body) => {
      const res = await call('/passwordless/sessions', { body });
      expect(res).toMatchObject({ status: 400, body: { code: 'invalid_json' } });
    },
  );

  it('answers 422 with a WorkOS-style errors list', async () => {
    const res = await call('/passwordless/sessions', { body: JSON.stringify({ type: 'Other' }) });
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({
      code: 'invalid_request_parameters',
      errors: expect.arrayContaining([
        { field: 'type', code: 'type_must_be_magic_link' },
        { field: 'email', code: 'email_required' },
      ]),
    });
  });

  it('answers 413 to a body over 64 KB, declared or chunked', async () => {
    const big = JSON.stringify({ type: 'MagicLink', email: 'a@b.co', state: 'x'.repeat(70_000) });
    expect((await call('/passwordless/sessions', { body: big })).status).toBe(413);

    const status = await new Promise<number | undefined>((resolve, reject) => {
      const req = request(
        `${emulator.url}/passwordless/sessions`,
        { method: 'POST', headers: { Authorization: `Bearer ${emulator.apiKey}` } },
        (res) => {
          res.resume();
          resolve(res.statusCode);
        },
      );
      req.on('error', reject);
      req.write(big.slice(0, 40_000));
      req.end(big.slice(40_000));
    });
    expect(status).toBe(413);
  });

  it('answers garbage on the socket with 400 and keeps serving', async () => {
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = connect(emulator.port, '127.0.0.1', () => socket.write('NOT HTTP\r\n\r\n'));
      let data = '';
      socket.on('data', (chunk) => (data += chunk.toString()));
      socket.on('close', () => resolve(data));
      socket.on('error', reject);
    });
    expect(reply.startsWith('HTTP/1.1 400')).toBe(true);
    await rawSession();
  });

  it('accepts a JSON body at /sso/token as well as a form', async () => {
    const { link } = await rawSession();
    const code = (await visit(link)).searchParams.get('code');
    const res = await call('/sso/token', {
      apiKey: null,
      body: JSON.stringify({
        client_id: emulator.clientId,
        client_secret: emulator.apiKey,
        grant_type: 'authorization_code',
        code,
      }),
    });
    expect(res).toMatchObject({ status: 200, body: { profile: { object: 'profile' } } });
  });

  it('refuses another grant_type', async () => {
    const res = await call('/sso/token', {
      apiKey: null,
      contentType: 'application/x-www-form-urlencoded',
      body: new URLSearchParams({
        client_id: emulator.clientId,
        client_secret: emulator.apiKey,
        grant_type: 'client_credentials',
      }).toString(),
    });
    expect(res).toMatchObject({ status: 400, body: { error: 'unsupported_grant_type' } });
  });

  it('refuseConnections destroys a fresh connection as soon as it opens', async () => {
    emulator.refuseConnections(true);
    const socket = connect(emulator.port, '127.0.0.1');
    socket.on('error', () => undefined);
    const outcome = await new Promise<string>((resolve) => {
      socket.on('close', () => resolve('closed'));
      // A bound for a busy machine; an open connection would wait it out.
      setTimeout(() => resolve('still open'), 10_000).unref();
    });
    socket.destroy();
    expect(outcome).toBe('closed');
    expect(emulator.requests).toHaveLength(0);
  });

  it('reset() clears the outbox, the log and the fault switches', async () => {
    const { id } = await rawSession();
    await call(`/passwordless/sessions/${id}/send`, { body: '{}' });
    emulator.failNext(5, 500);
    emulator.delay(10_000);
    emulator.refuseConnections(true);
    emulator.reset();
    expect(emulator.outbox).toHaveLength(0);
    expect(emulator.requests).toHaveLength(0);
    expect((await call(`/passwordless/sessions/${id}/send`, { body: '{}' })).status).toBe(200);
  });
});

describe('options', () => {
  it('uses defaultRedirectUri when a session gives none', async () => {
    const withDefault = await startWorkOSEmulator({ defaultRedirectUri: REDIRECT });
    try {
      const sdk = new workos11.WorkOS(withDefault.apiKey, {
        ...withDefault.sdkOptions(),
        maxRetries: 0,
      });
      const session = await sdk.passwordless.createSession({ type: 'MagicLink', email: 'a@b.co' });
      const target = await visit(session.link);
      expect(`${target.origin}${target.pathname}`).toBe(REDIRECT);
    } finally {
      await withDefault.close();
    }
  });

  it('evicts the oldest session beyond maxEntries', async () => {
    const small = await startWorkOSEmulator({ maxEntries: 2 });
    try {
      const sdk = new workos8.WorkOS(small.apiKey, small.sdkOptions());
      const make = () =>
        sdk.passwordless.createSession({
          type: 'MagicLink',
          email: 'a@b.co',
          redirectURI: REDIRECT,
        });
      const [first, second, third] = [await make(), await make(), await make()];
      expect((await fetch(first.link, { redirect: 'manual' })).status).toBe(404);
      expect((await visit(second.link)).searchParams.has('code')).toBe(true);
      expect((await visit(third.link)).searchParams.has('code')).toBe(true);
    } finally {
      await small.close();
    }
  });

  it.each([
    [{ apiKey: '' }, /apiKey must be a non-empty string/],
    [{ defaultRedirectUri: 'https://app.test/cb?x=1' }, /defaultRedirectUri is invalid/],
    [{ linkTtlMs: -1 }, /linkTtlMs must be a positive number/],
    [{ maxEntries: 1.5 }, /maxEntries must be a positive integer/],
  ])('refuses %p with a TypeError that says the fix', async (options, message) => {
    // Close an emulator that starts by mistake, or its server keeps jest from exiting.
    const outcome = await startWorkOSEmulator(options).then(
      (started) => started.close().then(() => 'started'),
      (error: unknown) => error,
    );
    expect(outcome).toBeInstanceOf(TypeError);
    expect((outcome as TypeError).message).toMatch(message);
  });

  it('close() can be called twice', async () => {
    const spare = await startWorkOSEmulator();
    await spare.close();
    await expect(spare.close()).resolves.toBeUndefined();
  });
});
