import { BlockList, isIP } from 'node:net';
import fc from 'fast-check';
import Redis from 'ioredis';
import {
  DEFAULT_BINDING_RULES,
  DEFAULT_EMAIL_AND_IP_RULES,
  DEFAULT_EMAIL_RULES,
  DEFAULT_IP_ATTEMPT_RULES,
  DEFAULT_IP_RULES,
  CODE_FAILURE_WINDOW_MS,
  IPV6_SITE_FACTOR,
  MAX_CODE_FAILURES_PER_ADDRESS,
  createCodeBudget,
  createRateLimiter,
  ipKey,
  ipv6SiteKey,
} from '../../lib/flow/rate-limit';
import type { RateLimitOptions, RateLimitResult } from '../../lib/flow/rate-limit';
import type { MagicLinkError } from '../../lib/errors';
import { memoryStore } from '../../lib/stores/memory';
import { redisStore } from '../../lib/stores/redis';
import type { Store } from '../../lib/stores/store';
import { TEST_COMMAND_TIMEOUT_MS, describeWithRedis } from '../helpers/redis';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

function setup(options?: RateLimitOptions) {
  const clock = { now: 1_700_000_000_000 };
  const store = memoryStore({ now: () => clock.now });
  const limiter = createRateLimiter(store, options);
  return {
    store,
    limiter,
    advance(ms: number) {
      clock.now += ms;
    },
    async repeat(times: number, keys: { email?: string; ip?: string }) {
      const results: RateLimitResult[] = [];
      for (let i = 0; i < times; i++) results.push(await limiter.check(keys));
      return results;
    },
  };
}

const allowed = (results: RateLimitResult[]) => results.filter((r) => r.ok).length;

describe('per-email limit', () => {
  it('allows exactly 3 a minute, refuses the 4th with scope email', async () => {
    const { repeat } = setup();
    const results = await repeat(4, { email: 'a@example.com' });
    expect(results.slice(0, 3)).toEqual([{ ok: true }, { ok: true }, { ok: true }]);
    expect(results[3]).toEqual({ ok: false, scope: 'email', retryAfterSeconds: 60 });
  });

  it('Retry-After counts down to the end of the window, then the window resets', async () => {
    const { limiter, repeat, advance } = setup();
    await repeat(3, { email: 'a@example.com' });
    advance(45_500);
    expect(await limiter.check({ email: 'a@example.com' })).toEqual({
      ok: false,
      scope: 'email',
      retryAfterSeconds: 15,
    });
    advance(14_499);
    expect(await limiter.check({ email: 'a@example.com' })).toMatchObject({
      ok: false,
      retryAfterSeconds: 1,
    });
    advance(1);
    expect(await limiter.check({ email: 'a@example.com' })).toEqual({ ok: true });
  });

  it('allows 10 an hour across minutes, then refuses until the hour is up', async () => {
    const { limiter, repeat, advance } = setup();
    let sent = 0;
    for (let minute = 0; minute < 4; minute++) {
      sent += allowed(await repeat(3, { email: 'a@example.com' }));
      advance(MINUTE);
    }
    expect(sent).toBe(10);
    const refused = await limiter.check({ email: 'a@example.com' });
    expect(refused).toEqual({
      ok: false,
      scope: 'email',
      retryAfterSeconds: (HOUR - 4 * MINUTE) / 1000,
    });
    advance(HOUR - 4 * MINUTE);
    expect(await limiter.check({ email: 'a@example.com' })).toEqual({ ok: true });
  });

  it('requests refused by the minute rule are not charged to the hour', async () => {
    const { repeat, advance } = setup();
    let sent = 0;
    for (let minute = 0; minute < 4; minute++) {
      sent += allowed(await repeat(20, { email: 'impatient@example.com' }));
      advance(MINUTE);
    }
    expect(sent).toBe(10);
  });

  it('counts each address separately', async () => {
    const { limiter, repeat } = setup();
    await repeat(3, { email: 'a@example.com' });
    expect(await limiter.check({ email: 'b@example.com' })).toEqual({ ok: true });
    expect(await limiter.check({ email: 'a@example.com' })).toMatchObject({ ok: false });
  });

  it('never stores the raw address in a key', async () => {
    const keys: string[] = [];
    const inner = memoryStore();
    const spy: Store = {
      ...inner,
      increment: (key, ttl) => (keys.push(key), inner.increment(key, ttl)),
      incrementMany: (counters) => (
        keys.push(...counters.map((c) => c.key)),
        inner.incrementMany(counters)
      ),
    };
    await createRateLimiter(spy).check({ email: 'secret.person@example.com', ip: '203.0.113.9' });
    expect(keys).toEqual([
      'rl:ip:60000:203.0.113.9',
      'rl:ip:3600000:203.0.113.9',
      expect.stringMatching(/^rl:email-ip:60000:[A-Za-z0-9_-]{43}$/),
      expect.stringMatching(/^rl:email:3600000:[A-Za-z0-9_-]{43}$/),
    ]);
    expect(keys.join()).not.toMatch(/secret|example\.com/);
  });
});

