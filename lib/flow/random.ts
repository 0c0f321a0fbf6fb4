import { randomFillSync } from 'node:crypto';

/** Bytes fetched from the CSPRNG at a time; every request needs about 100. */
const POOL_BYTES = 4096;

let pool = Buffer.alloc(0);
let offset = 0;

/**
 * Bytes from the CSPRNG, drawn from a pooled buffer, as Node does for `randomUUID()`. One
 * `randomFillSync` per request-sized read cost over a tenth of a sign-in request's CPU (a
 * system call each); a pool refilled every few dozen requests costs next to nothing. Bytes are
 * handed out once, copied, and wiped from the pool.
 */
export function randomBytes(size: number): Buffer {
  if (size > POOL_BYTES) return randomFillSync(Buffer.alloc(size));
  const at = take(size);
  const out = Buffer.from(pool.subarray(at, at + size));
  pool.fill(0, at, at + size);
  return out;
}

/** `size` bytes from the CSPRNG as base64url, read straight from the pool (no Buffer copy). */
export function randomBase64url(size: number): string {
  if (size > POOL_BYTES) return randomFillSync(Buffer.alloc(size)).toString('base64url');
  const at = take(size);
  const out = pool.toString('base64url', at, at + size);
  pool.fill(0, at, at + size);
  return out;
}

/** Fills `target[offset, offset + size)` from the CSPRNG; returns that part of `target`. */
export function randomFill(target: Buffer, offset: number, size: number): Buffer {
  const part = target.subarray(offset, offset + size);
  if (size > POOL_BYTES) return randomFillSync(part);
  const at = take(size);
  pool.copy(part, 0, at, at + size);
  pool.fill(0, at, at + size);
  return part;
}

/** Reserves `size` unused bytes of the pool, refilling it first if too few are left. */
function take(size: number): number {
  if (offset + size > pool.length) {
    pool = randomFillSync(Buffer.alloc(POOL_BYTES));
    offset = 0;
  }
  const at = offset;
  offset += size;
  return at;
}
