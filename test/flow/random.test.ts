import { randomBase64url, randomBytes, randomFill } from '../../lib/flow/random';

describe('pooled CSPRNG bytes', () => {
  it('never hands out the same bytes twice, across pool refills', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) seen.add(randomBytes(16).toString('hex'));
    expect(seen.size).toBe(2000);
  });

  it('returns copies of exactly the size asked for, including sizes larger than the pool', () => {
    const a = randomBytes(32);
    const snapshot = Buffer.from(a);
    randomBytes(32);
    expect(a.equals(snapshot)).toBe(true);
    expect(randomBytes(7)).toHaveLength(7);
    expect(randomBytes(10_000)).toHaveLength(10_000);
  });

  it('hands out base64url strings of exactly the bytes asked for, never twice', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const value = i % 2 ? randomBase64url(16) : randomBytes(16).toString('base64url');
      expect(value).toMatch(/^[A-Za-z0-9_-]{22}$/);
      seen.add(value);
    }
    expect(seen.size).toBe(2000);
    expect(Buffer.from(randomBase64url(32), 'base64url')).toHaveLength(32);
    expect(Buffer.from(randomBase64url(10_000), 'base64url')).toHaveLength(10_000);
  });

  it('fills exactly the part of a buffer asked for, with bytes never handed out before', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 1000; i++) {
      const target = Buffer.alloc(20, 0xaa);
      const part = randomFill(target, 3, 12);
      expect(part).toHaveLength(12);
      expect(part.buffer).toBe(target.buffer);
      expect(target.subarray(0, 3).equals(Buffer.alloc(3, 0xaa))).toBe(true);
      expect(target.subarray(15).equals(Buffer.alloc(5, 0xaa))).toBe(true);
      seen.add(part.toString('hex'));
      seen.add(randomBytes(12).toString('hex'));
    }
    expect(seen.size).toBe(2000);
  });

  it('looks uniform: every byte value turns up in 64 KiB', () => {
    const counts = new Array<number>(256).fill(0);
    for (let i = 0; i < 4096; i++) for (const b of randomBytes(16)) counts[b]!++;
    expect(Math.min(...counts)).toBeGreaterThan(150);
    expect(Math.max(...counts)).toBeLessThan(380);
  });
});