describe('per-IP limit', () => {
  it('allows exactly 30 a minute from one IP, across different emails', async () => {
    const { limiter } = setup();
    const results: RateLimitResult[] = [];
    for (let i = 0; i < 31; i++)
      results.push(await limiter.check({ email: `u${i}@x.com`, ip: '198.51.100.7' }));
    expect(allowed(results)).toBe(30);
    expect(results[30]).toEqual({ ok: false, scope: 'ip', retryAfterSeconds: 60 });
  });

  it('allows 200 an hour', async () => {
    const { limiter, advance } = setup({ perEmail: [] });
    let sent = 0;
    for (let minute = 0; minute < 10; minute++) {
      for (let i = 0; i < 30; i++) if ((await limiter.check({ ip: '198.51.100.7' })).ok) sent++;
      advance(MINUTE);
    }
    expect(sent).toBe(200);
  });

  it('keeps different IPs apart', async () => {
    const { limiter, repeat } = setup({ perIp: [{ limit: 1, windowMs: MINUTE }], perEmail: [] });
    await repeat(2, { ip: '198.51.100.7' });
    expect(await limiter.check({ ip: '198.51.100.8' })).toEqual({ ok: true });
    expect(await limiter.check({ ip: '2001:db8:0:100::1' })).toEqual({ ok: true });
    expect(await limiter.check({ ip: '2001:db8:0:200::1' })).toEqual({ ok: true });
  });

  it('groups an IPv6 /56 into one count', async () => {
    const { limiter } = setup({ perIp: [{ limit: 2, windowMs: MINUTE }], perEmail: [] });
    expect(await limiter.check({ ip: '2001:db8:0:1200::1' })).toEqual({ ok: true });
    expect(await limiter.check({ ip: '2001:DB8:0000:12ff:ffff:ffff:ffff:fffe' })).toEqual({
      ok: true,
    });
    expect(await limiter.check({ ip: '2001:db8::12ab:0:0:0:9' })).toMatchObject({
      ok: false,
      scope: 'ip',
    });
    expect(await limiter.check({ ip: '2001:db8:0:1300::1' })).toEqual({ ok: true });
  });

  it('A2: also counts an IPv6 /48, so spreading over its /56s does not multiply the allowance', async () => {
    const { limiter } = setup();
    const results = [];
    for (let i = 0; i < 200; i++) {
      results.push(await limiter.check({ ip: `2001:db8:ab:${(i % 250).toString(16)}00::1` }));
    }
    expect(allowed(results)).toBe(30 * IPV6_SITE_FACTOR);
    expect(results.at(-1)).toMatchObject({ ok: false, scope: 'ip' });
    expect(await limiter.check({ ip: '2001:db8:ac::1' })).toEqual({ ok: true });
    expect(ipv6SiteKey('2001:db8:ab:1200::1')).toBe('2001:db8:ab::/48');
    expect(ipv6SiteKey('203.0.113.9')).toBeNull();
    expect(ipv6SiteKey('::ffff:203.0.113.9')).toBeNull();
  });

  it('counts credential checks per IP and per browser, apart from sign-in requests', async () => {
    const { limiter } = setup();
    for (let i = 0; i < 10; i++) {
      expect(await limiter.checkAttempt({ ip: '203.0.113.5', binding: 'b1' })).toEqual({
        ok: true,
      });
    }
    expect(await limiter.checkAttempt({ ip: '203.0.113.5', binding: 'b1' })).toMatchObject({
      ok: false,
      scope: 'binding',
    });
    expect(await limiter.checkAttempt({ ip: '203.0.113.5', binding: 'b2' })).toEqual({ ok: true });
    expect(await limiter.check({ ip: '203.0.113.5', email: 'a@example.com' })).toEqual({
      ok: true,
    });
  });

  it('counts an IPv4-mapped IPv6 address as its IPv4 address', async () => {
    const { limiter } = setup({ perIp: [{ limit: 2, windowMs: MINUTE }], perEmail: [] });
    expect(await limiter.check({ ip: '203.0.113.5' })).toEqual({ ok: true });
    expect(await limiter.check({ ip: '::ffff:203.0.113.5' })).toEqual({ ok: true });
    expect(await limiter.check({ ip: '::ffff:cb00:7105' })).toMatchObject({
      ok: false,
      scope: 'ip',
    });
  });
});

