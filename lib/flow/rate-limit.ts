import { createHash } from 'node:crypto';
import type { Store } from '../stores/store';

/** At most `limit` requests in each fixed window of `windowMs` milliseconds. */
export interface RateLimitRule {
  limit: number;
  windowMs: number;
}

/**
 * Sign-in emails per address: 3 a minute, as WorkOS allows, and 10 an hour, so a victim's inbox
 * cannot be flooded one minute after another.
 */
export const DEFAULT_EMAIL_RULES: readonly RateLimitRule[] = Object.freeze([
  Object.freeze({ limit: 3, windowMs: 60_000 }),
  Object.freeze({ limit: 10, windowMs: 3_600_000 }),
]);

/**
 * Sign-in requests per IP (IPv4 address, or IPv6 /56): 30 a minute and 200 an hour. One IPv4
 * address often stands for a whole office, school or mobile-carrier NAT, so these are ten to
 * twenty times the per-email rules; yet one source cannot send more than 200 emails an hour to
 * addresses it sprays, which caps abuse of the app's sender reputation and email quota.
 */
export const DEFAULT_IP_RULES: readonly RateLimitRule[] = Object.freeze([
  Object.freeze({ limit: 30, windowMs: 60_000 }),
  Object.freeze({ limit: 200, windowMs: 3_600_000 }),
]);

/** Options for {@link createRateLimiter}. An empty array turns a scope off. */
export interface RateLimitOptions {
  /**
   * Rules per email address (the throttle key: case-folded, without `+tag`).
   *
   * @default 3 a minute and 10 an hour ({@link DEFAULT_EMAIL_RULES})
   */
  perEmail?: readonly RateLimitRule[];
  /**
   * Rules per client IP, grouped by {@link ipKey}.
   *
   * @default 30 a minute and 200 an hour ({@link DEFAULT_IP_RULES})
   */
  perIp?: readonly RateLimitRule[];
}

/** Which limit refused a request. */
export type RateLimitScope = 'email' | 'ip';

/** The answer of {@link RateLimiter.check}. */
export type RateLimitResult =
  { ok: true } | { ok: false; retryAfterSeconds: number; scope: RateLimitScope };

/** Counts requests against fixed windows kept in a {@link Store}. */
export interface RateLimiter {
  /**
   * Counts one request and says whether it is within every rule. Rejects when the store does,
   * so the caller can fail closed.
   */
  check(keys: { email?: string; ip?: string }): Promise<RateLimitResult>;
}

const OK: RateLimitResult = Object.freeze({ ok: true });

/**
 * Fixed-window rate limits per email address and per IP, on the same {@link Store} as
 * everything else, so every instance of the app shares one count.
 *
 * - The IP is counted first. A request it refuses does not count against the email address, so
 *   a flood from one source cannot lock its victims out any faster.
 * - Within a scope, rules are counted from the shortest window up and counting stops at the
 *   first rule exceeded: a user who clicks "send" five times in a minute is held for that
 *   minute, not charged five times against the hour.
 * - Email addresses are stored only as SHA-256 digests: `rl:email:<windowMs>:<digest>`.
 *
 * @example
 * const limiter = createRateLimiter(store);
 * const result = await limiter.check({ email: throttleKey, ip: req.ip });
 * if (!result.ok) res.set('Retry-After', String(result.retryAfterSeconds)).status(429);
 *
 * @example
 * createRateLimiter(store, { perIp: [{ limit: 10, windowMs: 60_000 }] });
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
  const emailRules = checkRules('perEmail', options.perEmail ?? DEFAULT_EMAIL_RULES);
  const ipRules = checkRules('perIp', options.perIp ?? DEFAULT_IP_RULES);

  async function consume(
    scope: RateLimitScope,
    rules: readonly RateLimitRule[],
    id: string,
  ): Promise<RateLimitResult> {
    // Sequential on purpose: a rule that refuses must not charge the longer windows after it.
    for (const rule of rules) {
      const { count, resetMs } = await store.increment(
        `rl:${scope}:${rule.windowMs}:${id}`,
        rule.windowMs,
      );
      if (count > rule.limit) {
        return { ok: false, scope, retryAfterSeconds: Math.max(1, Math.ceil(resetMs / 1000)) };
      }
    }
    return OK;
  }

  return {
    async check(keys) {
      if (keys.ip !== undefined && ipRules.length > 0) {
        const result = await consume('ip', ipRules, ipKey(keys.ip));
        if (!result.ok) return result;
      }
      if (keys.email !== undefined && emailRules.length > 0) {
        const digest = createHash('sha256').update(keys.email, 'utf8').digest('base64url');
        const result = await consume('email', emailRules, digest);
        if (!result.ok) return result;
      }
      return OK;
    },
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
  const input = String(ip).trim();
  const v4 = parseIpv4(input);
  if (v4 !== undefined) return v4.join('.');
  const v6 = parseIpv6(input);
  if (v6 === undefined) return `other:${input.slice(0, 64).toLowerCase()}`;
  const [a = 0, b = 0, c = 0, d = 0, e = 0, f = 0, g = 0, h = 0] = v6;
  if (a === 0 && b === 0 && c === 0 && d === 0 && e === 0 && f === 0xffff) {
    return [g >> 8, g & 0xff, h >> 8, h & 0xff].join('.');
  }
  return `${hex(a)}:${hex(b)}:${hex(c)}:${hex(d & 0xff00)}::/56`;
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
