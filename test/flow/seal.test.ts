import { createDecipheriv } from 'node:crypto';
import { createSealer, deriveKey } from '../../lib/flow/seal';

const SECRET = 'seal-test-secret-0123456789abcdef0123456789';

describe('sealed values', () => {
  it('are version 1, a 12-byte IV, AES-256-GCM of {x, v} and a 16-byte tag, in base64url', () => {
    const value = { i: 'id', e: 'ünïcödé@example.com', r: '/a?b=c' };
    const before = Date.now();
    const token = createSealer([SECRET], 'state').seal(value, 60_000);
    expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
    const raw = Buffer.from(token, 'base64url');
    expect(raw[0]).toBe(1);
    const decipher = createDecipheriv(
      'aes-256-gcm',
      deriveKey(SECRET, 'seal:state'),
      raw.subarray(1, 13),
    );
    decipher.setAAD(Buffer.from('express-magic-link:state:v1'));
    decipher.setAuthTag(raw.subarray(raw.length - 16));
    const plain = Buffer.concat([
      decipher.update(raw.subarray(13, raw.length - 16)),
      decipher.final(),
    ]);
    const opened = JSON.parse(plain.toString('utf8')) as { x: number; v: unknown };
    expect(opened.v).toEqual(value);
    expect(opened.x - before).toBeGreaterThanOrEqual(60_000);
    expect(opened.x - Date.now()).toBeLessThanOrEqual(60_000);
  });

  it('open with any of the secrets, for their purpose only, and not once tampered with', () => {
    const old = createSealer([SECRET], 'state');
    const rotated = createSealer(['a-newer-secret-0123456789abcdef0123456789', SECRET], 'state');
    const token = old.seal({ n: 1 }, 60_000);
    expect(rotated.unseal(token)).toMatchObject({ ok: true, value: { n: 1 } });
    expect(createSealer([SECRET], 'link').unseal(token)).toEqual({ ok: false, reason: 'invalid' });
    const raw = Buffer.from(token, 'base64url');
    for (const at of [0, 1, 13, raw.length - 1]) {
      const bad = Buffer.from(raw);
      bad[at]! ^= 1;
      expect(old.unseal(bad.toString('base64url')).ok).toBe(false);
    }
  });

  it('with a cache, open a token again without decrypting it, still expiring and still fresh', () => {
    let now = 1_000_000;
    const sealer = createSealer([SECRET], 'session-cookie', { now: () => now, cache: 2 });
    const token = sealer.seal({ user: { id: 'u1' } }, 60_000);
    const first = sealer.unseal<{ user: { id: string; extra?: string } }>(token);
    expect(first).toMatchObject({ ok: true, value: { user: { id: 'u1' } } });
    // Each caller gets objects of its own: a change to one is not seen by the next.
    if (first.ok) first.value.user.extra = 'changed';
    expect(sealer.unseal(token)).toMatchObject({ ok: true, value: { user: { id: 'u1' } } });
    expect(sealer.unseal(token)).not.toMatchObject({ value: { user: { extra: 'changed' } } });
    // A tampered copy of a cached token is still refused.
    const raw = Buffer.from(token, 'base64url');
    raw[raw.length - 1]! ^= 1;
    expect(sealer.unseal(raw.toString('base64url'))).toEqual({ ok: false, reason: 'invalid' });
    // Bounded: older tokens leave the cache and still open, by decryption.
    const others = [1, 2, 3].map((n) => sealer.seal({ n }, 60_000));
    for (const other of others) expect(sealer.unseal(other).ok).toBe(true);
    expect(sealer.unseal(token).ok).toBe(true);
    now += 60_000;
    expect(sealer.unseal(token)).toEqual({ ok: false, reason: 'expired' });
  });
});
