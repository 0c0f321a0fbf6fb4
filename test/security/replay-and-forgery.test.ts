import request from 'supertest';
import { createSealer } from '../../lib/flow/seal';
import { isStatePayload } from '../../lib/flow/pending';
import type { StatePayload } from '../../lib/flow/pending';
import { createTestApp, TEST_SECRET } from '../helpers/app';
import type { TestApp } from '../helpers/app';
import {
  STACKS,
  cookieValue,
  expectNoStackTrace,
  expectRefused,
  paramsOf,
  requestCallback,
  SESSION_COOKIE,
  tokenCalls,
  resetApp,
} from './flow';

const USED = 'This sign-in link has expired or was already used.';
const OTHER_SECRET = 'another-secret-that-is-long-enough-0123456789';

function callback(code: string, state: string): string {
  return `/auth/callback?${new URLSearchParams({ code, state }).toString()}`;
}

describe.each(STACKS)('T1: a used link is refused (Express $express, SDK $sdk)', (stack) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ ...stack, rateLimit: false });
  });
  beforeEach(() => resetApp(t));
  afterAll(() => t.close());

  it('refuses the same callback URL after a successful sign-in, in any browser', async () => {
    const alice = request.agent(t.url);
    const path = await requestCallback(t, alice);
    const first = await alice.get(path);
    expect(first.status).toBe(303);
    expect(cookieValue(first, SESSION_COOKIE)).toBeDefined();
    expect(tokenCalls(t)).toBe(1);

    for (const replay of [alice.get(path), request(t.url).get(path)]) {
      const res = await replay;
      expectRefused(res, 400);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect(res.text).toContain('expired or was already used');
    }
    const { code, state } = paramsOf(path);
    const confirm = await request(t.url).post('/auth/callback').type('form').send({ code, state });
    expectRefused(confirm, 400);
    expect(tokenCalls(t)).toBe(1);
  });

  it('refuses a replay as JSON too', async () => {
    const alice = request.agent(t.url);
    const path = await requestCallback(t, alice);
    expect((await alice.get(path)).status).toBe(303);
    const again = await request(t.url).get(path).set('Accept', 'application/json');
    expectRefused(again, 400);
    expect(again.body).toEqual({ error: 'link_expired', message: USED });
  });
});

describe.each(STACKS)('T5: forged codes are refused (Express $express, SDK $sdk)', (stack) => {
  let t: TestApp;
  beforeAll(async () => {
    // 'confirm', so forged codes can also be posted to the confirmation step.
    t = await createTestApp({ ...stack, rateLimit: false, router: { crossDevice: 'confirm' } });
  });
  beforeEach(() => resetApp(t));
  afterAll(() => t.close());

  const malformed: [string, string][] = [
    ['empty', ''],
    ['non-base64url punctuation', 'abc$def'],
    ['a space', 'abc def'],
    ['a dot-dot path', '../../etc/passwd'],
    ['standard base64 padding', 'YWJjZA=='],
    ['standard base64 slash and plus', 'ab/c+d'],
    ['a NUL byte', 'abc\u0000def'],
    ['a non-ASCII letter', 'abcé'],
    ['513 characters', 'a'.repeat(513)],
  ];

  it.each(malformed)(
    'refuses a code with %s before asking WorkOS, and the real link still works',
    async (_name, bad) => {
      const alice = request.agent(t.url);
      const path = await requestCallback(t, alice);
      const { code, state } = paramsOf(path);
      const res = await alice.get(callback(bad, state));
      expectRefused(res, 400);
      expect(tokenCalls(t)).toBe(0);
      const good = await alice.get(callback(code, state));
      expect(good.status).toBe(303);
    },
  );

  it('refuses well-formed forged codes that WorkOS does not know; the real link still works', async () => {
    const alice = request.agent(t.url);
    const path = await requestCallback(t, alice);
    const { code, state } = paramsOf(path);
    for (const forged of ['01FORGEDFORGEDFORGEDFORGED', `${code}A`]) {
      const res = await request(t.url).post('/auth/callback').type('form').send({
        code: forged,
        state,
      });
      expectRefused(res, 400);
      expect(res.text).toContain('expired or was already used');
    }
    expect(tokenCalls(t)).toBe(2);
    expect((await alice.get('/account').set('Accept', 'application/json')).status).toBe(401);
    const good = await alice.get(path);
    expect(good.status).toBe(303);
    expect((await alice.get('/account')).body.email).toBe('alice@example.com');
  });

  it('A4: spends a state after 3 codes WorkOS refused, so junk costs at most 3 token calls', async () => {
    const alice = request.agent(t.url);
    const path = await requestCallback(t, alice);
    const { code, state } = paramsOf(path);
    for (let i = 0; i < 30; i += 1) {
      const junk = `01JUNKJUNKJUNKJUNKJUNK${String(i).padStart(4, '0')}`;
      expectRefused(
        await alice.post('/auth/callback').type('form').send({ code: junk, state }),
        400,
      );
      expectRefused(await alice.get(callback(junk, state)), 400);
    }
    expect(tokenCalls(t)).toBe(3);
    expectRefused(await alice.get(callback(code, state)), 400);
    expect(tokenCalls(t)).toBe(3);
  });

  it('refuses a 12 KB code in the query with 400; past 16 KB Node itself answers 431', async () => {
    const alice = request.agent(t.url);
    const { state } = paramsOf(await requestCallback(t, alice));
    const res = await alice.get(callback('a'.repeat(12 * 1024), state));
    expectRefused(res, 400);
    // Node's default --max-http-header-size is 16 KB, request line included, so a longer URL
    // never reaches Express: Node closes the connection with 431 Request Header Fields Too Large.
    const huge = await alice.get(callback('a'.repeat(17 * 1024), state));
    expect(huge.status).toBe(431);
    expect(tokenCalls(t)).toBe(0);
  });

  it('refuses a 16 KB code in a POST /auth/callback body with 400', async () => {
    const alice = request.agent(t.url);
    const { state } = paramsOf(await requestCallback(t, alice));
    const res = await alice
      .post('/auth/callback')
      .type('form')
      .send({ code: 'a'.repeat(16 * 1024), state });
    expectRefused(res, 400);
    expect(tokenCalls(t)).toBe(0);
  });

  it('refuses callbacks with no code, no state or neither', async () => {
    const alice = request.agent(t.url);
    const { code, state } = paramsOf(await requestCallback(t, alice));
    for (const query of [`?state=${state}`, `?code=${code}`, '', '?code=&state=']) {
      expectRefused(await alice.get(`/auth/callback${query}`), 400);
    }
    expect(tokenCalls(t)).toBe(0);
  });
});

