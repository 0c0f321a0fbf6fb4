import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { MagicLinkError, memoryStore, sealedCookieSession } from '../../lib/index';
import type {
  MagicLinkProfile,
  SealedCookieSession,
  SealedCookieSessionOptions,
  SessionContext,
  Store,
} from '../../lib/index';
import { createSealer } from '../../lib/flow/seal';
import { sessionSealPurpose } from '../../lib/sessions/sealed-cookie-payload';
import { sessionAdapterConformanceCases } from '../../lib/testing/index';

const SECRET = 'sealed-cookie-test-secret-0123456789abcdef';
const OTHER_SECRET = 'another-sealed-cookie-secret-0123456789abcd';
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const NAME = 'mlsession';
/** The origin every adapter here is built for, standalone or through init. */
const ORIGIN = 'http://localhost';

function user(n = 1, extra: Partial<MagicLinkProfile> = {}): MagicLinkProfile {
  return {
    id: `user_${n}`,
    idpId: `user_${n}`,
    organizationId: null,
    connectionId: 'conn_test',
    connectionType: 'MagicLink',
    email: `user${n}@example.test`,
    firstName: null,
    lastName: null,
    rawAttributes: {},
    ...extra,
  };
}

function requestWith(cookie?: string): IncomingMessage {
  const req = new IncomingMessage(new Socket());
  if (cookie !== undefined) req.headers.cookie = cookie;
  return req;
}

function response(): ServerResponse {
  return new ServerResponse(requestWith());
}

function setCookieLines(res: ServerResponse): string[] {
  const raw = res.getHeader('Set-Cookie');
  return raw === undefined ? [] : Array.isArray(raw) ? raw : [String(raw)];
}

/** The `name=value` a response sets for `name`, or undefined. */
function cookieSet(res: ServerResponse, name = NAME): string | undefined {
  return setCookieLines(res)
    .find((line) => line.startsWith(`${name}=`))
    ?.split(';', 1)[0];
}

/** A fake clock, a memory store on it, and an adapter on both. */
function harness(options: Partial<SealedCookieSessionOptions> = {}) {
  const clock = { now: 1_700_000_000_000 };
  const now = () => clock.now;
  const store = memoryStore({ now });
  const adapter = sealedCookieSession({
    secret: SECRET,
    store,
    secure: false,
    origin: ORIGIN,
    now,
    ...options,
  });

  async function signIn(
    as: MagicLinkProfile = user(),
    cookie?: string,
    via: SealedCookieSession = adapter,
  ): Promise<string> {
    const res = response();
    await via.signIn(requestWith(cookie), res, as);
    const set = cookieSet(res);
    if (!set) throw new Error('signIn set no cookie');
    return set;
  }

  /** getUser, which must answer synchronously on a memory store. */
  function userOf(cookie: string, via: SealedCookieSession = adapter) {
    const res = response();
    const answer = via.getUser(requestWith(cookie), res);
    if (answer instanceof Promise) throw new Error('getUser returned a promise on memoryStore');
    return { user: answer, reseal: cookieSet(res) };
  }

  return {
    clock,
    now,
    store,
    adapter,
    signIn,
    userOf,
    advance: (ms: number) => {
      clock.now += ms;
    },
  };
}

describe('sealedCookieSession meets the SessionAdapter contract', () => {
  const adapter = sealedCookieSession({
    secret: SECRET,
    store: memoryStore(),
    origin: ORIGIN,
  });
  for (const c of sessionAdapterConformanceCases({ adapter, mount: (probe) => probe })) {
    it(c.name, c.run);
  }
});

