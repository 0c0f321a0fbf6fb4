import { request } from 'node:http';
import { connect } from 'node:net';
import { startWorkOSEmulator } from '../../../lib/testing/workos';
import {
  SDKS,
  call,
  codeFor,
  createSession,
  rawSession,
  rejection,
  useEmulator,
  visit,
} from './harness';
import type { SdkClient } from './harness';

const h = useEmulator();

describe.each(SDKS)('fault switches with $name', ({ create, errors }) => {
  let sdk: SdkClient;
  beforeEach(() => {
    sdk = create(h.emulator.apiKey, h.emulator);
  });

  it('failNext(1, 500) fails one call with no effect, then the next succeeds', async () => {
    const code = await codeFor(sdk);
    h.emulator.failNext(1, 500);
    const error = await rejection(
      sdk.sso.getProfileAndToken({ code, clientId: h.emulator.clientId }),
    );
    expect(error).toBeInstanceOf(errors.GenericServerException);
    expect(error.status).toBe(500);
    await expect(
      sdk.sso.getProfileAndToken({ code, clientId: h.emulator.clientId }),
    ).resolves.toMatchObject({ profile: { email: 'ada@example.com' } });
  });

  it('failNext(1, 429) answers RateLimitExceededException with Retry-After, then recovers', async () => {
    h.emulator.failNext(1, 429);
    const error = await rejection(createSession(sdk));
    expect(error).toBeInstanceOf(errors.RateLimitExceededException);
    expect(error).toMatchObject({ status: 429, retryAfter: 1 });
    await expect(createSession(sdk)).resolves.toMatchObject({ object: 'passwordless_session' });
  });

  it('failNext counts API calls only: link visits still work while a failure is pending', async () => {
    const session = await createSession(sdk);
    h.emulator.failNext(1, 503);
    expect((await visit(session.link)).searchParams.has('code')).toBe(true);
    expect(await rejection(sdk.passwordless.sendSession(session.id))).toMatchObject({
      status: 503,
    });
    expect(h.emulator.outbox).toHaveLength(0);
  });

  it('failNext with a string body: a plain Error whose cause is a ParseError with the UUID X-Request-ID', async () => {
    h.emulator.failNext(1, 502, 'Bad Gateway');
    const error = await rejection(createSession(sdk));
    // Both SDKs wrap it: new Error(`Unexpected error: ${parseError}`, { cause: parseError }).
    expect(error.message).toMatch(/^Unexpected error: ParseError/);
    expect(error.cause).toMatchObject({
      name: 'ParseError',
      rawStatus: 502,
      rawBody: 'Bad Gateway',
      requestID: expect.stringMatching(
        /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
      ),
    });
  });

  it('delay(ms) slows every API answer until cleared', async () => {
    // Only the lower bound is tight; a cleared delay need only answer well before a held one,
    // which leaves a busy machine seconds of slack.
    const DELAY_MS = 3000;
    h.emulator.delay(DELAY_MS);
    let started = performance.now();
    await createSession(sdk);
    expect(performance.now() - started).toBeGreaterThanOrEqual(DELAY_MS - 10);
    h.emulator.delay(0);
    started = performance.now();
    await createSession(sdk);
    expect(performance.now() - started).toBeLessThan(DELAY_MS - 10);
  });

  it('refuseConnections makes the SDK reject, and recovers when turned off', async () => {
    await createSession(sdk); // leaves a pooled keep-alive socket behind
    h.emulator.refuseConnections(true);
    const outcome = await createSession(sdk).then(
      () => 'resolved',
      (error: unknown) => error,
    );
    expect(outcome).toBeInstanceOf(Error);
    h.emulator.refuseConnections(false);
    await expect(createSession(sdk)).resolves.toMatchObject({ object: 'passwordless_session' });
  });
});

