import { hash } from 'node:crypto';
import { MagicLinkError } from '../errors';
import type { Store } from '../stores/store';

/** At most `limit` requests in each fixed window of `windowMs` milliseconds. */
export interface RateLimitRule {
  limit: number;
  windowMs: number;
}

/**
 * Sign-in emails per address, from any IP: 10 an hour, so a victim's inbox cannot be flooded.
 * A stranger can use this up; the owner then waits for the hour, and links already sent still
 * work (see docs/security.md, "Rate limits and their trade-offs").
 */
export const DEFAULT_EMAIL_RULES: readonly RateLimitRule[] = Object.freeze([
  Object.freeze({ limit: 10, windowMs: 3_600_000 }),
]);

/**
 * Sign-in emails per address from one IP: 3 a minute. Counting the minute per (address, IP)
 * rather than per address means a stranger's requests cannot hold the owner up minute by minute.
 */
export const DEFAULT_EMAIL_AND_IP_RULES: readonly RateLimitRule[] = Object.freeze([
  Object.freeze({ limit: 3, windowMs: 60_000 }),
]);

/**
 * Sign-in requests per IP (IPv4 address, or IPv6 /56): 30 a minute and 200 an hour. One IPv4
 * address often stands for a whole office, school or mobile-carrier NAT, so these are ten to
 * twenty times the per-email rules; yet one source cannot send more than 200 emails an hour to
 * addresses it sprays, which caps abuse of the app's sender reputation and email quota. An IPv6
 * client is also counted in its /48 at {@link IPV6_SITE_FACTOR} times these limits, so spreading
 * over the /56s of one site does not multiply its allowance.
 */
export const DEFAULT_IP_RULES: readonly RateLimitRule[] = Object.freeze([
  Object.freeze({ limit: 30, windowMs: 60_000 }),
  Object.freeze({ limit: 200, windowMs: 3_600_000 }),
]);

/** Credential checks (codes, confirmations, wrapped links) per IP: 60 a minute, 600 an hour. */
export const DEFAULT_IP_ATTEMPT_RULES: readonly RateLimitRule[] = Object.freeze([
  Object.freeze({ limit: 60, windowMs: 60_000 }),
  Object.freeze({ limit: 600, windowMs: 3_600_000 }),
]);

/** Credential checks per browser (its pending-cookie binding): 10 a minute, 30 an hour. */
export const DEFAULT_BINDING_RULES: readonly RateLimitRule[] = Object.freeze([
  Object.freeze({ limit: 10, windowMs: 60_000 }),
  Object.freeze({ limit: 30, windowMs: 3_600_000 }),
]);

/** An IPv6 /48 may send this many times what one /56 may. */
export const IPV6_SITE_FACTOR = 4;

/** Options for {@link createRateLimiter}. An empty array turns a scope off. */
export interface RateLimitOptions {
  /**
   * Emails per address from any IP (the throttle key: case-folded, without `+tag`).
   *
   * @default 10 an hour ({@link DEFAULT_EMAIL_RULES})
   */
  perEmail?: readonly RateLimitRule[];
  /**
   * Emails per address from one IP.
   *
   * @default 3 a minute ({@link DEFAULT_EMAIL_AND_IP_RULES})
   */
  perEmailAndIp?: readonly RateLimitRule[];
  /**
   * Sign-in requests per client IP, grouped by {@link ipKey}; IPv6 also per /48.
   *
   * @default 30 a minute and 200 an hour ({@link DEFAULT_IP_RULES})
   */
  perIp?: readonly RateLimitRule[];
  /**
   * Credential checks per client IP: codes, confirmations and wrapped links.
   *
   * @default 60 a minute and 600 an hour ({@link DEFAULT_IP_ATTEMPT_RULES})
   */
  perIpAttempts?: readonly RateLimitRule[];
  /**
   * Credential checks per browser.
   *
   * @default 10 a minute and 30 an hour ({@link DEFAULT_BINDING_RULES})
   */
  perBinding?: readonly RateLimitRule[];
}

/** Which limit refused a request. */
export type RateLimitScope = 'email' | 'ip' | 'binding';

/** A named count: which rules, and for whom. */
export type LimiterBucket = 'ip' | 'email' | 'email-ip' | 'ip-attempts' | 'binding';