describe('sealedCookieSession: options are checked at construction', () => {
  const make = (options: unknown) => () =>
    sealedCookieSession(options as SealedCookieSessionOptions);

  it.each([
    ['no options', undefined, /options are required/],
    ['no secret', {}, /secret is required\. .*openssl rand -base64 32/],
    ['a short secret', { secret: 'short' }, /secret must be at least 32 characters \(got 5\)/],
    ['a short secret in a rotation', { secret: [SECRET, 'x'.repeat(31)] }, /at least 32/],
    ['an empty rotation', { secret: [] }, /secret must not be an empty array/],
    ['a secret that is not a string', { secret: 42 }, /secret must be a string/],
    ['an unknown option', { secret: SECRET, maxAge: 1 }, /maxAge is not a known option/],
    ['a tiny maxAgeMs', { secret: SECRET, maxAgeMs: 10 }, /maxAgeMs must be a whole number/],
    [
      'an idleMs longer than maxAgeMs',
      { secret: SECRET, maxAgeMs: HOUR, idleMs: 2 * HOUR },
      /idleMs must be a whole number of milliseconds between 60000 and 3600000/,
    ],
    ['refreshAfter of 1', { secret: SECRET, refreshAfter: 1 }, /refreshAfter must be a number/],
    ['a negative refreshAfter', { secret: SECRET, refreshAfter: -0.1 }, /refreshAfter/],
    [
      'a cookieName with a prefix',
      { secret: SECRET, cookieName: '__Host-s' },
      /cookieName .*__Host- is added on https/,
    ],
    ['a cookieName with a space', { secret: SECRET, cookieName: 'a b' }, /cookieName/],
    ['a non-boolean secure', { secret: SECRET, secure: 'yes' }, /secure must be a boolean/],
    ['a store without get', { secret: SECRET, store: {} }, /store must be a Store/],
    ['a clock that is not a function', { secret: SECRET, now: 5 }, /now must be a function/],
  ])('%s is a TypeError naming the option and the fix', (_label, options, message) => {
    expect(make(options)).toThrow(TypeError);
    expect(make(options)).toThrow(message);
  });

  it('accepts a rotation of good secrets and every documented option', () => {
    expect(() =>
      sealedCookieSession({
        secret: [SECRET, OTHER_SECRET],
        maxAgeMs: DAY,
        idleMs: HOUR,
        refreshAfter: 0,
        cookieName: 'session',
        secure: true,
        store: memoryStore(),
        now: () => 0,
      }),
    ).not.toThrow();
  });

  it('without a router, it says to pass a store and the origin', () => {
    const alone = sealedCookieSession({ secret: SECRET });
    expect(() => alone.getUser(requestWith(), response())).toThrow(
      /no store\. Pass it as magicLinkRouter's session option/,
    );
    const noOrigin = sealedCookieSession({ secret: SECRET, store: memoryStore(), secure: false });
    expect(() => noOrigin.getUser(requestWith(), response())).toThrow(/no origin/);
  });

  it("refuses a secure flag that contradicts the router's origin", () => {
    const adapter = sealedCookieSession({ secret: SECRET, secure: false });
    const context: SessionContext = {
      store: memoryStore(),
      secure: true,
      origin: 'https://app.example.test',
      report: () => undefined,
    };
    expect(() => adapter.init!(context)).toThrow(
      /secure is false, but the router's origin is https:\/\/app\.example\.test/,
    );
  });
});

