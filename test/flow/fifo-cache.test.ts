import { fifoCache } from '../../lib/fifo-cache';

describe('fifoCache', () => {
  it('keeps at most its limit, dropping the oldest first', () => {
    const cache = fifoCache<string, number>(2);
    cache.set('a', 1);
    cache.set('b', 2);
    cache.set('c', 3);
    expect([cache.get('a'), cache.get('b'), cache.get('c')]).toEqual([undefined, 2, 3]);
  });

  it('setting a key it holds replaces the value and drops nothing', () => {
    const cache = fifoCache<string, number>(2);
    cache.set('a', 1);
    cache.set('b', 2);
    cache.set('b', 20);
    expect([cache.get('a'), cache.get('b')]).toEqual([1, 20]);
  });
});
