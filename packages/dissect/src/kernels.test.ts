import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { TopValues, keepCount, thresholdFromTop } from './quantile.js';
import { PYTHON, hasPython } from './test-support/helpers.js';
import { upsample } from './upsample.js';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** numpy.quantile(x, p) (linear), from a full sort: the definition the summary must match exactly. */
function exactQuantile(values: Float32Array, p: number): number {
  const sorted = Float64Array.from(values).sort();
  const h = (sorted.length - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  const t = h - lo;
  const d = sorted[hi]! - sorted[lo]!;
  return t >= 0.5 ? sorted[hi]! - d * (1 - t) : sorted[lo]! + d * t;
}

describe('the quantile summary', () => {
  const units = 3;
  const hw = 49;
  const images = 157;
  const r = rng(7);
  const data = new Float32Array(images * units * hw);
  // Unit 0: uniform; unit 1: mostly zeros (ReLU-like, ties); unit 2: few distinct values.
  for (let i = 0; i < images; i++) {
    for (let j = 0; j < hw; j++) {
      const at = (k: number) => (i * units + k) * hw + j;
      data[at(0)] = r();
      data[at(1)] = r() < 0.9 ? 0 : r() * 5;
      data[at(2)] = Math.floor(r() * 4);
    }
  }
  const perUnit = (k: number) => {
    const out = new Float32Array(images * hw);
    for (let i = 0; i < images; i++) out.set(data.subarray((i * units + k) * hw, (i * units + k + 1) * hw), i * hw);
    return out;
  };
  for (const q of [0.005, 0.05, 0.5]) {
    it(`is exact in one stream and merged from shards (q = ${q})`, () => {
      const n = images * hw;
      const whole = new TopValues(units, keepCount(n, q));
      for (let i = 0; i < images; i += 10) whole.addBatch(data.subarray(i * units * hw, Math.min(images, i + 10) * units * hw), Math.min(10, images - i), hw);
      const shards = [0, 1, 2].map(() => new TopValues(units, keepCount(n, q)));
      for (let i = 0; i < images; i++) shards[i % 3]!.addBatch(data.subarray(i * units * hw, (i + 1) * units * hw), 1, hw);
      const merged = new TopValues(units, keepCount(n, q));
      for (const s of shards) for (let k = 0; k < units; k++) merged.addValues(k, s.top(k));
      const a = whole.thresholds(n, q);
      const b = merged.thresholds(n, q);
      for (let k = 0; k < units; k++) {
        expect(a[k]).toBe(exactQuantile(perUnit(k), 1 - q));
        expect(b[k]).toBe(a[k]);
      }
    });
  }
  it('keeps n - floor((n - 1)(1 - q)) values and reads the two order statistics from them', () => {
    expect(keepCount(100, 0.005)).toBe(2);
    expect(keepCount(1, 0.005)).toBe(1);
    expect(thresholdFromTop(Float32Array.of(1, 2), 100, 0.005)).toBeCloseTo(1.505, 12);
  });
});

describe.skipIf(!hasPython('torch'))('bilinear upsampling', () => {
  it("equals torch's interpolate(mode='bilinear', align_corners=False)", () => {
    const cases = [
      [7, 7, 28, 28],
      [4, 4, 28, 28],
      [2, 3, 112, 56],
      [7, 7, 112, 112],
      [5, 9, 17, 13],
    ];
    const r = rng(3);
    const maps = cases.map(([h, w]) => Float32Array.from({ length: h! * w! }, () => r() * 4 - 1));
    const script = `
import json, sys, torch
cases, maps = json.loads(sys.stdin.read())
out = []
for (h, w, oh, ow), m in zip(cases, maps):
    x = torch.tensor(m, dtype=torch.float64).reshape(1, 1, h, w)
    out.append(torch.nn.functional.interpolate(x, size=(oh, ow), mode='bilinear', align_corners=False).reshape(-1).tolist())
print(json.dumps(out))`;
    const py = spawnSync(PYTHON, ['-c', script], { input: JSON.stringify([cases, maps.map((m) => Array.from(m))]), encoding: 'utf8', maxBuffer: 1 << 26 });
    expect(py.status, py.stderr).toBe(0);
    const want = JSON.parse(py.stdout) as number[][];
    cases.forEach(([h, w, oh, ow], i) => {
      const got = upsample(maps[i]!, h!, w!, oh!, ow!);
      let worst = 0;
      for (let p = 0; p < got.length; p++) worst = Math.max(worst, Math.abs(got[p]! - want[i]![p]!));
      expect(worst).toBeLessThan(1e-12);
    });
  });
});
