// redisStore's Lua scripts and how it reads Redis's replies and errors: split from redis.ts by
// subject, to keep files short.
import { MagicLinkError } from '../errors';
import type { CounterResult } from './store';

/**
 * INCR then set the expiry only when the key has none: PEXPIRE NX, but it also runs on Redis
 * older than 7.0, and it repairs a counter that somehow lost its TTL instead of keeping it forever.
 */
export const INCREMENT_SCRIPT = `local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {count, ttl}`;

/**
 * The same for each key in turn, stopping after the first count over its limit. It names every
 * key it touches in KEYS, so it is only sent to a single Redis node (a cluster's keys may live
 * on several nodes, where a script may touch only keys of one slot).
 */
export const INCREMENT_MANY_SCRIPT = `local out = {}
for i, key in ipairs(KEYS) do
  local count = redis.call('INCR', key)
  local ttl = redis.call('PTTL', key)
  if ttl < 0 then
    redis.call('PEXPIRE', key, ARGV[2 * i - 1])
    ttl = tonumber(ARGV[2 * i - 1])
  end
  out[#out + 1] = count
  out[#out + 1] = ttl
  if count > tonumber(ARGV[2 * i]) then break end
end
return out`;

/**
 * For Redis older than 6.2, which has no GETDEL. A script runs atomically, as GETDEL does.
 */
export const TAKE_SCRIPT = `local value = redis.call('GET', KEYS[1])
if value then redis.call('DEL', KEYS[1]) end
return value`;

/**
 * ioredis hangs the command's arguments on its errors (`err.command.args`); for `set` they are the
 * stored record itself (an address, a sealed state). The cause travels on to logs and onEvent,
 * which must never carry those, so it goes on as a copy without them (same class and message).
 */
export function withoutArguments(error: unknown): unknown {
  if (typeof error !== 'object' || error === null || !Object.hasOwn(error, 'command')) return error;
  const copy = new Error(String((error as { message?: unknown }).message));
  Object.setPrototypeOf(copy, Object.getPrototypeOf(error) as object | null);
  for (const key of Object.getOwnPropertyNames(error)) {
    if (key !== 'command') {
      Object.defineProperty(copy, key, Object.getOwnPropertyDescriptor(error, key)!);
    }
  }
  return copy;
}

/** Pairs of (count, milliseconds left) from the increment scripts. */
export function counterResults(what: string, reply: unknown[]): CounterResult[] {
  const results: CounterResult[] = [];
  for (let i = 0; i + 1 < reply.length; i += 2) {
    const count = Number(reply[i]);
    const resetMs = Number(reply[i + 1]);
    if (!Number.isSafeInteger(count) || !Number.isFinite(resetMs)) throw unexpected(what, reply);
    results.push({ count, resetMs });
  }
  if (reply.length % 2 !== 0) throw unexpected(what, reply);
  return results;
}

/** A counter's limit as a Lua number (ARGV). */
export function checkLimit(limit: number): string {
  if (typeof limit !== 'number' || Number.isNaN(limit)) {
    throw new TypeError(
      `redisStore: a counter's limit must be a number, but got ${String(limit)}.`,
    );
  }
  // Lua's tonumber reads no "Infinity".
  return Number.isFinite(limit) ? String(limit) : limit > 0 ? '1e308' : '-1e308';
}

/** An ERR_STORE_UNAVAILABLE from redisStore. */
export function unavailable(detail: string, cause?: unknown): MagicLinkError {
  return new MagicLinkError(
    'ERR_STORE_UNAVAILABLE',
    `redisStore: ${detail}`,
    cause === undefined ? {} : { cause },
  );
}

/** A reply of the wrong shape: the store is not what we think it is, so fail closed. */
export function unexpected(what: string, reply: unknown): MagicLinkError {
  const shown = Array.isArray(reply) ? `an array of ${reply.length}` : typeof reply;
  return unavailable(`${what} got an unexpected reply from Redis (${shown})`);
}

/**
 * Clients configured to map bulk strings to Buffers (node-redis typeMapping) still work.
 */
export function asString(what: string, reply: unknown): string | null {
  if (reply === null || typeof reply === 'string') return reply;
  if (Buffer.isBuffer(reply)) return reply.toString('utf8');
  throw unexpected(what, reply);
}

/** Whether Redis refused the command as unknown (GETDEL before 6.2). */
export function isUnknownCommand(error: unknown): boolean {
  const cause = error instanceof MagicLinkError ? error.cause : error;
  return cause instanceof Error && /unknown command/i.test(cause.message);
}

/**
 * PX takes whole milliseconds; rounding up keeps a tiny TTL from meaning "already expired".
 */
export function checkTtl(ttlMs: number): number {
  if (typeof ttlMs !== 'number' || !Number.isFinite(ttlMs) || ttlMs <= 0) {
    throw new TypeError(
      `redisStore: ttlMs must be a positive number of milliseconds, but got ${String(ttlMs)}.`,
    );
  }
  return Math.ceil(ttlMs);
}