/** The answer of {@link RateLimiter.check}. */
export type RateLimitResult =
  { ok: true } | { ok: false; retryAfterSeconds: number; scope: RateLimitScope };

/** Counts requests against fixed windows kept in a {@link Store}. */
export interface RateLimiter {
  /**
   * Counts one sign-in request (IP first, then address) and says whether it is within every
   * rule. Rejects when the store does, so the caller can fail closed.
   */
  check(keys: { email?: string; ip?: string }): Promise<RateLimitResult>;
  /**
   * Counts one sign-in request against the address's limits only (per address, and per
   * (address, IP)). For a request whose IP {@link check} has already counted.
   */
  checkAddress(keys: { email: string; ip?: string }): Promise<RateLimitResult>;
  /** Counts one credential check, per IP and then per browser binding. */
  checkAttempt(keys: { ip?: string; binding?: string }): Promise<RateLimitResult>;
}

const OK: RateLimitResult = Object.freeze({ ok: true });

function digest(value: string): string {
  return hash('sha256', value, 'base64url');
}

/**
 * Fixed-window rate limits on the same {@link Store} as everything else, so every instance of
 * the app shares one count.
 *
 * - The IP is counted first. A request it refuses does not count against the email address, so
 *   a flood from one source cannot lock its victims out any faster.
 * - Within a scope, rules are counted from the shortest window up and counting stops at the
 *   first rule exceeded: a user who clicks "send" five times in a minute is held for that
 *   minute, not charged five times against the hour.
 * - Email addresses and bindings are stored only as SHA-256 digests: `rl:email:<windowMs>:<digest>`.
 *
 * @example
 * const limiter = createRateLimiter(store);
 * const result = await limiter.check({ email: throttleKey, ip: req.ip });
 * if (!result.ok) res.set('Retry-After', String(result.retryAfterSeconds)).status(429);
 */
export function createRateLimiter(store: Store, options: RateLimitOptions = {}): RateLimiter {
  if (typeof store !== 'object' || store === null || typeof store.increment !== 'function') {
    throw new TypeError(
      'createRateLimiter: store must be a Store with an increment() method. ' +
        'Pass memoryStore() or redisStore(client).',
    );
  }
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('createRateLimiter: options must be an object, or omitted.');
  }
  const rules: Record<LimiterBucket, RateLimitRule[]> = {
    email: checkRules('perEmail', options.perEmail ?? DEFAULT_EMAIL_RULES),
    'email-ip': checkRules('perEmailAndIp', options.perEmailAndIp ?? DEFAULT_EMAIL_AND_IP_RULES),
    ip: checkRules('perIp', options.perIp ?? DEFAULT_IP_RULES),
    'ip-attempts': checkRules('perIpAttempts', options.perIpAttempts ?? DEFAULT_IP_ATTEMPT_RULES),
    binding: checkRules('perBinding', options.perBinding ?? DEFAULT_BINDING_RULES),
  };

  async function consume(
    bucket: LimiterBucket,
    scope: RateLimitScope,
    id: string,
    factor = 1,
  ): Promise<RateLimitResult> {
    // Sequential on purpose: a rule that refuses must not charge the longer windows after it.
    for (const rule of rules[bucket]) {
      const { count, resetMs } = await store.increment(
        `rl:${bucket}:${rule.windowMs}:${id}`,
        rule.windowMs,
      );
      if (count > rule.limit * factor) {
        return { ok: false, scope, retryAfterSeconds: Math.max(1, Math.ceil(resetMs / 1000)) };
      }
    }
    return OK;
  }

  // The /48 is counted first: a client spreading over the /56s of one site then meets its
  // site's limit before each new /56 writes counters of its own.
  async function perIp(
    bucket: 'ip' | 'ip-attempts',
    ip: { key: string; site: string | null },
  ): Promise<RateLimitResult> {
    const result = ip.site === null ? OK : await consume(bucket, 'ip', ip.site, IPV6_SITE_FACTOR);
    return result.ok ? consume(bucket, 'ip', ip.key) : result;
  }

  async function perAddress(email: string, ipGroup: string): Promise<RateLimitResult> {
    const near = await consume('email-ip', 'email', digest(`${email}\n${ipGroup}`));
    return near.ok ? consume('email', 'email', digest(email)) : near;
  }

  return {
    async check(keys) {
      const ip = keys.ip === undefined ? null : ipGroups(keys.ip);
      if (ip !== null) {
        const result = await perIp('ip', ip);
        if (!result.ok) return result;
      }
      return keys.email === undefined ? OK : perAddress(keys.email, ip?.key ?? '');
    },
    checkAddress(keys) {
      return perAddress(keys.email, keys.ip === undefined ? '' : ipGroups(keys.ip).key);
    },
    async checkAttempt(keys) {
      if (keys.ip !== undefined) {
        const result = await perIp('ip-attempts', ipGroups(keys.ip));
        if (!result.ok) return result;
      }
      return keys.binding === undefined ? OK : consume('binding', 'binding', keys.binding);
    },
  };
}