describe('email and IP scopes', () => {
  it('count the minute per (address, IP), so a stranger cannot hold the owner up (A6)', async () => {
    const { limiter, repeat } = setup();
    await repeat(3, { email: 'a@example.com', ip: '198.51.100.1' });
    expect(await limiter.check({ email: 'a@example.com', ip: '198.51.100.1' })).toMatchObject({
      ok: false,
      scope: 'email',
    });
    expect(await limiter.check({ email: 'a@example.com', ip: '198.51.100.2' })).toEqual({
      ok: true,
    });
  });

  it('count the hour per address from any IP: 10, then refused everywhere', async () => {
    const { limiter } = setup();
    for (let i = 0; i < 10; i++) {
      expect(await limiter.check({ email: 'a@example.com', ip: `198.51.100.${i}` })).toEqual({
        ok: true,
      });
    }
    expect(await limiter.check({ email: 'a@example.com', ip: '192.0.2.1' })).toMatchObject({
      ok: false,
      scope: 'email',
    });
    expect(await limiter.check({ email: 'b@example.com', ip: '192.0.2.1' })).toEqual({ ok: true });
  });

  it('requests refused by the IP limit do not use up the address’s allowance', async () => {
    const { limiter, repeat } = setup({ perIp: [{ limit: 1, windowMs: MINUTE }] });
    await limiter.check({ email: 'other@example.com', ip: '198.51.100.66' });
    const fromAttacker = await repeat(10, { email: 'victim@example.com', ip: '198.51.100.66' });
    expect(fromAttacker.every((r) => !r.ok && r.scope === 'ip')).toBe(true);
    for (const ip of ['192.0.2.10', '192.0.2.11', '192.0.2.12']) {
      expect(await limiter.check({ email: 'victim@example.com', ip })).toEqual({ ok: true });
    }
  });

  it('checks nothing when neither key is given', async () => {
    const { limiter, store } = setup();
    expect(await limiter.check({})).toEqual({ ok: true });
    expect(store.size).toBe(0);
  });

  it('an empty rule list turns a scope off', async () => {
    const { repeat } = setup({ perEmail: [], perEmailAndIp: [] });
    expect(allowed(await repeat(20, { email: 'a@example.com' }))).toBe(20);
  });

  it('reports the retry of the rule that refused', async () => {
    const { repeat } = setup({ perEmailAndIp: [{ limit: 1, windowMs: 1500 }] });
    const [, refused] = await repeat(2, { email: 'a@example.com' });
    expect(refused).toEqual({ ok: false, scope: 'email', retryAfterSeconds: 2 });
  });

  it('rejects when the store rejects, so the caller fails closed', async () => {
    const failing: Store = {
      ...memoryStore(),
      increment: () => Promise.reject(new Error('store down')),
      incrementMany: () => Promise.reject(new Error('store down')),
    };
    await expect(createRateLimiter(failing).check({ email: 'a@example.com' })).rejects.toThrow(
      'store down',
    );
    // A store without incrementMany: one increment per counter, failing the same way.
    const withoutBatch: Store = { ...failing };
    delete withoutBatch.incrementMany;
    await expect(createRateLimiter(withoutBatch).check({ email: 'a@example.com' })).rejects.toThrow(
      'store down',
    );
  });
});

