import { WorkOS } from '@workos-inc/node';
import { magicLinkRouter, memoryStore, selfHostedProvider, workosProvider } from '../lib/index';
import type { MagicLinkOptions, WorkOSClientLike } from '../lib/index';

const SECRET = 'options-test-secret-0123456789abcdef0123';

function workosClient(): WorkOSClientLike {
  return new WorkOS('sk_test_options', {
    clientId: 'client_options',
  }) as unknown as WorkOSClientLike;
}

function workosOptions(): MagicLinkOptions {
  return {
    provider: workosProvider({ workos: workosClient(), clientId: 'client_options' }),
    secret: SECRET,
    origin: 'https://app.example.com',
  };
}

function selfHostedOptions(): MagicLinkOptions {
  return {
    provider: selfHostedProvider(),
    delivery: async () => undefined,
    secret: SECRET,
    origin: 'https://app.example.com',
  };
}

function without<T extends object>(options: T, key: keyof T): Partial<T> {
  return Object.fromEntries(Object.entries(options).filter(([k]) => k !== key)) as Partial<T>;
}

/** The TypeError `fn` throws; fails the test if it throws anything else, or nothing. */
function typeErrorOf(fn: () => unknown): TypeError {
  let thrown: unknown;
  try {
    fn();
  } catch (err) {
    thrown = err;
  }
  expect(thrown).toBeInstanceOf(TypeError);
  return thrown as TypeError;
}

function expectOptionError(options: unknown, option: string, fix: RegExp): void {
  const { message } = typeErrorOf(() => magicLinkRouter(options as MagicLinkOptions));
  expect(message.startsWith(`magicLinkRouter: ${option}`)).toBe(true);
  expect(message).toMatch(fix);
}

function withNodeEnv(value: string, fn: () => void): void {
  const saved = process.env.NODE_ENV;
  process.env.NODE_ENV = value;
  try {
    fn();
  } finally {
    if (saved === undefined) delete process.env.NODE_ENV;
    else process.env.NODE_ENV = saved;
  }
}

describe('magicLinkRouter() accepts good options', () => {
  it('builds a named middleware from the minimal WorkOS and self-hosted options', () => {
    for (const options of [workosOptions(), selfHostedOptions()]) {
      const middleware = magicLinkRouter(options);
      expect(typeof middleware).toBe('function');
      expect(middleware.name).toBe('magicLinkRouter');
      expect(middleware.length).toBe(3);
    }
  });

  it('accepts rotated secrets, a trailing slash on the origin and a nested basePath', () => {
    expect(() =>
      magicLinkRouter({
        ...workosOptions(),
        secret: [SECRET, `${SECRET}-old`],
        origin: 'https://app.example.com/',
        basePath: '/api/auth/',
        redirectUri: 'https://app.example.com/api/auth/callback',
      }),
    ).not.toThrow();
  });

  it('accepts an https origin in production, and localhost over http', () => {
    withNodeEnv('production', () => {
      const store = memoryStore({ warnInProduction: false });
      expect(() => magicLinkRouter({ ...workosOptions(), store })).not.toThrow();
      expect(() =>
        magicLinkRouter({ ...workosOptions(), store, origin: 'http://localhost:3000' }),
      ).not.toThrow();
    });
  });
});

describe('magicLinkRouter() refuses a bad secret', () => {
  const withoutSecret = without(workosOptions(), 'secret');
  it.each([
    ['missing', withoutSecret, /openssl rand -base64 32/],
    ['too short', { ...workosOptions(), secret: 'short' }, /at least 32 characters.*openssl/],
    ['not a string', { ...workosOptions(), secret: 42 }, /Pass e\.g\. secret: process\.env/],
    ['an empty array', { ...workosOptions(), secret: [] }, /Pass at least one secret/],
    ['an array with a short one', { ...workosOptions(), secret: [SECRET, 'x'] }, /openssl/],
    ['an array with a non-string', { ...workosOptions(), secret: [SECRET, null] }, /Pass e\.g\./],
  ])('%s', (_name, options, fix) => {
    expectOptionError(options, 'secret', fix);
  });
});

