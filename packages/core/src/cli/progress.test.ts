import { describe, expect, it } from 'vitest';
import { formatDuration } from './progress.js';

describe('progress', () => {
  it('formats the remaining time as people read it', () => {
    expect(formatDuration(44.6)).toBe('45s');
    expect(formatDuration(185)).toBe('3m05s');
    expect(formatDuration(2 * 3600 + 7 * 60 + 40)).toBe('2h07m');
    expect(formatDuration(-3)).toBe('0s');
  });
});