describe('createRateLimiter options', () => {
  const store = memoryStore();

  it('has the documented defaults', () => {
    expect(DEFAULT_EMAIL_RULES).toEqual([{ limit: 10, windowMs: HOUR }]);
    expect(DEFAULT_EMAIL_AND_IP_RULES).toEqual([{ limit: 3, windowMs: MINUTE }]);
    expect(DEFAULT_IP_ATTEMPT_RULES).toEqual([
      { limit: 60, windowMs: MINUTE },
      { limit: 600, windowMs: HOUR },
    ]);
    expect(DEFAULT_BINDING_RULES).toEqual([
      { limit: 10, windowMs: MINUTE },
      { limit: 30, windowMs: HOUR },
    ]);
    expect(DEFAULT_IP_RULES).toEqual([
      { limit: 30, windowMs: MINUTE },
      { limit: 200, windowMs: HOUR },
    ]);
  });

  it.each([
    [{ perEmail: 'many' }, /perEmail must be an array/],
    [{ perIp: [{ limit: 0, windowMs: MINUTE }] }, /perIp\[0\] must have a positive integer limit/],
    [{ perIp: [{ limit: 5, windowMs: 1.5 }] }, /perIp\[0\] must have a positive integer/],
    [{ perEmail: [null] }, /perEmail\[0\] must have/],
    [
      {
        perEmail: [
          { limit: 3, windowMs: MINUTE },
          { limit: 5, windowMs: MINUTE },
        ],
      },
      /two rules with windowMs 60000\. Keep only the one with the smaller limit/,
    ],
  ])('throws a TypeError for %j', (options, message) => {
    expect(() => createRateLimiter(store, options as never)).toThrow(TypeError);
    expect(() => createRateLimiter(store, options as never)).toThrow(message);
  });

  it('needs a store', () => {
    expect(() => createRateLimiter(undefined as never)).toThrow(
      /^createRateLimiter: store must be a Store/,
    );
  });
});