describe('sealedCookieSession: the cookie', () => {
  it('over http: HttpOnly, SameSite=Lax, Path=/, no Secure, no prefix, no Domain', async () => {
    const { adapter } = harness();
    const res = response();
    await adapter.signIn(requestWith(), res, user());
    const [line] = setCookieLines(res);
    expect(line).toMatch(/^mlsession=[A-Za-z0-9_-]+; /);
    expect(line).toContain('; HttpOnly');
    expect(line).toContain('; SameSite=Lax');
    expect(line).toContain('; Path=/');
    expect(line).not.toContain('Secure');
    expect(line).not.toMatch(/domain=/i);
  });

  it('on https (from the router): __Host- prefixed, Secure, Path=/, no Domain', async () => {
    const adapter = sealedCookieSession({ secret: SECRET });
    adapter.init!({
      store: memoryStore(),
      secure: true,
      origin: 'https://app.example.test',
      report: () => undefined,
    });
    expect(adapter.cookieName).toBe('__Host-mlsession');
    const res = response();
    await adapter.signIn(requestWith(), res, user());
    const [line] = setCookieLines(res);
    expect(line).toMatch(/^__Host-mlsession=[A-Za-z0-9_-]+; /);
    expect(line).toContain('; Secure');
    expect(line).toContain('; Path=/');
    expect(line).toContain('; HttpOnly');
    expect(line).toContain('; SameSite=Lax');
    expect(line).not.toMatch(/domain=/i);
    // An unprefixed cookie (tossed from a sibling subdomain, or over http) is not read.
    const value = line!.split(';', 1)[0]!.slice('__Host-mlsession='.length);
    expect(adapter.getUser(requestWith(`mlsession=${value}`), response())).toBeNull();
    expect(adapter.getUser(requestWith(`__Host-mlsession=${value}`), response())).toMatchObject({
      id: 'user_1',
    });
  });

  it('keeps the email and the profile unreadable: the value is sealed', async () => {
    const { signIn } = harness();
    const cookie = await signIn(user(1, { email: 'very.secret@example.test' }));
    const value = cookie.slice(NAME.length + 1);
    expect(Buffer.from(value, 'base64url').toString('latin1')).not.toContain('very.secret');
    expect(cookie).not.toContain('user_1');
  });

  it('is read from cookie-parser too', async () => {
    const { signIn, adapter } = harness();
    const value = (await signIn()).slice(NAME.length + 1);
    const req = requestWith();
    (req as unknown as { cookies: Record<string, string> }).cookies = { [NAME]: value };
    expect(adapter.getUser(req, response())).toMatchObject({ id: 'user_1' });
  });
});

describe('sealedCookieSession: forged, tampered and foreign cookies are signed out', () => {
  it('a cookie with one character changed is signed out', async () => {
    const { signIn, userOf } = harness();
    const cookie = await signIn();
    expect(userOf(cookie).user?.id).toBe('user_1');
    const at = NAME.length + 1 + 40;
    const flipped = cookie[at] === 'A' ? 'B' : 'A';
    const tampered = cookie.slice(0, at) + flipped + cookie.slice(at + 1);
    expect(tampered).not.toBe(cookie);
    expect(userOf(tampered).user).toBeNull();
  });

  it('a truncated or garbage cookie is signed out', async () => {
    const { signIn, userOf } = harness();
    const cookie = await signIn();
    expect(userOf(cookie.slice(0, -4)).user).toBeNull();
    expect(userOf(`${NAME}=not-a-sealed-value`).user).toBeNull();
    expect(userOf(`${NAME}=`).user).toBeNull();
    expect(userOf(`${NAME}=${'A'.repeat(5000)}`).user).toBeNull();
  });

  it("a cookie sealed with another app's secret is signed out", async () => {
    const mine = harness();
    const theirs = harness({ secret: OTHER_SECRET });
    const cookie = await theirs.signIn();
    expect(theirs.userOf(cookie).user?.id).toBe('user_1');
    expect(mine.userOf(cookie).user).toBeNull();
  });

  it('a value sealed with the same secret for another purpose is signed out', () => {
    const { userOf, now } = harness();
    const payload = { u: user(), s: 'sid', i: now(), a: now() + DAY, g: 0, t: now() };
    for (const purpose of ['state', 'relay', 'open-link', 'session', 'session-cookie']) {
      const value = createSealer([SECRET], purpose, { now }).seal(payload, HOUR);
      expect(userOf(`${NAME}=${value}`).user).toBeNull();
    }
    // The same payload under the adapter's own purpose does open: the purpose is what differs.
    const own = createSealer([SECRET], sessionSealPurpose(ORIGIN, NAME), { now }).seal(
      payload,
      HOUR,
    );
    expect(userOf(`${NAME}=${own}`).user?.id).toBe('user_1');
  });
});