describe('magicLinkRouter() refuses a bad provider', () => {
  const withoutProvider = without(workosOptions(), 'provider');
  it.each([
    ['missing', withoutProvider],
    ['a plain object', { ...workosOptions(), provider: {} }],
    ['the factory itself', { ...workosOptions(), provider: selfHostedProvider }],
  ])('%s', (_name, options) => {
    expectOptionError(
      options,
      'provider',
      /Pass provider: workosProvider\(.*selfHostedProvider\(\)/,
    );
  });
});

describe('magicLinkRouter() refuses a bad origin', () => {
  it.each([
    ['not a URL', 'app.example.com', /is not a valid URL.*Pass e\.g\. origin: 'https:/],
    ['with a path', 'https://app.example.com/app', /no path.*Pass "https:\/\/app\.example\.com"/],
    ['with a query', 'https://app.example.com?x=1', /Pass "https:\/\/app\.example\.com"/],
    ['with credentials', 'https://u:p@app.example.com', /credentials/],
    ['ftp:', 'ftp://app.example.com', /must use http: or https:.*Pass e\.g\./],
    ['not a string', 42, /must be a string.*Pass e\.g\./],
  ])('%s', (_name, origin, fix) => {
    expectOptionError({ ...workosOptions(), origin }, 'origin', fix);
  });

  it('missing under NODE_ENV=production', () => {
    const withoutOrigin = without(workosOptions(), 'origin');
    withNodeEnv('production', () => {
      expectOptionError(withoutOrigin, 'origin', /required in production.*Pass your app's/);
    });
    expect(process.env.NODE_ENV).toBe('test');
    expect(() => magicLinkRouter(withoutOrigin as MagicLinkOptions)).not.toThrow();
  });

  it('http: (not localhost) under NODE_ENV=production', () => {
    withNodeEnv('production', () => {
      expectOptionError(
        { ...workosOptions(), origin: 'http://app.example.com' },
        'origin',
        /must use https: in production.*Serve the app over HTTPS/,
      );
    });
  });
});

describe('magicLinkRouter() refuses a bad redirectUri', () => {
  it.each([
    ['with a query string', 'https://app.example.com/auth/callback?x=1', /query string.*returnTo/],
    ['with a wildcard', 'https://*.example.com/auth/callback', /wildcard.*exact callback URL/],
    ['relative', '/auth/callback', /valid absolute URL.*Pass e\.g\. redirectUri:/],
    ['with a fragment', 'https://app.example.com/auth/callback#x', /Remove the #fragment/],
    ['javascript:', 'javascript:alert(1)//', /http: or https:.*callback URL/],
  ])('%s', (_name, redirectUri, fix) => {
    expectOptionError({ ...workosOptions(), redirectUri }, 'redirectUri', fix);
  });
});

describe('magicLinkRouter() refuses bad paths and modes', () => {
  it.each([
    ['crossDevice', 'maybe', /Pass crossDevice: 'relay' \(the default\), 'confirm' or 'deny'/],
    ['crossDevice', true, /Pass crossDevice: 'relay' \(the default\), 'confirm' or 'deny'/],
    ['basePath', '//x', /single "\/".*Pass e\.g\. basePath:/],
    ['basePath', 'x', /single "\/".*Pass e\.g\. basePath:/],
    ['basePath', '/', /must not be "\/".*Pass a prefix such as '\/auth'/],
    ['basePath', '/auth?x=1', /Pass e\.g\. basePath:/],
    ['basePath', '/auth#x', /Pass e\.g\. basePath:/],
    ['afterSignIn', 'https://evil.com', /same-origin path.*Pass e\.g\. afterSignIn:/],
    ['afterSignIn', '//evil', /same-origin path.*Pass e\.g\. afterSignIn:/],
    ['afterSignIn', '/\\evil', /same-origin path/],
    ['afterSignOut', 'javascript:alert(1)', /same-origin path.*Pass e\.g\. afterSignOut:/],
  ])('%s: %j', (option, value, fix) => {
    expectOptionError({ ...workosOptions(), [option]: value }, option, fix);
  });
});

describe('magicLinkRouter() refuses unknown and mistyped options', () => {
  it.each(['secrets', 'crossdevice', 'providerTimeout', 'rateLimits'])('%s', (typo) => {
    expectOptionError({ ...workosOptions(), [typo]: 1 }, typo, /Check the spelling.*provider/);
  });
});

describe('magicLinkRouter() refuses a bad delivery', () => {
  it('missing, for the self-hosted provider', () => {
    const withoutDelivery = without(selfHostedOptions(), 'delivery');
    expectOptionError(withoutDelivery, 'delivery', /required.*smtpMailer\(/);
  });

  it("'workos', for the self-hosted provider", () => {
    expectOptionError(
      { ...selfHostedOptions(), delivery: 'workos' },
      'delivery',
      /only works with workosProvider\(\).*Pass a mailer or a function/,
    );
  });

  it.each([
    ['a number', 42],
    ['an object without send()', {}],
    ['a string', 'smtp'],
  ])('%s', (_name, delivery) => {
    expectOptionError({ ...selfHostedOptions(), delivery }, 'delivery', /Pass e\.g\./);
  });
});

describe('magicLinkRouter() refuses bad limits, timeouts, stores and sessions', () => {
  it.each([
    [{ perEmail: [{ limit: 0, windowMs: 60_000 }] }, /perEmail\[0\].*Write it as/],
    [{ perIp: [{ limit: 3 }] }, /perIp\[0\].*Write it as/],
    [{ perIp: 'none' }, /perIp must be an array.*e\.g\./],
  ])('rateLimit %j', (rateLimit, fix) => {
    expectOptionError({ ...workosOptions(), rateLimit }, 'rateLimit', fix);
  });

  it('dangerouslyDisableRateLimit that is not a boolean', () => {
    expectOptionError(
      { ...workosOptions(), dangerouslyDisableRateLimit: 'yes' },
      'dangerouslyDisableRateLimit',
      /must be a boolean.*Pass true/,
    );
  });

  it.each([0, 99, 120_001, 1.5, '1000', Number.NaN])('providerTimeoutMs %p', (value) => {
    expectOptionError(
      { ...workosOptions(), providerTimeoutMs: value },
      'providerTimeoutMs',
      /between 100 and 120000.*Pass e\.g\./,
    );
  });

  it('a store without take()', () => {
    const store = without(memoryStore(), 'take');
    expectOptionError({ ...workosOptions(), store }, 'store', /take\(\).*Pass memoryStore\(\)/);
  });

  it.each([
    ['an empty object', {}],
    ['an adapter without signOut', { getUser: async () => null, signIn: async () => undefined }],
    ['a string', 'express-session'],
  ])('a session adapter that is %s', (_name, session) => {
    expectOptionError(
      { ...workosOptions(), session },
      'session',
      /getUser, signIn and signOut.*Pass expressSessionAdapter\(\)/,
    );
  });

  it.each(['allow', 'onSignIn', 'onEvent', 'emailTemplate'])(
    '%s that is not a function',
    (name) => {
      expectOptionError({ ...workosOptions(), [name]: 'yes' }, name, /must be a function.*Pass a/);
    },
  );

  it.each([
    ['appName', ''],
    ['appName', 'Acme\r\nBcc: x@evil.com'],
    ['signInPage', 'custom'],
  ])('%s %j', (name, value) => {
    expectOptionError({ ...workosOptions(), [name]: value }, name, /Pass/);
  });
});

describe('magicLinkRouter() detects misuse', () => {
  it('says the fix for app.use(magicLinkRouter) without the call', () => {
    const req = { method: 'GET', headers: {}, url: '/' };
    const call = magicLinkRouter as unknown as (...args: unknown[]) => unknown;
    const { message } = typeErrorOf(() => call(req, {}, () => undefined));
    expect(message.startsWith('magicLinkRouter: it appears')).toBe(true);
    expect(message).toContain('app.use(magicLinkRouter({ provider, secret }))');
  });

  it('asks for options when called with none', () => {
    expectOptionError(
      undefined,
      'options',
      /Call magicLinkRouter\(\{ provider, secret, origin \}\)/,
    );
  });
});

describe('provider factories refuse bad options', () => {
  it('workosProvider without a client', () => {
    const { message } = typeErrorOf(() =>
      workosProvider({ clientId: 'client_x' } as unknown as Parameters<typeof workosProvider>[0]),
    );
    expect(message.startsWith('workosProvider: workos')).toBe(true);
    expect(message).toContain(
      "new WorkOS(process.env.WORKOS_API_KEY, { clientId }) from '@workos-inc/node'",
    );
  });

  it('workosProvider without a clientId', () => {
    const { message } = typeErrorOf(() =>
      workosProvider({ workos: workosClient() } as unknown as Parameters<typeof workosProvider>[0]),
    );
    expect(message.startsWith('workosProvider: clientId')).toBe(true);
    expect(message).toContain('Pass clientId: process.env.WORKOS_CLIENT_ID');
  });

  it.each([61 * 60 * 1000, 30_000, 1.5e6 + 0.5])('selfHostedProvider with ttlMs %p', (ttlMs) => {
    const { message } = typeErrorOf(() => selfHostedProvider({ ttlMs }));
    expect(message.startsWith('selfHostedProvider: ttlMs')).toBe(true);
    expect(message).toContain('Pass e.g. ttlMs: 15 * 60 * 1000');
  });
});