describe('ipKey', () => {
  it.each([
    ['203.0.113.7', '203.0.113.7'],
    [' 203.0.113.7 ', '203.0.113.7'],
    ['010.000.001.002', '10.0.1.2'],
    ['::ffff:203.0.113.7', '203.0.113.7'],
    ['::FFFF:203.0.113.7', '203.0.113.7'],
    ['0:0:0:0:0:ffff:cb00:7107', '203.0.113.7'],
    ['::1', '0:0:0:0::/56'],
    ['::', '0:0:0:0::/56'],
    ['2001:db8::1', '2001:db8:0:0::/56'],
    ['2001:db8:0:12ab::1', '2001:db8:0:1200::/56'],
    ['2001:0db8:0000:12ab:0000:0000:0000:0001', '2001:db8:0:1200::/56'],
    ['2001:DB8:0:12FF:FFFF:FFFF:FFFF:FFFF', '2001:db8:0:1200::/56'],
    ['2001:db8:aaaa:bbcc::', '2001:db8:aaaa:bb00::/56'],
    ['fe80::1%eth0', 'fe80:0:0:0::/56'],
    ['[2001:db8::1]', '2001:db8:0:0::/56'],
    ['64:ff9b::192.0.2.33', '64:ff9b:0:0::/56'],
    ['1:2:3:4a5b:5:6:7::', '1:2:3:4a00::/56'],
    ['::2:3:4a5b:5:6:7:8', '0:2:3:4a00::/56'],
    ['::2:3:4:5:6:7:8', '0:2:3:0::/56'],
  ])('%s → %s', (ip, expected) => {
    expect(ipKey(ip)).toBe(expected);
  });

  it.each([
    '',
    'localhost',
    '256.1.1.1',
    '1.2.3',
    '1:2:3:4:5:6:7:8:9',
    '1::2::3',
    ':::',
    '12345::1',
    '1:2:3:4:5:6:7:8::',
    '::ffff:1.2.3.256',
    '1.2.3.4::',
    'g::1',
  ])('%p is not an address and gets its own "other:" bucket', (ip) => {
    expect(ipKey(ip)).toBe(`other:${ip.trim().toLowerCase()}`);
  });

  it('caps the length of an unparseable key', () => {
    expect(ipKey('x'.repeat(10_000))).toHaveLength('other:'.length + 64);
  });

  const group = fc.integer({ min: 0, max: 0xffff });
  const groups = fc.array(group, { minLength: 8, maxLength: 8 });

  function spellings(g: number[]): string[] {
    const full = g.map((n) => n.toString(16)).join(':');
    const padded = g.map((n) => n.toString(16).padStart(4, '0').toUpperCase()).join(':');
    const out = [full, padded];
    // Every legal place for `::` (any run of zero groups, length ≥ 1).
    for (let start = 0; start < 8; start++) {
      for (let end = start + 1; end <= 8 && g[end - 1] === 0; end++) {
        const head = g
          .slice(0, start)
          .map((n) => n.toString(16))
          .join(':');
        const tail = g
          .slice(end)
          .map((n) => n.toString(16))
          .join(':');
        out.push(`${head}::${tail}`);
      }
    }
    return out;
  }

  it('every spelling of an IPv6 address gives the same key, and that /56 contains it', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          groups,
          groups.map((g) => [g[0]!, g[1]!, 0, 0, 0, 0, g[6]!, g[7]!]),
        ),
        (g) => {
          const keys = new Set(spellings(g).map(ipKey));
          expect(keys.size).toBe(1);
          const [key] = [...keys];
          if (key!.endsWith('::/56')) {
            const subnet = new BlockList();
            subnet.addSubnet(key!.slice(0, -'/56'.length), 56, 'ipv6');
            expect(subnet.check(spellings(g)[0]!, 'ipv6')).toBe(true);
          } else {
            expect(g.slice(0, 6)).toEqual([0, 0, 0, 0, 0, 0xffff]);
          }
        },
      ),
    );
  });

  it('addresses in different /56 prefixes never share a key', () => {
    fc.assert(
      fc.property(groups, groups, (a, b) => {
        fc.pre(a[5] !== 0xffff && b[5] !== 0xffff);
        const samePrefix =
          a[0] === b[0] && a[1] === b[1] && a[2] === b[2] && a[3]! >> 8 === b[3]! >> 8;
        expect(ipKey(spellings(a)[0]!) === ipKey(spellings(b)[0]!)).toBe(samePrefix);
      }),
    );
  });

  it('accepts exactly what node:net accepts (plus IPv4 octets with leading zeros)', () => {
    const alphabet = fc.constantFrom(...'0123456789abcdefABCDEF:.'.split(''));
    const mutated = fc
      .tuple(fc.oneof(fc.ipV6(), fc.ipV4()), fc.nat(), alphabet, fc.boolean())
      .map(([ip, at, ch, drop]) => {
        const i = at % (ip.length + 1);
        return drop ? ip.slice(0, i) + ip.slice(i + 1) : ip.slice(0, i) + ch + ip.slice(i);
      });
    const candidates = fc.oneof(
      fc.ipV6(),
      fc.ipV4(),
      fc.ipV4().map((ip) => `::ffff:${ip}`),
      mutated,
      fc.string({ unit: alphabet, maxLength: 45 }),
    );
    const leadingZeroIpv4 = /(^|[:.])0\d/;
    fc.assert(
      fc.property(candidates, (ip) => {
        const parsed = !ipKey(ip).startsWith('other:');
        if (isIP(ip) !== 0) expect(parsed).toBe(true);
        else if (parsed) expect(ip).toMatch(leadingZeroIpv4);
      }),
      { numRuns: 5000 },
    );
  });

  it('maps every IPv4 address and its IPv4-mapped form to the same key', () => {
    fc.assert(
      fc.property(fc.ipV4(), (ip) => {
        expect(ipKey(ip)).toBe(ip);
        expect(ipKey(`::ffff:${ip}`)).toBe(ip);
      }),
    );
  });
});

