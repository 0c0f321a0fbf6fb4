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
  if (offset + size > pool.length) {
    pool = randomFillSync(Buffer.alloc(POOL_BYTES));
    offset = 0;
  }
  const out = Buffer.from(pool.subarray(offset, offset + size));
  pool.fill(0, offset, offset + size);
  offset += size;
  return out;
}