describe('sealedCookieSession: expiry and resealing', () => {
  it('ends idleMs after the cookie was last sealed', async () => {
    const { signIn, userOf, advance } = harness({ idleMs: HOUR, refreshAfter: 0.5 });
    const cookie = await signIn();
    advance(HOUR - 1);
    expect(userOf(cookie).user?.id).toBe('user_1');
    advance(1);
    expect(userOf(cookie).user).toBeNull();
  });

  it('ends maxAgeMs after sign-in however active the session is', async () => {
    const { signIn, userOf, advance } = harness({ maxAgeMs: 2 * HOUR, idleMs: HOUR });
    let cookie = await signIn();
    // Busy every 20 minutes: the idle deadline never passes, the absolute one does.
    for (let elapsed = 20 * MINUTE; elapsed < 2 * HOUR; elapsed += 20 * MINUTE) {
      advance(20 * MINUTE);
      const answer = userOf(cookie);
      expect(answer.user?.id).toBe('user_1');
      cookie = answer.reseal ?? cookie;
    }
    advance(20 * MINUTE);
    expect(userOf(cookie).user).toBeNull();
  });

  it('a reseal never moves the absolute deadline, nor sets a Max-Age past it', async () => {
    const { adapter, signIn, userOf, advance } = harness({ maxAgeMs: 2 * HOUR, idleMs: HOUR });
    const cookie = await signIn();
    advance(50 * MINUTE);
    const first = userOf(cookie).reseal!;
    expect(first).toBeDefined();
    advance(50 * MINUTE);
    const res = response();
    expect(adapter.getUser(requestWith(first), res)).toMatchObject({ id: 'user_1' });
    const [line] = setCookieLines(res);
    // 20 minutes of absolute lifetime are left, less than the 60 of idle time.
    expect(line).toMatch(/; Max-Age=1200$/);
    const second = line!.split(';', 1)[0]!;
    advance(20 * MINUTE - 1);
    expect(userOf(second).user?.id).toBe('user_1');
    advance(1);
    expect(userOf(second).user).toBeNull();
  });

  it('reseals only once refreshAfter of idleMs has passed, and the reseal moves the idle deadline', async () => {
    const { signIn, userOf, advance } = harness({ idleMs: HOUR, refreshAfter: 0.25 });
    const cookie = await signIn();
    advance(15 * MINUTE - 1);
    const early = userOf(cookie);
    expect(early.user?.id).toBe('user_1');
    expect(early.reseal).toBeUndefined();
    advance(1);
    const due = userOf(cookie);
    expect(due.user?.id).toBe('user_1');
    expect(due.reseal).toBeDefined();
    expect(due.reseal).not.toBe(cookie);
    // Just after the first cookie's idle deadline, only the resealed one still works.
    advance(45 * MINUTE);
    expect(userOf(cookie).user).toBeNull();
    expect(userOf(due.reseal!).user?.id).toBe('user_1');
  });

  it('the reseal carries a Max-Age of the new idle deadline and the same attributes', async () => {
    const { adapter, signIn, advance } = harness({ idleMs: HOUR, refreshAfter: 0.25 });
    const cookie = await signIn();
    advance(20 * MINUTE);
    const res = response();
    adapter.getUser(requestWith(cookie), res);
    const [line] = setCookieLines(res);
    expect(line).toMatch(/^mlsession=.+; Path=\/; HttpOnly; SameSite=Lax; Max-Age=3600$/);
  });

  it('refreshAfter: 0 reseals on every request', async () => {
    const { signIn, userOf, advance } = harness({ refreshAfter: 0 });
    const cookie = await signIn();
    advance(1);
    expect(userOf(cookie).reseal).toBeDefined();
  });

  it('a signed-out or forged request never gets a cookie from getUser', async () => {
    const { signIn, userOf, adapter, advance } = harness({ refreshAfter: 0 });
    const cookie = await signIn();
    await adapter.signOut(requestWith(cookie), response());
    advance(1);
    expect(userOf(cookie)).toEqual({ user: null, reseal: undefined });
    expect(userOf(`${NAME}=forged`)).toEqual({ user: null, reseal: undefined });
  });
});

