import { createHash, randomBytes } from 'node:crypto';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

export function sha256(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/** 26 random Crockford base32 characters, the shape of a WorkOS ULID. */
export function randomId(): string {
  return toCrockford(randomBytes(26));
}

/** 26 Crockford base32 characters derived from `value`, so the same input gets the same id. */
export function crockfordDigest(value: string): string {
  return toCrockford(sha256(value).subarray(0, 26));
}

/** An opaque URL-safe token of `bytes` random bytes. */
export function randomToken(bytes: number): string {
  return randomBytes(bytes).toString('base64url');
}

function toCrockford(bytes: Buffer): string {
  // 32 divides 256, so masking a byte keeps every character equally likely.
  let out = '';
  for (const byte of bytes) out += CROCKFORD[byte & 31];
  return out;
}
