import { hash } from 'node:crypto';
import { MagicLinkError } from '../errors';
import { incrementInOrder } from '../stores/guard';
import { ipGroups } from './ip-groups';
import type { CounterEntry, Store } from '../stores/store';

export { ipKey, ipv6SiteKey } from './ip-groups';

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

/** A counter of one rule, and the scope it refuses for. */
interface Counter extends CounterEntry {
  scope: RateLimitScope;
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
 * - All of one request's counters go to the store in one call (`Store.incrementMany`, one
 *   round trip where the store has it), which counts them in this order and stops there.
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

  /** Counters for one bucket's rules, shortest window first; each remembers its scope. */
  function counters(
    bucket: LimiterBucket,
    scope: RateLimitScope,
    id: string,
    factor = 1,
  ): Counter[] {
    return rules[bucket].map((rule) => ({
      key: `rl:${bucket}:${rule.windowMs}:${id}`,
      ttlMs: rule.windowMs,
      limit: rule.limit * factor,
      scope,
    }));
  }

  // One round trip for all of a request's counters, counted in order and stopping at the first
  // rule exceeded (the store does both): a rule that refuses must not charge the longer windows
  // or the scopes after it.
  async function consume(list: Counter[]): Promise<RateLimitResult> {
    const results = await incrementInOrder(store, list);
    const last = results.at(-1);
    const counter = list[results.length - 1];
    if (last === undefined || counter === undefined || last.count <= counter.limit) return OK;
    return {
      ok: false,
      scope: counter.scope,
      retryAfterSeconds: Math.max(1, Math.ceil(last.resetMs / 1000)),
    };
  }

  // The /48 is counted first: a client spreading over the /56s of one site then meets its
  // site's limit before each new /56 writes counters of its own.
  function perIp(
    bucket: 'ip' | 'ip-attempts',
    ip: { key: string; site: string | null },
  ): Counter[] {
    return [
      ...(ip.site === null ? [] : counters(bucket, 'ip', ip.site, IPV6_SITE_FACTOR)),
      ...counters(bucket, 'ip', ip.key),
    ];
  }

  function perAddress(email: string, ipGroup: string): Counter[] {
    return [
      ...counters('email-ip', 'email', digest(`${email}\n${ipGroup}`)),
      ...counters('email', 'email', digest(email)),
    ];
  }

  return {
    check(keys) {
      const ip = keys.ip === undefined ? null : ipGroups(keys.ip);
      return consume([
        ...(ip === null ? [] : perIp('ip', ip)),
        ...(keys.email === undefined ? [] : perAddress(keys.email, ip?.key ?? '')),
      ]);
    },
    checkAddress(keys) {
      return consume(perAddress(keys.email, keys.ip === undefined ? '' : ipGroups(keys.ip).key));
    },
    checkAttempt(keys) {
      return consume([
        ...(keys.ip === undefined ? [] : perIp('ip-attempts', ipGroups(keys.ip))),
        ...(keys.binding === undefined ? [] : counters('binding', 'binding', keys.binding)),
      ]);
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