describe.each(STACKS)('S1: a tampered state is refused (Express $express, SDK $sdk)', (stack) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ ...stack, rateLimit: false });
  });
  beforeEach(() => resetApp(t));
  afterAll(() => t.close());

  function flipByte(state: string, index: (length: number) => number): string {
    const raw = Buffer.from(state, 'base64url');
    const i = index(raw.length);
    raw[i] = raw[i]! ^ 0x01;
    return raw.toString('base64url');
  }

  function genuinePayload(state: string): StatePayload {
    const opened = createSealer([TEST_SECRET], 'state').unseal<unknown>(state);
    if (!opened.ok || !isStatePayload(opened.value)) throw new Error('The state did not open');
    return opened.value;
  }

  const tampered: [string, (state: string) => string][] = [
    ['a byte changed in the middle', (s) => flipByte(s, (n) => Math.floor(n / 2))],
    ['the last (GCM tag) byte flipped', (s) => flipByte(s, (n) => n - 1)],
    ['the version byte changed', (s) => flipByte(s, () => 0)],
    ['the tag cut off (truncated by 16 bytes)', (s) => s.slice(0, -22)],
    ['one character cut off', (s) => s.slice(0, -1)],
    ['an empty value', () => ''],
    ['non-base64url characters', (s) => `${s.slice(0, 10)}+/=${s.slice(13)}`],
    ['4 KB of noise', () => 'A'.repeat(4097)],
    [
      'the same payload sealed with another secret',
      (s) => createSealer([OTHER_SECRET], 'state').seal(genuinePayload(s), 60_000),
    ],
    [
      'returnTo changed to another site and re-sealed without the key',
      (s) =>
        createSealer([OTHER_SECRET], 'state').seal(
          { ...genuinePayload(s), r: 'https://evil.example/' },
          60_000,
        ),
    ],
    [
      'a sealed link of another purpose (same secret)',
      (s) => createSealer([TEST_SECRET], 'open-link').seal(genuinePayload(s), 60_000),
    ],
  ];

  it.each(tampered)(
    'refuses a state with %s, never calls /sso/token, and the real link still works',
    async (_name, tamper) => {
      const alice = request.agent(t.url);
      const path = await requestCallback(t, alice, 'alice@example.com', '/account');
      const { code, state } = paramsOf(path);
      const forged = tamper(state);
      expect(forged).not.toBe(state);

      const res = await alice.get(callback(code, forged));
      expectRefused(res, 400);
      expect(res.text).toContain('expired or was already used');
      expect(res.text).not.toContain('name="state"');
      const posted = await alice.post('/auth/callback').type('form').send({ code, state: forged });
      expectRefused(posted, 400);
      const json = await alice.get(callback(code, forged)).set('Accept', 'application/json');
      expectRefused(json, 400);
      expect(json.body.error).toBe('state_invalid');
      expect(tokenCalls(t)).toBe(0);

      const good = await alice.get(path);
      expect(good.status).toBe(303);
      expect(good.headers.location).toBe('/account');
      expect(tokenCalls(t)).toBe(1);
    },
  );

  it('opens a state only with the secret that sealed it', async () => {
    const alice = request.agent(t.url);
    const { state } = paramsOf(await requestCallback(t, alice, 'alice@example.com', '/account'));
    expect(genuinePayload(state)).toMatchObject({ r: '/account', e: 'alice@example.com' });
    expect(createSealer([OTHER_SECRET], 'state').unseal(state)).toEqual({
      ok: false,
      reason: 'invalid',
    });
    expectNoStackTrace(state);
  });
});
