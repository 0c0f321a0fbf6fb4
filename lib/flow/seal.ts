import { createCipheriv, createDecipheriv, hkdfSync } from 'node:crypto';
import { randomFill } from './random';

/** Sealed values longer than this are refused before any decoding work. */
export const MAX_SEALED_LENGTH = 4096;

const VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

export type UnsealResult<T> =
  { ok: true; value: T; expiresAt: number } | { ok: false; reason: 'invalid' | 'expired' };

/**
 * Authenticated encryption (AES-256-GCM) of small JSON values, with an expiry inside the
 * authenticated data and one key per secret, so secrets can be rotated: the first secret seals,
 * every secret may open. The purpose is bound as additional data, so a sealed state can never be
 * replayed as a sealed link, or the other way round.
 *
 * Sealing rather than only signing keeps the email address and returnTo out of readable URLs.
 * GCM's tag check is constant-time.
 */
export interface Sealer {
  seal(value: unknown, ttlMs: number): string;
  unseal<T>(token: unknown, options?: { graceMs?: number }): UnsealResult<T>;
}

export function deriveKey(secret: string, purpose: string): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, 'express-magic-link', purpose, 32));
}

export function createSealer(
  secrets: readonly string[],
  purpose: string,
  config: { now?: () => number } = {},
): Sealer {
  const now = config.now ?? (() => Date.now());
  const keys = secrets.map((secret) => deriveKey(secret, `seal:${purpose}`));
  const aad = Buffer.from(`express-magic-link:${purpose}:v${VERSION}`);

  function seal(value: unknown, ttlMs: number): string {
    const expiresAt = now() + ttlMs;
    const plain = JSON.stringify({ x: expiresAt, v: value });
    const size = Buffer.byteLength(plain);
    // version, iv, ciphertext, tag, written into one buffer: GCM is a stream mode, so the
    // ciphertext is as long as the plaintext, and the IV can be drawn straight into place.
    const out = Buffer.allocUnsafe(1 + IV_BYTES + size + TAG_BYTES);
    out[0] = VERSION;
    const iv = randomFill(out, 1, IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', keys[0]!, iv);
    cipher.setAAD(aad);
    const body = cipher.update(plain, 'utf8');
    const rest = cipher.final();
    if (body.length + rest.length !== size) throw new Error('seal: unexpected ciphertext length');
    body.copy(out, 1 + IV_BYTES);
    rest.copy(out, 1 + IV_BYTES + body.length);
    cipher.getAuthTag().copy(out, 1 + IV_BYTES + size);
    return out.toString('base64url');
  }

  function open(raw: Buffer): { x: number; v: unknown } | null {
    const iv = raw.subarray(1, 1 + IV_BYTES);
    const tag = raw.subarray(raw.length - TAG_BYTES);
    const body = raw.subarray(1 + IV_BYTES, raw.length - TAG_BYTES);
    for (const key of keys) {
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, iv);
        decipher.setAAD(aad);
        decipher.setAuthTag(tag);
        const plain = Buffer.concat([decipher.update(body), decipher.final()]);
        const parsed: unknown = JSON.parse(plain.toString('utf8'));
        if (
          parsed &&
          typeof parsed === 'object' &&
          typeof (parsed as { x?: unknown }).x === 'number'
        ) {
          return parsed as { x: number; v: unknown };
        }
        return null;
      } catch {
        // A wrong key and a forged tag fail the same way; try the next (older) secret.
      }
    }
    return null;
  }

  function unseal<T>(token: unknown, options: { graceMs?: number } = {}): UnsealResult<T> {
    if (typeof token !== 'string' || token.length > MAX_SEALED_LENGTH || !BASE64URL.test(token)) {
      return { ok: false, reason: 'invalid' };
    }
    const raw = Buffer.from(token, 'base64url');
    if (raw.length < 1 + IV_BYTES + TAG_BYTES + 1 || raw[0] !== VERSION) {
      return { ok: false, reason: 'invalid' };
    }
    const opened = open(raw);
    if (!opened) return { ok: false, reason: 'invalid' };
    if (now() >= opened.x + (options.graceMs ?? 0)) return { ok: false, reason: 'expired' };
    return { ok: true, value: opened.v as T, expiresAt: opened.x };
  }

  return { seal, unseal };
}