describe('sealedCookieSession: a user too large for a cookie is refused at sign-in', () => {
  const padded = (n: number) => user(1, { rawAttributes: { pad: 'x'.repeat(n) } });

  it('is an ERR_SESSION_FAILED whose cause names the fix, and sets no cookie', async () => {
    const { adapter } = harness();
    const res = response();
    const attempt = adapter.signIn(requestWith(), res, padded(5000));
    await expect(attempt).rejects.toBeInstanceOf(MagicLinkError);
    const err = (await attempt.catch((e: unknown) => e)) as MagicLinkError;
    expect(err.code).toBe('ERR_SESSION_FAILED');
    expect(err.cause).toBeInstanceOf(TypeError);
    expect((err.cause as Error).message).toMatch(/over the 4096 bytes a browser keeps/);
    expect((err.cause as Error).message).toContain(
      'store only an id in the session: onSignIn: (p) => ({ id: p.id, email: p.email })',
    );
    expect(setCookieLines(res)).toEqual([]);
  });

  it('the limit is 4096 bytes of name=value: the largest user accepted is just under it', async () => {
    const { adapter } = harness();
    const fits = async (n: number) => {
      const res = response();
      try {
        await adapter.signIn(requestWith(), res, padded(n));
        return cookieSet(res)!;
      } catch {
        return null;
      }
    };
    let lo = 0;
    let hi = 4096;
    expect(await fits(lo)).not.toBeNull();
    expect(await fits(hi)).toBeNull();
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if ((await fits(mid)) === null) hi = mid;
      else lo = mid;
    }
    const largest = (await fits(lo))!;
    // base64url grows in steps of 4 characters per 3 bytes.
    expect(Buffer.byteLength(largest)).toBeLessThanOrEqual(4096);
    expect(Buffer.byteLength(largest)).toBeGreaterThan(4096 - 4);
    // And the largest cookie still opens.
    expect(harnessFor(adapter).userOf(largest)?.id).toBe('user_1');
  });

  it('a user without an id is refused, naming onSignIn', async () => {
    const { adapter } = harness();
    const err = (await adapter
      .signIn(requestWith(), response(), { email: 'a@example.test' } as MagicLinkProfile)
      .catch((e: unknown) => e)) as MagicLinkError;
    expect(err.code).toBe('ERR_SESSION_FAILED');
    expect((err.cause as Error).message).toMatch(/must have a string id.*onSignIn/);
  });
});

function harnessFor(adapter: SealedCookieSession) {
  return {
    userOf(cookie: string) {
      return adapter.getUser(requestWith(cookie), response()) as MagicLinkProfile | null;
    },
  };
}

