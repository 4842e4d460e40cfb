import { describe, expect, it } from 'vitest';
import { utf8Data } from './columns.js';
import { utf8Column } from './utf8-column.js';
import { makeVector } from 'apache-arrow';

describe('utf8Column', () => {
  it('holds the same strings and nulls as utf8Data', () => {
    const values = ['a.png', 'a.png', null, 'a.png', 'ünïcödé ✓', '', null, 'x'.repeat(300), 'x'.repeat(300), 'b', 'b', 'b'];
    const fast = makeVector(utf8Column(values));
    const slow = makeVector(utf8Data(values));
    expect(fast.toArray()).toEqual(slow.toArray());
    expect(fast.nullCount).toBe(2);
    expect(Array.from(fast)).toEqual(values);
  });

  it('handles an empty column and a column of nulls', () => {
    expect(makeVector(utf8Column([])).length).toBe(0);
    const nulls = makeVector(utf8Column([null, null, null]));
    expect(Array.from(nulls)).toEqual([null, null, null]);
    expect(nulls.nullCount).toBe(3);
  });
});