describe('robustness', () => {
  it('answers 401 JSON without a bearer token', async () => {
    const res = await call(h.emulator, '/passwordless/sessions', { body: '{}', apiKey: null });
    expect(res).toMatchObject({ status: 401, body: { message: 'Unauthorized' } });
  });

  it('answers 404 JSON to an unknown route', async () => {
    const res = await call(h.emulator, '/organizations', { method: 'GET' });
    expect(res.status).toBe(404);
    expect(res.contentType).toContain('application/json');
  });

  it('answers 405 JSON to a wrong method on a known route', async () => {
    expect((await call(h.emulator, '/passwordless/sessions', { method: 'GET' })).status).toBe(405);
  });

  it.each([['{"type":'], ['[1,2]'], ['"a string"']])(
    'answers 400 JSON to the body %s',
    async (body) => {
      const res = await call(h.emulator, '/passwordless/sessions', { body });
      expect(res).toMatchObject({ status: 400, body: { code: 'invalid_json' } });
    },
  );

  it('answers 422 with a WorkOS-style errors list', async () => {
    const res = await call(h.emulator, '/passwordless/sessions', {
      body: JSON.stringify({ type: 'Other', expires_in: 60 }),
    });
    expect(res.status).toBe(422);
    expect(res.body).toEqual({
      message: 'Validation failed',
      code: 'invalid_request_parameters',
      errors: expect.arrayContaining([
        { field: 'type', code: 'type_must_be_magic_link' },
        { field: 'email', code: 'email_required' },
        { field: 'expires_in', code: 'expires_in_out_of_range' },
      ]),
    });
  });

  it('answers 413 to a body over 64 KB, declared or chunked', async () => {
    const big = JSON.stringify({ type: 'MagicLink', email: 'a@b.co', state: 'x'.repeat(70_000) });
    expect((await call(h.emulator, '/passwordless/sessions', { body: big })).status).toBe(413);

    const status = await new Promise<number | undefined>((resolve, reject) => {
      const req = request(
        `${h.emulator.url}/passwordless/sessions`,
        { method: 'POST', headers: { Authorization: `Bearer ${h.emulator.apiKey}` } },
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
      const socket = connect(h.emulator.port, '127.0.0.1', () => socket.write('NOT HTTP\r\n\r\n'));
      let data = '';
      socket.on('data', (chunk) => (data += chunk.toString()));
      socket.on('close', () => resolve(data));
      socket.on('error', reject);
    });
    expect(reply.startsWith('HTTP/1.1 400')).toBe(true);
    expect(reply).toMatch(
      /\r\nX-Request-ID: [0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\r\n/,
    );
    await rawSession(h.emulator);
  });

  it('refuseConnections destroys a fresh connection as soon as it opens', async () => {
    h.emulator.refuseConnections(true);
    const socket = connect(h.emulator.port, '127.0.0.1');
    socket.on('error', () => undefined);
    // The server destroys it; no timer decides the outcome.
    await new Promise<void>((resolve) => socket.on('close', () => resolve()));
    expect(socket.bytesRead).toBe(0);
    expect(h.emulator.requests).toHaveLength(0);
  });

  it('reset() clears the outbox, the log and the fault switches', async () => {
    const { id } = await rawSession(h.emulator);
    await call(h.emulator, `/passwordless/sessions/${id}/send`, { body: '{}' });
    h.emulator.failNext(5, 500);
    h.emulator.delay(10_000);
    h.emulator.refuseConnections(true);
    h.emulator.reset();
    expect(h.emulator.outbox).toHaveLength(0);
    expect(h.emulator.requests).toHaveLength(0);
    expect(
      (await call(h.emulator, `/passwordless/sessions/${id}/send`, { body: '{}' })).status,
    ).toBe(201);
  });
});

describe('options', () => {
  it.each([
    [{ apiKey: '' }, /apiKey must be a non-empty string/],
    [{ defaultRedirectUri: 'https://app.test/cb?x=1' }, /defaultRedirectUri is invalid/],
    [{ linkTtlMs: -1 }, /linkTtlMs must be a positive number/],
    [{ maxEntries: 1.5 }, /maxEntries must be a positive integer/],
    [{ omitStateOnAccessDenied: 'yes' }, /omitStateOnAccessDenied must be true or false/],
    [{ allowedRedirectUris: 'https://a.test/cb' }, /allowedRedirectUris must be an array/],
    [{ allowedRedirectUris: ['https://a.test/cb#x'] }, /allowedRedirectUris must be an array/],
  ])('refuses %p with a TypeError that says the fix', async (options, message) => {
    // Close an emulator that starts by mistake, or its server keeps jest from exiting.
    const outcome = await startWorkOSEmulator(options as never).then(
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