describe('sealedCookieSession: signing out makes every copy worthless at once', () => {
  it('signOut revokes a copied cookie, and clears the browser one', async () => {
    const { adapter, signIn, userOf } = harness();
    const cookie = await signIn();
    const stolen = cookie;
    const res = response();
    await adapter.signOut(requestWith(cookie), res);
    expect(setCookieLines(res)).toEqual([
      'mlsession=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT',
    ]);
    expect(userOf(stolen).user).toBeNull();
  });

  it('an older cookie of the same session (before a reseal) is revoked too', async () => {
    const { adapter, signIn, userOf, advance } = harness({ refreshAfter: 0 });
    const old = await signIn();
    advance(MINUTE);
    const fresh = userOf(old).reseal!;
    await adapter.signOut(requestWith(fresh), response());
    expect(userOf(old).user).toBeNull();
    expect(userOf(fresh).user).toBeNull();
  });

  it('the revocation lasts until the cookie would have expired, then the entry goes', async () => {
    const { adapter, signIn, userOf, advance, store } = harness({ maxAgeMs: DAY, idleMs: DAY });
    const cookie = await signIn();
    await adapter.signOut(requestWith(cookie), response());
    expect(store.size).toBe(1);
    advance(DAY - 1);
    expect(userOf(cookie).user).toBeNull();
    advance(1);
    // Every write drops expired entries first: only the new key is left.
    await store.set('other', 'v', 1000);
    expect(store.size).toBe(1);
    expect(store.getSync('other')).toBe('v');
  });

  it('a revocation is kept for idleMs and 5 minutes, not maxAgeMs: no copy outlives that', async () => {
    const { adapter, signIn, userOf, advance, store } = harness({
      maxAgeMs: 7 * DAY,
      idleMs: DAY,
      refreshAfter: 0,
    });
    const cookie = await signIn();
    const other = await signIn(user(2));
    advance(HOUR);
    // The latest copy, resealed an hour in, opens until HOUR + DAY.
    const fresh = userOf(cookie).reseal!;
    const otherFresh = userOf(other).reseal!;
    await adapter.signOut(requestWith(fresh), response());
    expect(store.size).toBe(1);
    advance(DAY - 1);
    // A copy of a live session still opens now; the signed-out one does not.
    expect(userOf(otherFresh).user?.id).toBe('user_2');
    expect(userOf(fresh).user).toBeNull();
    advance(1);
    expect(userOf(otherFresh).user).toBeNull();
    expect(userOf(fresh).user).toBeNull();
    advance(5 * MINUTE);
    // Every write drops expired entries first: the revocation is gone, 6 days before maxAgeMs.
    await store.set('other', 'v', 1000);
    expect(store.size).toBe(1);
  });

  it('signing in again revokes the session the browser had', async () => {
    const { signIn, userOf } = harness();
    const first = await signIn(user(1));
    const second = await signIn(user(2), first);
    expect(userOf(second).user?.id).toBe('user_2');
    expect(userOf(first).user).toBeNull();
  });

  it('two sessions of one user are independent: signing one out keeps the other', async () => {
    const { adapter, signIn, userOf } = harness();
    const laptop = await signIn(user(1));
    const phone = await signIn(user(1));
    await adapter.signOut(requestWith(laptop), response());
    expect(userOf(laptop).user).toBeNull();
    expect(userOf(phone).user?.id).toBe('user_1');
  });

  it('signOutEverywhere ends every session of that user only, and a new sign-in works', async () => {
    const { adapter, signIn, userOf } = harness();
    const laptop = await signIn(user(1));
    const phone = await signIn(user(1));
    const other = await signIn(user(2));
    await adapter.signOutEverywhere('user_1');
    expect(userOf(laptop).user).toBeNull();
    expect(userOf(phone).user).toBeNull();
    expect(userOf(other).user?.id).toBe('user_2');
    const again = await signIn(user(1));
    expect(userOf(again).user?.id).toBe('user_1');
    await adapter.signOutEverywhere('user_1');
    expect(userOf(again).user).toBeNull();
  });

  it('signOutEverywhere still works after its generation record has expired', async () => {
    const { adapter, signIn, userOf, advance } = harness({ maxAgeMs: DAY, idleMs: DAY });
    await adapter.signOutEverywhere('user_1');
    advance(DAY / 2);
    // Issued in the new generation; it outlives the generation record by half a day.
    let cookie = await signIn(user(1));
    advance(DAY / 2 + 1);
    const answer = userOf(cookie);
    expect(answer.user?.id).toBe('user_1');
    cookie = answer.reseal ?? cookie;
    await adapter.signOutEverywhere('user_1');
    expect(userOf(cookie).user).toBeNull();
  });

  it('signOutEverywhere needs a user id', async () => {
    const { adapter } = harness();
    await expect(adapter.signOutEverywhere('')).rejects.toThrow(/needs the user id/);
  });
});

describe('sealedCookieSession: secret rotation', () => {
  it('the new secret seals, the old one still opens, and dropping it ends old cookies', async () => {
    const before = harness({ secret: OTHER_SECRET });
    const old = await before.signIn();
    const rotated = sealedCookieSession({
      secret: [SECRET, OTHER_SECRET],
      store: before.store,
      origin: ORIGIN,
      now: before.now,
      refreshAfter: 0,
    });
    const newOnly = sealedCookieSession({
      secret: SECRET,
      store: before.store,
      origin: ORIGIN,
      now: before.now,
    });
    before.advance(1);
    // The old cookie opens under the rotation, and comes back sealed with the new secret.
    const res = response();
    expect(rotated.getUser(requestWith(old), res)).toMatchObject({ id: 'user_1' });
    const resealed = cookieSet(res)!;
    expect(harnessFor(newOnly).userOf(old)).toBeNull();
    expect(harnessFor(newOnly).userOf(resealed)?.id).toBe('user_1');
    expect(harnessFor(before.adapter).userOf(resealed)).toBeNull();
  });
});

