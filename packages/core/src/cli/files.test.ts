import { describe, expect, it } from 'vitest';
import { UsageError } from './errors.js';
import { oneFile } from './files.js';

describe('oneFile', () => {
  it('gives the FILE argument, undefined for stdin, and refuses two', () => {
    expect(oneFile({ _: ['a.arrows'] })).toBe('a.arrows');
    expect(oneFile({ _: [7] })).toBe('7');
    expect(oneFile({ _: [] })).toBeUndefined();
    expect(() => oneFile({ _: ['a', 'b'] })).toThrow(UsageError);
    expect(() => oneFile({ _: ['a', 'b'] })).toThrow('expected at most one FILE, got 2');
  });
});
