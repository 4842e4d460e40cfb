import { describe, expect, it } from 'vitest';
import { LruCache } from './lru-cache.js';

describe('LruCache', () => {
  it('loads once per key while cached and evicts the least recently used', () => {
    const loads: string[] = [];
    const cache = new LruCache<string, string>(2);
    const get = (k: string) => cache.get(k, (key) => (loads.push(key), key.toUpperCase()));
    expect(get('a')).toBe('A');
    get('b');
    get('a'); // hit: a becomes the most recent
    get('c'); // evicts b
    get('a'); // still cached
    get('b'); // loaded again
    expect(loads).toEqual(['a', 'b', 'c', 'b']);
  });
});