describe('sealedCookieSession: the revocation check fails closed', () => {
  function failing(mode: 'sync' | 'async'): Store {
    const inner = memoryStore();
    const boom = () => {
      throw new Error('store down');
    };
    const store: Store = {
      get: async () => boom(),
      set: (k, v, t) => inner.set(k, v, t),
      take: (k) => inner.take(k),
      increment: (k, t) => inner.increment(k, t),
      delete: (k) => inner.delete(k),
    };
    if (mode === 'sync') store.getSync = boom;
    return store;
  }

  it.each(['sync', 'async'] as const)(
    'a %s store error reads as signed out, reported, and the cookie is kept',
    async (mode) => {
      const good = harness();
      const cookie = await good.signIn();
      let broken = false;
      const store = memoryStore();
      const flaky: Store = {
        get: async (k) => (broken ? failing(mode).get(k) : store.get(k)),
        set: (k, v, t) => store.set(k, v, t),
        take: (k) => store.take(k),
        increment: (k, t) => store.increment(k, t),
        delete: (k) => store.delete(k),
      };
      if (mode === 'sync') flaky.getSync = (k) => (broken ? failing('sync').getSync!(k) : null);
      const reports: unknown[] = [];
      const adapter = sealedCookieSession({ secret: SECRET, now: good.now, refreshAfter: 0 });
      adapter.init!({
        store: flaky,
        secure: false,
        origin: ORIGIN,
        report: (_req, err) => reports.push(err),
      });
      const ask = async () => {
        const res = response();
        const answer = adapter.getUser(requestWith(cookie), res);
        if (mode === 'sync') expect(answer).not.toBeInstanceOf(Promise);
        else expect(answer).toBeInstanceOf(Promise);
        return { user: await answer, lines: setCookieLines(res) };
      };
      good.advance(1);
      expect((await ask()).user?.id).toBe('user_1');
      broken = true;
      const during = await ask();
      expect(during.user).toBeNull();
      expect(during.lines).toEqual([]);
      expect(reports).toHaveLength(1);
      expect((reports[0] as Error).message).toBe('store down');
      broken = false;
      expect((await ask()).user?.id).toBe('user_1');
    },
  );

  it('a corrupt generation record reads as signed out', async () => {
    const { signIn, userOf, store } = harness();
    const cookie = await signIn();
    expect(userOf(cookie).user?.id).toBe('user_1');
    await corruptGeneration(store, 'user_1');
    expect(userOf(cookie).user).toBeNull();
  });

  it('signOut rejects when the store cannot record the revocation, and keeps the cookie', async () => {
    const { signIn, now } = harness();
    const cookie = await signIn();
    const adapter = sealedCookieSession({
      secret: SECRET,
      store: { ...memoryStore(), set: async () => Promise.reject(new Error('store down')) },
      origin: ORIGIN,
      now,
    });
    const res = response();
    await expect(adapter.signOut(requestWith(cookie), res)).rejects.toThrow('store down');
    expect(setCookieLines(res)).toEqual([]);
  });
});

async function corruptGeneration(store: Store, userId: string): Promise<void> {
  const { createHash } = await import('node:crypto');
  const hash = createHash('sha256').update(userId).digest('base64url');
  await store.set(`session:gen:${hash}`, 'not-a-number', HOUR);
}

describe('sealedCookieSession: one round trip on a store without getSync', () => {
  it('getUser sends both reads before either answers', async () => {
    const { signIn, now, store } = harness();
    const cookie = await signIn();
    const pending: { key: string; resolve: () => void }[] = [];
    const slow: Store = {
      get: (key) =>
        new Promise((resolve) => {
          pending.push({ key, resolve: () => resolve(store.getSync(key)) });
        }),
      set: (k, v, t) => store.set(k, v, t),
      take: (k) => store.take(k),
      increment: (k, t) => store.increment(k, t),
      delete: (k) => store.delete(k),
    };
    const adapter = sealedCookieSession({
      secret: SECRET,
      store: slow,
      origin: ORIGIN,
      now,
    });
    const answer = adapter.getUser(requestWith(cookie), response());
    expect(answer).toBeInstanceOf(Promise);
    expect(pending.map((p) => p.key.split(':').slice(0, 2).join(':'))).toEqual([
      'session:revoked',
      'session:gen',
    ]);
    for (const p of pending) p.resolve();
    await expect(answer).resolves.toMatchObject({ id: 'user_1' });
  });
});
