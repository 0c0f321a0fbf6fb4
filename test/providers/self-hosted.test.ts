import { createHash } from 'node:crypto';
import request from 'supertest';
import { MagicLinkError, memoryStore, selfHostedProvider } from '../../lib/index';
import type { Provider, StartContext, Store } from '../../lib/index';
import { createTestApp, pathOf, TEST_SECRET } from '../helpers/app';
import type { TestApp } from '../helpers/app';
import { askForLink, nextEmail } from '../helpers/sign-in';
import { signInOf } from '../../lib/providers/provider';

/** A store that remembers every key and value ever written to it. */
function recordingStore(): Store & { written: string[] } {
  const inner = memoryStore();
  const written: string[] = [];
  return {
    written,
    get: (key) => inner.get(key),
    take: (key) => inner.take(key),
    delete: (key) => inner.delete(key),
    set(key, value, ttlMs) {
      written.push(key, value);
      return inner.set(key, value, ttlMs);
    },
    increment(key, ttlMs) {
      written.push(key);
      return inner.increment(key, ttlMs);
    },
  };
}

const OTHER_SECRET = 'another-secret-fedcba9876543210fedcba9876543210';
const BINDING = createHash('sha256').update('nonce').digest('base64url');
const CTX: StartContext = {
  state: 'sealed-state',
  redirectUri: 'https://app.example.com/auth/callback',
  binding: BINDING,
  providerSends: false,
};

function ready(
  options: Parameters<typeof selfHostedProvider>[0] = {},
  secrets: readonly string[] = [TEST_SECRET],
) {
  const store = recordingStore();
  const provider = selfHostedProvider(options);
  provider.init!({ store, secrets });
  return { provider, store };
}

function tokenOf(link: string | null): string {
  return new URL(link!).searchParams.get('code')!;
}

async function idFor(provider: Provider, email: string): Promise<string> {
  const started = await provider.start(email, CTX);
  return signInOf(await provider.finish(tokenOf(started.link))).profile.id;
}

describe('selfHostedProvider tokens', () => {
  it('are 32 random bytes in 43 base64url characters, in a link to the callback', async () => {
    const { provider } = ready();
    const before = Date.now();
    const started = await provider.start('alice@example.com', CTX);
    const link = new URL(started.link!);
    expect(`${link.origin}${link.pathname}`).toBe(CTX.redirectUri);
    expect([...link.searchParams.keys()]).toEqual(['code', 'state']);
    expect(link.searchParams.get('state')).toBe(CTX.state);
    const token = tokenOf(started.link);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(token, 'base64url')).toHaveLength(32);
    expect(started.code).toMatch(/^[0-9]{6}$/);
    expect(started.expiresAt.getTime() - before).toBeGreaterThanOrEqual(15 * 60 * 1000);
    expect(started.expiresAt.getTime() - Date.now()).toBeLessThanOrEqual(15 * 60 * 1000);

    const tokens = new Set<string>();
    for (let i = 0; i < 50; i += 1) tokens.add(tokenOf((await provider.start('a@b.co', CTX)).link));
    expect(tokens.size).toBe(50);
  });

  it.each([
    ['https://app.example.com/auth/callback', 'sealed-state_1'],
    ['https://APP.example.com:443/auth/../auth/callback', 'sealed-state'],
    ['https://app.example.com/auth/callback?tenant=a%20b&code=old', 'sealed-state'],
    ['https://app.example.com/auth/callback?', 'sealed-state'],
    ['https://app.example.com/auth/callback#', 'sealed-state'],
    ['https://app.example.com/auth/callback#frag', 'sealed-state'],
    ['https://app.example.com/auth/call back', 'needs escaping: +/=&?'],
  ])('write the link to %s as URL and searchParams would', async (redirectUri, state) => {
    const { provider } = ready();
    for (let i = 0; i < 2; i += 1) {
      const started = await provider.start('alice@example.com', { ...CTX, redirectUri, state });
      const expected = new URL(redirectUri);
      expected.searchParams.set('code', tokenOf(started.link));
      expected.searchParams.set('state', state);
      expect(started.link).toBe(expected.href);
    }
  });

  it('are stored only as their SHA-256, and the code only as a keyed digest', async () => {
    const { provider, store } = ready();
    const started = await provider.start('alice@example.com', CTX);
    const token = tokenOf(started.link);
    const code = started.code!;
    const digest = createHash('sha256').update(token).digest('base64url');

    expect(store.written).toContain(`tok:${digest}`);
    expect(store.written).toContain(`otp:${BINDING}`);
    // Compact: the code's digest, the state and the address; no binding, no expiry, no names.
    const record = store.written[store.written.indexOf(`tok:${digest}`) + 1]!;
    expect(record).toMatch(/^[A-Za-z0-9_-]{22}\.[^.]+\.alice@example\.com$/);
    expect(record.split('.')[1]).toBe(CTX.state);
    expect(record).not.toContain(BINDING);
    expect(record).not.toContain(code);

    await expect(
      provider.verifyCode!(BINDING, String((Number(code) + 1) % 1e6).padStart(6, '0')),
    ).rejects.toMatchObject({ code: 'ERR_CODE_INVALID' });
    await provider.verifyCode!(BINDING, code);
    for (const written of store.written) {
      expect(written).not.toContain(token);
      expect(written.split(/[^A-Za-z0-9]+/)).not.toContain(code);
    }
  });

  it('are spent by the first finish; malformed, unknown and revoked ones are refused', async () => {
    const { provider } = ready();
    const started = await provider.start('alice@example.com', CTX);
    const token = tokenOf(started.link);
    const { profile } = signInOf(await provider.finish(token));
    expect(profile.email).toBe('alice@example.com');
    await expect(provider.finish(token)).rejects.toMatchObject({ code: 'ERR_LINK_INVALID' });
    for (const bad of ['', token.slice(0, 42), `${token}A`, 'a'.repeat(42) + '=']) {
      await expect(provider.finish(bad)).rejects.toBeInstanceOf(MagicLinkError);
    }
    const revoked = await provider.start('alice@example.com', CTX);
    await revoked.revoke();
    await expect(provider.finish(tokenOf(revoked.link))).rejects.toMatchObject({
      code: 'ERR_LINK_INVALID',
    });
    await expect(provider.verifyCode!(BINDING, revoked.code!)).rejects.toMatchObject({
      code: 'ERR_CODE_INVALID',
    });
  });

  it('refuse to start before the router initialised the provider', async () => {
    await expect(selfHostedProvider().start('a@b.co', CTX)).rejects.toThrow(/not initialised/);
  });
});