/**
 * Failed code checks allowed per address until a sign-in succeeds, for every kind of code (the
 * code in our email, the relay code, a WorkOS Magic Auth code), across every link, browser and
 * IP. NIST SP 800-63B §3.2.2 caps failed attempts at 100.
 */
export const MAX_CODE_FAILURES_PER_ADDRESS = 100;

/**
 * The failure count lives at most a day from the first failure it counts, so the budget is at
 * most {@link MAX_CODE_FAILURES_PER_ADDRESS} guesses per address per day: one chance in 10,000
 * of hitting a 6-digit code.
 */
export const CODE_FAILURE_WINDOW_MS = 24 * 60 * 60 * 1000;

/** One failure budget per address, shared by every kind of code (see {@link createCodeBudget}). */
export interface CodeBudget {
  /**
   * Reserves one check for the address with this throttle key, before any code is compared:
   * the count goes up first, then is compared, so parallel guesses cannot slip past the cap.
   * Throws `ERR_CODE_LOCKED` once the budget is spent, even for the right code.
   */
  reserve(throttleKey: string): Promise<void>;
  /** A sign-in for the address succeeded (by any means): its count starts again. */
  reset(throttleKey: string): Promise<void>;
}

/**
 * The per-address code budget, on the same {@link Store} as every other count (`Store.increment`
 * is atomic, on Redis too), so every instance shares it. Addresses are stored only as SHA-256
 * digests: `rl:code:<digest>`. It counts every check and is cleared by a successful sign-in,
 * so what it holds is the checks that failed since the last sign-in.
 *
 * @example
 * const budget = createCodeBudget(store);
 * await budget.reserve(throttleKey); // throws ERR_CODE_LOCKED after 100 failures
 */
export function createCodeBudget(
  store: Store,
  limit = MAX_CODE_FAILURES_PER_ADDRESS,
  windowMs = CODE_FAILURE_WINDOW_MS,
): CodeBudget {
  const key = (throttleKey: string) => `rl:code:${digest(throttleKey)}`;
  return {
    async reserve(throttleKey) {
      const { count, resetMs } = await store.increment(key(throttleKey), windowMs);
      if (count > limit) {
        throw new MagicLinkError('ERR_CODE_LOCKED', 'Too many failed codes for this address', {
          retryAfter: Math.max(1, Math.ceil(resetMs / 1000)),
        });
      }
    },
    reset: (throttleKey) => store.delete(key(throttleKey)),
  };
}

function checkRules(name: string, rules: unknown): RateLimitRule[] {
  if (!Array.isArray(rules)) {
    throw new TypeError(
      `createRateLimiter: ${name} must be an array of { limit, windowMs }, e.g. [{ limit: 3, windowMs: 60_000 }].`,
    );
  }
  const checked = rules.map((rule: unknown, i): RateLimitRule => {
    const { limit, windowMs } = (rule ?? {}) as Partial<RateLimitRule>;
    if (!isPositiveInteger(limit) || !isPositiveInteger(windowMs)) {
      throw new TypeError(
        `createRateLimiter: ${name}[${i}] must have a positive integer limit and windowMs, ` +
          `but got ${JSON.stringify(rule)}. Write it as { limit: 3, windowMs: 60_000 }.`,
      );
    }
    return { limit, windowMs };
  });
  checked.sort((a, b) => a.windowMs - b.windowMs);
  for (let i = 1; i < checked.length; i++) {
    if (checked[i]!.windowMs === checked[i - 1]!.windowMs) {
      throw new TypeError(
        `createRateLimiter: ${name} has two rules with windowMs ${checked[i]!.windowMs}. ` +
          'Keep only the one with the smaller limit.',
      );
    }
  }
  return checked;
}

function isPositiveInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0;
}

/**
 * The rate-limit group of a client IP.
 *
 * - IPv4: the address itself, in canonical dotted decimal.
 * - IPv4-mapped IPv6 (`::ffff:192.0.2.1`, as Node reports IPv4 clients on a dual-stack socket):
 *   the IPv4 address, so both forms share one count.
 * - Other IPv6: its /56 prefix, e.g. `2001:db8:0:ab00::/56`. Providers give a home or a site a
 *   /56 (RIPE-690) and one machine can use any address in it, so counting per address would
 *   let one client rotate through 2^72 of them.
 * - Anything unparseable: `other:` and the (lower-cased, truncated) input, so it still gets a
 *   bucket of its own rather than an error.
 *
 * @example
 * ipKey('::ffff:203.0.113.7'); // '203.0.113.7'
 * ipKey('2001:db8:0:12ab::1'); // '2001:db8:0:1200::/56'
 */
export function ipKey(ip: string): string {
  return ipGroups(ip).key;
}

/** The /48 of an IPv6 client, or `null` for IPv4 (and IPv4-mapped) and unparseable input. */
export function ipv6SiteKey(ip: string): string | null {
  return ipGroups(ip).site;
}

/** {@link ipKey} and {@link ipv6SiteKey} of one address, parsing it once. */
function ipGroups(ip: string): { key: string; site: string | null } {
  const input = String(ip).trim();
  const v4 = parseIpv4(input);
  if (v4 !== undefined) return { key: v4.join('.'), site: null };
  const v6 = parseIpv6(input);
  if (v6 === undefined) return { key: `other:${input.slice(0, 64).toLowerCase()}`, site: null };
  const [a = 0, b = 0, c = 0, d = 0, e = 0, f = 0, g = 0, h = 0] = v6;
  if (a === 0 && b === 0 && c === 0 && d === 0 && e === 0 && f === 0xffff) {
    return { key: [g >> 8, g & 0xff, h >> 8, h & 0xff].join('.'), site: null };
  }
  return {
    key: `${hex(a)}:${hex(b)}:${hex(c)}:${hex(d & 0xff00)}::/56`,
    site: `${hex(a)}:${hex(b)}:${hex(c)}::/48`,
  };
}

function hex(group: number): string {
  return group.toString(16);
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const HEX_GROUP = /^[0-9a-f]{1,4}$/;

function parseIpv4(input: string): number[] | undefined {
  const match = IPV4.exec(input);
  if (match === null) return undefined;
  const octets = match.slice(1).map(Number);
  return octets.every((n) => n <= 255) ? octets : undefined;
}

/** Eight 16-bit groups, or undefined. Accepts `::` compression, a zone id and a dotted tail. */
function parseIpv6(raw: string): number[] | undefined {
  let input = raw.toLowerCase();
  if (input.startsWith('[') && input.endsWith(']')) input = input.slice(1, -1);
  const zone = input.indexOf('%');
  if (zone !== -1) input = input.slice(0, zone);
  if (input.length === 0 || input.length > 45) return undefined;

  const halves = input.split('::');
  if (halves.length > 2) return undefined;
  const head = groupsOf(halves[0]!, halves.length === 1);
  const tail = halves.length === 2 ? groupsOf(halves[1]!, true) : [];
  if (head === undefined || tail === undefined) return undefined;

  if (halves.length === 1) return head.length === 8 ? head : undefined;
  if (head.length + tail.length > 7) return undefined;
  return [...head, ...Array<number>(8 - head.length - tail.length).fill(0), ...tail];
}

/** Parses `a:b:c` (possibly empty); only the last part of the address may be dotted IPv4. */
function groupsOf(part: string, mayEndInIpv4: boolean): number[] | undefined {
  if (part === '') return [];
  const pieces = part.split(':');
  const groups: number[] = [];
  for (const [i, piece] of pieces.entries()) {
    if (mayEndInIpv4 && i === pieces.length - 1 && piece.includes('.')) {
      const v4 = parseIpv4(piece);
      if (v4 === undefined) return undefined;
      const [p = 0, q = 0, r = 0, s = 0] = v4;
      groups.push((p << 8) | q, (r << 8) | s);
    } else if (HEX_GROUP.test(piece)) {
      groups.push(parseInt(piece, 16));
    } else {
      return undefined;
    }
  }
  return groups;
}