describeWithRedis('rate limits shared through Redis', (redis) => {
  it('two app instances share one count', async () => {
    const clientA = new Redis(redis().url);
    const clientB = new Redis(redis().url);
    await Promise.all([clientA, clientB].map((c) => new Promise((r) => c.once('ready', r))));
    try {
      const options = { commandTimeoutMs: TEST_COMMAND_TIMEOUT_MS };
      const a = createRateLimiter(redisStore(clientA, options));
      const b = createRateLimiter(redisStore(clientB, options));
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) => (i % 2 ? a : b).check({ email: 'shared@example.com' })),
      );
      expect(allowed(results)).toBe(3);
      for (const r of results.filter((x) => !x.ok)) {
        expect(r).toMatchObject({ scope: 'email' });
        if (!r.ok) expect(r.retryAfterSeconds).toBeGreaterThanOrEqual(59);
      }
    } finally {
      clientA.disconnect();
      clientB.disconnect();
    }
  });
});

describe('createCodeBudget: one failure budget per address for every kind of code (A11)', () => {
  function budgetSetup() {
    const clock = { now: 1_700_000_000_000 };
    const store = memoryStore({ now: () => clock.now });
    return { clock, store, budget: createCodeBudget(store) };
  }

  it(`allows ${MAX_CODE_FAILURES_PER_ADDRESS} checks, then refuses with ERR_CODE_LOCKED and a Retry-After of at most a day`, async () => {
    const { budget } = budgetSetup();
    for (let i = 0; i < MAX_CODE_FAILURES_PER_ADDRESS; i += 1) await budget.reserve('a@x.test');
    const locked = await budget.reserve('a@x.test').then(
      () => null,
      (err: unknown) => err as MagicLinkError,
    );
    expect(locked?.code).toBe('ERR_CODE_LOCKED');
    expect(locked?.retryAfter).toBeGreaterThan(0);
    expect(locked?.retryAfter).toBeLessThanOrEqual(CODE_FAILURE_WINDOW_MS / 1000);
    // Another address has its own budget.
    await expect(budget.reserve('b@x.test')).resolves.toBeUndefined();
  });

  it('a sign-in (reset) gives the budget back; the window ends at most 24 h after the first check', async () => {
    const { clock, store, budget } = budgetSetup();
    for (let i = 0; i < MAX_CODE_FAILURES_PER_ADDRESS; i += 1) await budget.reserve('a@x.test');
    await budget.reset('a@x.test');
    for (let i = 0; i < MAX_CODE_FAILURES_PER_ADDRESS; i += 1) await budget.reserve('a@x.test');
    await expect(budget.reserve('a@x.test')).rejects.toMatchObject({ code: 'ERR_CODE_LOCKED' });
    clock.now += CODE_FAILURE_WINDOW_MS;
    await expect(budget.reserve('a@x.test')).resolves.toBeUndefined();
    // Stored only as a digest.
    expect(await store.get('rl:code:a@x.test')).toBeNull();
  });

  it('increment first, then compare: 150 racing checks let exactly 100 through', async () => {
    const { budget } = budgetSetup();
    const results = await Promise.allSettled(
      Array.from({ length: 150 }, () => budget.reserve('a@x.test')),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(100);
  });
});