describe('selfHostedProvider options', () => {
  it('accept a lifetime from 1 to 60 minutes and nothing else', () => {
    expect(selfHostedProvider().linkTtlMs).toBe(15 * 60 * 1000);
    expect(selfHostedProvider({ ttlMs: 60 * 60 * 1000 }).linkTtlMs).toBe(3_600_000);
    expect(selfHostedProvider({ ttlMs: 60_000 }).linkTtlMs).toBe(60_000);
    for (const ttlMs of [60 * 60 * 1000 + 1, 2 * 60 * 60 * 1000, 59_999, 0, -1, 1.5, NaN]) {
      expect(() => selfHostedProvider({ ttlMs })).toThrow(TypeError);
    }
    expect(() => selfHostedProvider({ ttlMs: 61 * 60 * 1000 })).toThrow(
      /^selfHostedProvider: ttlMs must be an integer between 60000 and 3600000/,
    );
  });

  it('accept 1 to 10 code attempts, and a boolean for codes', () => {
    for (const maxCodeAttempts of [0, 11, 2.5]) {
      expect(() => selfHostedProvider({ maxCodeAttempts })).toThrow(TypeError);
    }
    expect(() => selfHostedProvider({ codes: 'no' as unknown as boolean })).toThrow(TypeError);
  });

  it('with codes off, issue no code and offer no verifyCode', async () => {
    const { provider, store } = ready({ codes: false });
    expect(provider.verifyCode).toBeUndefined();
    const started = await provider.start('alice@example.com', CTX);
    expect(started.code).toBeNull();
    expect(store.written.some((w) => w.startsWith('otp'))).toBe(false);
  });
});

describe('selfHostedProvider profile ids', () => {
  it('are stable per canonical address and keyed by the oldest secret', async () => {
    const a = ready().provider;
    const b = ready().provider;
    const id = await idFor(a, 'alice@example.com');
    expect(await idFor(a, 'Alice@EXAMPLE.com')).toBe(id);
    expect(await idFor(b, 'alice@example.com')).toBe(id);
    expect(await idFor(a, 'bob@example.com')).not.toBe(id);
    expect(await idFor(ready({}, [OTHER_SECRET]).provider, 'alice@example.com')).not.toBe(id);
    // Rotation puts the new secret first; ids follow the last (original) one and survive it.
    expect(await idFor(ready({}, [OTHER_SECRET, TEST_SECRET]).provider, 'alice@example.com')).toBe(
      id,
    );
  });
});

describe('Self-hosted sign-in with codes: false', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp({
      provider: 'self-hosted',
      router: { provider: selfHostedProvider({ codes: false }), crossDevice: 'confirm' },
    });
  });
  afterEach(() => t.close());

  // Under 'relay' (the default) the form and the route stay, for the codes links show elsewhere.
  it("emails a link and no code, and under crossDevice: 'confirm' has no code form or verify route", async () => {
    const agent = request.agent(t.url);
    await askForLink(agent, 'alice@example.com');
    const { mail, link, code } = await nextEmail(t, 'alice@example.com');
    expect(code).toBeNull();
    expect(mail.text).not.toContain('enter this code');
    expect(mail.html as string).not.toContain('enter this code');
    expect((mail.text ?? '').replace(link, '')).not.toMatch(/(?<![0-9])[0-9]{6}(?![0-9])/);

    const sent = await agent.get('/auth/magic-link/sent');
    expect(sent.text).not.toContain('/auth/magic-link/verify');
    const verify = await agent
      .post('/auth/magic-link/verify')
      .type('form')
      .send({ code: '123456' });
    expect(verify.status).toBe(404);

    expect((await agent.get(pathOf(link))).status).toBe(303);
  });
});
