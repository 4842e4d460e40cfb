import { describe, expect, it } from 'vitest';
import { diversityTerm, evaluateObjective, objectiveValues, type ObjectiveSpec } from './objectives.js';
import { gaussian, seededRng } from './random.js';
import { dot, hasTorch, lucentReference, relativeError } from './test-support/reference.js';

const shape = [5, 4, 3];
const batch = 3;

describe('objective values', () => {
  // Image b: channel b+1 of a tap whose value is its flat index within the image.
  const tap = Float32Array.from({ length: batch * 60 }, (_, i) => i % 60);
  it('channel = the mean over positions, neuron = the centre, deepdream = the mean of squares', () => {
    const channels = [1, 2, 3];
    const mean = objectiveValues({ kind: 'channel', channels, diversity: 0 }, tap, batch, shape);
    expect(Array.from(mean)).toEqual([12 + 5.5, 24 + 5.5, 36 + 5.5]);
    const centre = objectiveValues({ kind: 'neuron', channels, diversity: 0 }, tap, batch, shape);
    expect(Array.from(centre)).toEqual([12 + 2 * 3 + 1, 24 + 7, 36 + 7]);
    const dream = objectiveValues({ kind: 'deepdream', channels, diversity: 0 }, tap, batch, shape);
    const squares = Array.from({ length: 60 }, (_, i) => i * i).reduce((a, b) => a + b, 0) / 60;
    expect(dream[0]).toBeCloseTo(squares, 9);
  });
});

describe('objective seeds are d objective / d tap (finite differences)', () => {
  const specs: ObjectiveSpec[] = [
    { kind: 'channel', channels: [0, 4, 2], diversity: 0 },
    { kind: 'neuron', channels: [3, 3, 1], diversity: 0 },
    { kind: 'deepdream', channels: [0, 0, 0], diversity: 0 },
    { kind: 'channel', channels: [2, 2, 2], diversity: 100 },
  ];
  it.each(specs)('%o', async (spec) => {
    const tap = gaussian(seededRng(1), batch * 60, 1);
    const { seed } = await evaluateObjective(spec, tap, batch, shape);
    const v = gaussian(seededRng(2), tap.length, 1);
    const h = 1e-3;
    const at = async (s: number) => (await evaluateObjective(spec, Float32Array.from(tap, (x, i) => x + s * v[i]!), batch, shape)).total;
    const fd = ((await at(h)) - (await at(-h))) / (2 * h);
    expect(Math.abs(fd - dot(seed, v))).toBeLessThan(2e-3 * Math.max(1, Math.abs(fd)));
  });
});

describe.skipIf(!hasTorch)('diversity against Lucent (objectives.diversity in PyTorch, verbatim)', () => {
  it('value and gradient', async () => {
    const tapShape = [6, 4, 4];
    const tap = gaussian(seededRng(3), 4 * 96, 1);
    const { value, grad } = await diversityTerm(tap, 4, tapShape);
    const ref = lucentReference({ mode: 'diversity', tap: Array.from(tap), shape: [4, ...tapShape] });
    // Lucent's diversity is -S / B.
    expect(-value / 4).toBeCloseTo(ref.image[0]!, 5);
    expect(relativeError(Float32Array.from(grad, (g) => -g / 4), ref.grad!)).toBeLessThan(1e-4);
  });
});
