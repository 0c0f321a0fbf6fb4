import * as workos11 from '@workos-inc/node';
import * as workos8 from 'workos8';
import { startWorkOSEmulator } from '../../../lib/testing/workos';
import type { WorkOSEmulator, WorkOSEmulatorOptions } from '../../../lib/testing/workos';

/** The slice of the SDK these tests use; both versions satisfy it structurally. */
export interface SdkClient {
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

/** A Magic Auth object as both SDKs deserialize it. */
export interface MagicAuthResult {
  object: string;
  id: string;
  userId: string;
  email: string;
  code: string;
  expiresAt: string;
  createdAt: string;
  updatedAt: string;
}

export interface AuthenticationResult {
  user: {
    object: string;
    id: string;
    email: string;
    emailVerified: boolean;
    firstName: string | null;
    lastName: string | null;
    profilePictureUrl: string | null;
    createdAt: string;
    updatedAt: string;
  };
  organizationId?: string;
  accessToken: string;
  refreshToken: string;
  authenticationMethod?: string;
}

/** The Magic Auth slice of `userManagement`; 8.13's createMagicAuth has no ipAddress/userAgent. */
export interface UserManagementClient {
  userManagement: {
    createMagicAuth(options: { email: string; invitationToken?: string }): Promise<MagicAuthResult>;
    getMagicAuth(id: string): Promise<MagicAuthResult>;
    authenticateWithMagicAuth(options: {
      clientId: string;
      code: string;
      email: string;
      ipAddress?: string;
      userAgent?: string;
    }): Promise<AuthenticationResult>;
  };
}

type ErrorClass = new (...args: never[]) => Error;

export interface SdkCase {
  name: string;
  /** The major version, for the rows where the two SDKs differ. */
  major: 8 | 11;
  create(apiKey: string, emulator: WorkOSEmulator): SdkClient & UserManagementClient;
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

export const SDKS: SdkCase[] = [
  {
    name: '@workos-inc/node 11',
    major: 11,
    create: (apiKey, emulator) =>
      new workos11.WorkOS(apiKey, { ...emulator.sdkOptions(), maxRetries: 0 }),
    errors: workos11,
  },
  {
    name: '@workos-inc/node 8.13 (workos8)',
    major: 8,
    create: (apiKey, emulator) => new workos8.WorkOS(apiKey, emulator.sdkOptions()),
    errors: workos8,
  },
];

export const REDIRECT = 'http://localhost:3000/auth/callback';
export const START = Date.UTC(2030, 0, 1);

/** Around a TTL: valid while now < start + ttl. */
export const BOUNDARIES = [
  { when: '1 ms before the TTL', offset: -1, valid: true },
  { when: 'exactly at the TTL', offset: 0, valid: false },
  { when: '1 s after the TTL', offset: 1000, valid: false },
];

export interface Harness {
  emulator: WorkOSEmulator;
  /** The emulator's clock; reset to {@link START} before each test. */
  clock: number;
}

/** One emulator for the file, on a clock the tests move; reset before each test. */
export function useEmulator(options: WorkOSEmulatorOptions = {}): Harness {
  const harness = { emulator: undefined as unknown as WorkOSEmulator, clock: START };
  beforeAll(async () => {
    harness.emulator = await startWorkOSEmulator({ now: () => harness.clock, ...options });
  });
  afterAll(() => harness.emulator.close());
  beforeEach(() => {
    harness.clock = START;
    harness.emulator.reset();
  });
  return harness;
}

/** A second emulator for one test, closed whatever happens. */
export async function withEmulator<T>(
  options: WorkOSEmulatorOptions,
  run: (emulator: WorkOSEmulator) => Promise<T>,
): Promise<T> {
  const emulator = await startWorkOSEmulator(options);
  try {
    return await run(emulator);
  } finally {
    await emulator.close();
  }
}

export type SdkError = Error & Record<string, unknown>;

export async function rejection(promise: Promise<unknown>): Promise<SdkError> {
  try {
    await promise;
  } catch (error) {
    return error as SdkError;
  }
  throw new Error('expected the call to reject, but it resolved');
}

/** Click a link the way a browser (or scanner) does, and return where it redirects. */
export async function visit(link: string, method: 'GET' | 'HEAD' = 'GET'): Promise<URL> {
  const res = await fetch(link, { method, redirect: 'manual' });
  expect(res.status).toBe(302);
  return new URL(res.headers.get('location')!);
}

export function createSession(sdk: SdkClient, email = 'ada@example.com', state = 'state-1') {
  return sdk.passwordless.createSession({ type: 'MagicLink', email, redirectURI: REDIRECT, state });
}

export async function codeFor(sdk: SdkClient, email = 'ada@example.com'): Promise<string> {
  const session = await createSession(sdk, email);
  const code = (await visit(session.link)).searchParams.get('code');
  expect(code).toEqual(expect.any(String));
  return code!;
}

export interface RawAnswer {
  status: number;
  contentType: string | null;
  requestId: string | null;
  body: unknown;
}

/** A bare HTTP call, for what the SDK never sends. */
export async function call(
  emulator: WorkOSEmulator,
  path: string,
  init: { method?: string; body?: string; contentType?: string; apiKey?: string | null } = {},
): Promise<RawAnswer> {
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
    requestId: res.headers.get('x-request-id'),
    body: text === '' ? null : JSON.parse(text),
  };
}

export async function rawSession(
  emulator: WorkOSEmulator,
  extra: Record<string, unknown> = {},
): Promise<{ id: string; link: string }> {
  const res = await call(emulator, '/passwordless/sessions', {
    body: JSON.stringify({
      type: 'MagicLink',
      email: 'ada@example.com',
      redirect_uri: REDIRECT,
      state: 's',
      ...extra,
    }),
  });
  expect(res.status).toBe(201);
  return res.body as { id: string; link: string };
}
