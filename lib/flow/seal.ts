import { createCipheriv, createDecipheriv, hkdfSync } from 'node:crypto';
import { randomFill } from './random';
import { fifoCache } from '../fifo-cache';

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
  config: {
    now?: () => number;
    /**
     * Remember the plaintext of up to this many opened tokens, for tokens a client presents
     * again and again (a session cookie on every request): opening one again then costs a map
     * lookup instead of a key schedule and a decryption. 0, the default, caches nothing.
     */
    cache?: number;
  } = {},
): Sealer {
  const now = config.now ?? (() => Date.now());
  const cacheSize = config.cache ?? 0;
  const opened = cacheSize > 0 ? fifoCache<string, string>(cacheSize) : null;
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

  /** The plaintext of a well-formed token, if one of the keys authenticates it. */
  function decrypt(token: string): string | null {
    if (!BASE64URL.test(token)) return null;
    const raw = Buffer.from(token, 'base64url');
    // Node ignores the spare low bits of the last character, so four spellings of one token
    // would all open it (and each be cached apart): only the one we write is accepted.
    if (raw.toString('base64url') !== token) return null;
    if (raw.length < 1 + IV_BYTES + TAG_BYTES + 1 || raw[0] !== VERSION) return null;
    const iv = raw.subarray(1, 1 + IV_BYTES);
    const tag = raw.subarray(raw.length - TAG_BYTES);
    const body = raw.subarray(1 + IV_BYTES, raw.length - TAG_BYTES);
    for (const key of keys) {
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, iv);
        decipher.setAAD(aad);
        decipher.setAuthTag(tag);
        return Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
      } catch {
        // A wrong key and a forged tag fail the same way; try the next (older) secret.
      }
    }
    return null;
  }

  /**
   * The plaintext of `token`, from the cache when this exact token was opened before. Only
   * tokens a key authenticated are cached, so a hit needs the whole genuine token, and nothing
   * is trusted that GCM did not check; expiry is still checked on every use, by the caller.
   */
  function plaintextOf(token: string): string | null {
    if (opened === null) return decrypt(token);
    const hit = opened.get(token);
    if (hit !== undefined) return hit;
    const plain = decrypt(token);
    if (plain === null) return null;
    // A copy: a token cut from a Cookie header is a slice that would keep the whole header alive.
    opened.set(Buffer.from(token, 'latin1').toString('latin1'), plain);
    return plain;
  }

  function unseal<T>(token: unknown, options: { graceMs?: number } = {}): UnsealResult<T> {
    if (typeof token !== 'string' || token.length > MAX_SEALED_LENGTH) {
      return { ok: false, reason: 'invalid' };
    }
    const plain = plaintextOf(token);
    if (plain === null) return { ok: false, reason: 'invalid' };
    let parsed: unknown;
    try {
      // Parsed on every use, from the plaintext, so every caller gets objects of its own.
      parsed = JSON.parse(plain);
    } catch {
      return { ok: false, reason: 'invalid' };
    }
    if (!parsed || typeof parsed !== 'object' || typeof (parsed as { x?: unknown }).x !== 'number')
      return { ok: false, reason: 'invalid' };
    const { x, v } = parsed as { x: number; v: unknown };
    if (now() >= x + (options.graceMs ?? 0)) return { ok: false, reason: 'expired' };
    return { ok: true, value: v as T, expiresAt: x };
  }

  return { seal, unseal };
}
