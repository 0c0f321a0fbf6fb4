import * as workos11 from '@workos-inc/node';
import { DEFAULT_EMULATOR_LINK_TTL_MS } from '../../../lib/testing/workos';
import {
  BOUNDARIES,
  REDIRECT,
  SDKS,
  START,
  call,
  createSession,
  rawSession,
  rejection,
  useEmulator,
  visit,
  withEmulator,
} from './harness';
import type { SdkClient } from './harness';

const h = useEmulator();

describe.each(SDKS)('passwordless sessions with $name', ({ create, errors, major }) => {
  let sdk: SdkClient;
  beforeEach(() => {
    sdk = create(h.emulator.apiKey, h.emulator);
  });

  describe('the sign-in flow', () => {
    it('creates, sends (201 { success: true }), redirects with code and state', async () => {
      const session = await createSession(sdk, 'ada@example.com', 'opaque state');
      expect(session).toMatchObject({ object: 'passwordless_session', email: 'ada@example.com' });
      expect(session.id).toMatch(/^passwordless_session_[0-9A-Z]{26}$/);
      expect(session.link.startsWith(`${h.emulator.url}/passwordless/`)).toBe(true);
      // Typed as Date by both SDKs, but neither deserializes it: the wire string comes through.
      expect(session.expiresAt).toBe(new Date(START + DEFAULT_EMULATOR_LINK_TTL_MS).toISOString());

      await expect(sdk.passwordless.sendSession(session.id)).resolves.toEqual({ success: true });
      expect(h.emulator.outbox).toHaveLength(1);
      const email = h.emulator.outbox[0]!;
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
      expect(target.searchParams.get('code')).toMatch(/^[0-9A-Z]{26}$/);
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
      expect(h.emulator.outbox).toHaveLength(0);
    });

    it.each([
      ['used', (link: string) => visit(link).then(() => undefined)],
      [
        'expired',
        async () => {
          h.clock = START + DEFAULT_EMULATOR_LINK_TTL_MS;
        },
      ],
    ])(
      'answers UnprocessableEntityException (422) for sending a %s session',
      async (_label, spoil) => {
        const session = await createSession(sdk);
        await spoil(session.link);
        const error = await rejection(sdk.passwordless.sendSession(session.id));
        expect(error).toBeInstanceOf(errors.UnprocessableEntityException);
        expect(error.status).toBe(422);
        expect(error.message).toBe(
          `The passwordless session '${session.id}' has expired or is invalid.`,
        );
        expect(h.emulator.outbox).toHaveLength(0);
      },
    );

    it('puts a UUID X-Request-ID into the requestID of the errors', async () => {
      const error = await rejection(sdk.passwordless.sendSession('passwordless_session_nope'));
      // 8.13 reads the header from a Headers object with [], so its requestID stays ''.
      if (major === 11) expect(error.requestID).toMatch(UUID);
      else expect(error.requestID).toBe('');
    });
  });

  describe('single use and expiry', () => {
    it('redirects a replayed link with access_denied and the state, and no code', async () => {
      const session = await createSession(sdk);
      await visit(session.link);
      const replay = await visit(session.link);
      expect(replay.searchParams.get('error')).toBe('access_denied');
      expect(replay.searchParams.get('error_description')).toEqual(expect.any(String));
      expect(replay.searchParams.get('state')).toBe('state-1');
      expect(replay.searchParams.has('code')).toBe(false);
    });

    it.each(BOUNDARIES)('a link visited $when is valid: $valid', async ({ offset, valid }) => {
      const session = await createSession(sdk);
      h.clock = START + DEFAULT_EMULATOR_LINK_TTL_MS + offset;
      const target = await visit(session.link);
      expect(target.searchParams.has('code')).toBe(valid);
      expect(target.searchParams.get('error')).toBe(valid ? null : 'access_denied');
    });

    it.each([900, 3600, 86_400])(
      'sends expiresIn %i as expires_in, and the link lives that long',
      async (seconds) => {
        const make = () =>
          sdk.passwordless.createSession({
            type: 'MagicLink',
            email: 'ada@example.com',
            redirectURI: REDIRECT,
            expiresIn: seconds,
          });
        const [early, late] = [await make(), await make()];
        expect(early.expiresAt).toBe(new Date(START + seconds * 1000).toISOString());
        h.clock = START + seconds * 1000 - 1;
        await sdk.passwordless.sendSession(early.id);
        expect(h.emulator.outbox[0]!.text).toContain(`expires in ${seconds / 60} minutes`);
        expect((await visit(early.link)).searchParams.has('code')).toBe(true);
        h.clock = START + seconds * 1000;
        expect((await visit(late.link)).searchParams.get('error')).toBe('access_denied');
      },
    );

    it.each([[0], [60], [899], [86_401], [1.5]])(
      'refuses expiresIn %p with UnprocessableEntityException (422)',
      async (expiresIn) => {
        const error = await rejection(
          sdk.passwordless.createSession({
            type: 'MagicLink',
            email: 'ada@example.com',
            redirectURI: REDIRECT,
            expiresIn,
          }),
        );
        expect(error).toBeInstanceOf(errors.UnprocessableEntityException);
        expect(error.message).toContain(
          Number.isInteger(expiresIn) ? 'expires_in_out_of_range' : 'expires_in_invalid',
        );
      },
    );
  });

  describe('validation', () => {
    it('refuses a wrong API key with UnauthorizedException (401)', async () => {
      const impostor = create('sk_test_wrong', h.emulator);
      const error = await rejection(createSession(impostor));
      expect(error).toBeInstanceOf(errors.UnauthorizedException);
      expect(error.status).toBe(401);
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
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('link visits', () => {
  it('HEAD spends the link too, like the harshest scanner', async () => {
    const { link } = await rawSession(h.emulator);
    expect((await visit(link, 'HEAD')).searchParams.has('code')).toBe(true);
    expect((await visit(link)).searchParams.get('error')).toBe('access_denied');
  });

  it('answers 405 to other methods without spending the link', async () => {
    const { link } = await rawSession(h.emulator);
    const res = await fetch(link, { method: 'POST', redirect: 'manual' });
    expect(res.status).toBe(405);
    expect((await visit(link)).searchParams.has('code')).toBe(true);
  });

  it('answers 404 to an unknown link', async () => {
    const res = await fetch(`${h.emulator.url}/passwordless/unknownToken123/confirm`, {
      redirect: 'manual',
    });
    expect(res.status).toBe(404);
  });

  it('logs link visits and API calls, and needs no API key to visit', async () => {
    const { link } = await rawSession(h.emulator);
    await visit(link);
    expect(h.emulator.requests).toEqual([
      { method: 'POST', path: '/passwordless/sessions' },
      { method: 'GET', path: new URL(link).pathname },
    ]);
  });

  it('answers every request, link visits included, with a fresh UUID X-Request-ID', async () => {
    const { link } = await rawSession(h.emulator);
    const visitRes = await fetch(link, { redirect: 'manual' });
    const ids = [
      visitRes.headers.get('x-request-id'),
      (await call(h.emulator, '/nope', { method: 'GET' })).requestId,
      (await call(h.emulator, '/passwordless/sessions', { body: '{}', apiKey: null })).requestId,
    ];
    for (const id of ids) expect(id).toMatch(UUID);
    expect(new Set(ids).size).toBe(3);
  });
});

describe('options', () => {
  it('uses defaultRedirectUri when a session gives none', async () => {
    await withEmulator({ defaultRedirectUri: REDIRECT }, async (emulator) => {
      const sdk = new workos11.WorkOS(emulator.apiKey, {
        ...emulator.sdkOptions(),
        maxRetries: 0,
      });
      const session = await sdk.passwordless.createSession({ type: 'MagicLink', email: 'a@b.co' });
      const target = await visit(session.link);
      expect(`${target.origin}${target.pathname}`).toBe(REDIRECT);
    });
  });

  it.each([
    [false, 'keeps', 'state-1'],
    [true, 'drops', null],
  ])(
    'omitStateOnAccessDenied: %p %s state on access_denied, never on success',
    async (omitStateOnAccessDenied, _verb, deniedState) => {
      await withEmulator({ omitStateOnAccessDenied }, async (emulator) => {
        const { link } = await rawSession(emulator, { state: 'state-1' });
        expect((await visit(link)).searchParams.get('state')).toBe('state-1');
        const denied = await visit(link);
        expect(denied.searchParams.get('error')).toBe('access_denied');
        expect(denied.searchParams.get('state')).toBe(deniedState);
      });
    },
  );

  describe('allowedRedirectUris', () => {
    const OTHER = 'https://app.example.com/auth/callback';

    it.each(SDKS)(
      'with $name: allows a listed URI and refuses another with UnprocessableEntityException',
      async ({ create, errors }) => {
        await withEmulator({ allowedRedirectUris: [REDIRECT] }, async (emulator) => {
          const sdk = create(emulator.apiKey, emulator);
          await expect(createSession(sdk)).resolves.toMatchObject({ email: 'ada@example.com' });
          const error = await rejection(
            sdk.passwordless.createSession({
              type: 'MagicLink',
              email: 'ada@example.com',
              redirectURI: OTHER,
            }),
          );
          expect(error).toBeInstanceOf(errors.UnprocessableEntityException);
          expect(error.message).toContain('redirect_uri_not_allowed');
        });
      },
    );

    it('compares exactly and always allows defaultRedirectUri', async () => {
      await withEmulator(
        { allowedRedirectUris: [OTHER], defaultRedirectUri: REDIRECT },
        async (emulator) => {
          const answer = (redirect_uri?: string) =>
            call(emulator, '/passwordless/sessions', {
              body: JSON.stringify({ type: 'MagicLink', email: 'a@b.co', redirect_uri }),
            });
          expect((await answer(undefined)).status).toBe(201);
          expect((await answer(REDIRECT)).status).toBe(201);
          expect((await answer(OTHER)).status).toBe(201);
          const trailing = await answer(`${OTHER}/`);
          expect(trailing).toMatchObject({
            status: 422,
            body: {
              code: 'invalid_request_parameters',
              errors: [{ field: 'redirect_uri', code: 'redirect_uri_not_allowed' }],
            },
          });
        },
      );
    });
  });

  it('evicts the oldest session beyond maxEntries', async () => {
    await withEmulator({ maxEntries: 2 }, async (emulator) => {
      const make = () => rawSession(emulator);
      const [first, second, third] = [await make(), await make(), await make()];
      expect((await fetch(first.link, { redirect: 'manual' })).status).toBe(404);
      expect((await visit(second.link)).searchParams.has('code')).toBe(true);
      expect((await visit(third.link)).searchParams.has('code')).toBe(true);
    });
  });
});
