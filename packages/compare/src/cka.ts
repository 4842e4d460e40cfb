import { CliError } from '@cnnpipe/core';
import { GramAccumulator, type Gram } from '@cnnpipe/lstsq';
import type { JoinedBlock } from './join.js';
import type { SideLayout } from './layers.js';

/**
 * Linear CKA (Kornblith et al. 2019) between every layer of A and every layer of B from one
 * streamed Gram. Each image contributes the row z = [A's layers | B's layers | ‖x_ℓ‖² per
 * layer]; lstsq's GramAccumulator adds [z 1]'[z 1] in float64 (onnxruntime Gemm per block).
 * That one matrix holds, for every pair of layers, X'Y, the column sums and n (the biased
 * estimator), and the sums of squared row norms, their products and Σ‖x_i‖² y_i that the
 * debiased (unbiased HSIC) estimator needs. All are sums over images, so shards add exactly
 * (`--partial`, `merge`) and memory depends only on the widths: (D + L + 1)² float64 for D
 * features in L layers.
 */
export interface CkaLayout {
  a: SideLayout;
  b: SideLayout;
}

interface Placed {
  offset: number;
  width: number;
  /** Column of the layer's squared row norms. */
  norm: number;
}

/** Where each layer's columns sit in z: A's layers, then B's, then one norm column per layer. */
export function placement(layout: CkaLayout): { a: Placed[]; b: Placed[]; features: number; width: number } {
  const all = [...layout.a.layers, ...layout.b.layers];
  const features = all.reduce((s, l) => s + l.width, 0);
  let offset = 0;
  const placed = all.map((l, i) => {
    const p = { offset, width: l.width, norm: features + i };
    offset += l.width;
    return p;
  });
  const p = layout.a.layers.length;
  return { a: placed.slice(0, p), b: placed.slice(p), features, width: features + all.length };
}

/** Bytes the statistics hold: the Gram and the accumulator's float64 block. */
export function ckaBytes(layout: CkaLayout, blockRows: number): number {
  const k = placement(layout).width + 1;
  return 8 * (k * k + blockRows * k);
}

/** Rows per Gemm block: 4096, fewer for very wide layouts (the block stays near 128 MB). */
export function blockRowsFor(layout: CkaLayout): number {
  const k = placement(layout).width + 1;
  return Math.max(256, Math.min(4096, Math.floor(2 ** 24 / k)));
}

export class CkaAccumulator {
  private readonly acc: GramAccumulator;
  private readonly place: ReturnType<typeof placement>;
  private z = new Float64Array(0);
  private ones = new Float64Array(0);

  constructor(
    readonly layout: CkaLayout,
    blockRows = blockRowsFor(layout),
  ) {
    this.place = placement(layout);
    // lstsq's gram table needs a target: a column of ones (its X'Y repeats the sums, Y'Y is n).
    this.acc = new GramAccumulator(this.place.width, 1, blockRows);
  }

  async add(block: JoinedBlock): Promise<void> {
    const { rows } = block;
    const w = this.place.width;
    if (this.z.length < rows * w) this.z = new Float64Array(rows * w);
    const z = this.z;
    const sides: [Placed[], JoinedBlock['a']][] = [
      [this.place.a, block.a],
      [this.place.b, block.b],
    ];
    for (const [placed, values] of sides) {
      for (let l = 0; l < placed.length; l++) {
        const { offset, width, norm } = placed[l]!;
        const v = values[l]!;
        for (let i = 0; i < rows; i++) {
          const src = i * width;
          const dst = i * w + offset;
          let ss = 0;
          for (let k = 0; k < width; k++) {
            const x = v[src + k]!;
            z[dst + k] = x;
            ss += x * x;
          }
          z[i * w + norm] = ss;
        }
      }
    }
    if (this.ones.length < rows) this.ones = new Float64Array(rows).fill(1);
    await this.acc.add(z, this.ones, rows);
  }

  finish(): Promise<Gram> {
    return this.acc.finish();
  }
}

export interface CkaOptions {
  debiased: boolean;
}

/**
 * CKA of every (A layer, B layer) pair, row-major p x q, from the Gram of z.
 * Biased: ‖X̃'Ỹ‖²_F / (‖X̃'X̃‖_F ‖Ỹ'Ỹ‖_F) on centred features X̃, Ỹ.
 * Debiased (Kornblith et al.'s feature-space form of Song et al.'s unbiased HSIC, with ã_i
 * = ‖x̃_i‖²): ‖X̃'Ỹ‖² − n/(n−2) Σ ã_i b̃_i + Σã Σb̃ / ((n−1)(n−2)) in place of each ‖·‖².
 */
export function ckaFromGram(gram: Gram, layout: CkaLayout, options: CkaOptions): Float64Array {
  const place = placement(layout);
  if (gram.da !== place.width || gram.db !== 1) {
    throw new CliError(`the statistics are ${gram.da} wide (expected ${place.width} for the layers in their metadata)`);
  }
  const n = gram.n;
  const minRows = options.debiased ? 4 : 2;
  if (n < minRows) throw new CliError(`${n} images (expected at least ${minRows} for ${options.debiased ? 'debiased ' : ''}CKA)`);
  const k = place.width + 1;
  const g = gram.xtx;
  const one = place.width;
  const at = (r: number, c: number): number => g[r * k + c]!;
  const layers = [...place.a, ...place.b];
  const means = layers.map(({ offset, width }) => {
    const mu = new Float64Array(width);
    for (let i = 0; i < width; i++) mu[i] = at(offset + i, one) / n;
    return mu;
  });
  const sq = means.map((mu) => mu.reduce((s, v) => s + v * v, 0));
  // Σ ã_i over images: the trace of the centred Gram.
  const traces = layers.map(({ offset, width }, l) => {
    let t = 0;
    for (let i = 0; i < width; i++) t += at(offset + i, offset + i) - n * means[l]![i]! ** 2;
    return t;
  });

  /** ‖X̃_l'X̃_m‖²_F, and μ_l' X_l'X_m μ_m on the way. */
  function centredCross(l: number, m: number): { frob: number; uv: number } {
    const pl = layers[l]!;
    const pm = layers[m]!;
    const ml = means[l]!;
    const mm = means[m]!;
    let frob = 0;
    let uv = 0;
    for (let i = 0; i < pl.width; i++) {
      const row = (pl.offset + i) * k + pm.offset;
      const mi = ml[i]!;
      let rowUv = 0;
      for (let j = 0; j < pm.width; j++) {
        const s = g[row + j]!;
        const c = s - n * mi * mm[j]!;
        frob += c * c;
        rowUv += s * mm[j]!;
      }
      uv += mi * rowUv;
    }
    return { frob, uv };
  }

  /** Σ_i ã_i b̃_i (centred squared norms) from raw moments. */
  function normProducts(l: number, m: number, uv: number): number {
    const pl = layers[l]!;
    const pm = layers[m]!;
    let av = 0; // Σ a_i (y_i·μ_m)
    for (let j = 0; j < pm.width; j++) av += at(pl.norm, pm.offset + j) * means[m]![j]!;
    let ub = 0; // Σ (x_i·μ_l) b_i
    for (let i = 0; i < pl.width; i++) ub += at(pl.offset + i, pm.norm) * means[l]![i]!;
    const al = sq[l]!;
    const be = sq[m]!;
    const sa = at(pl.norm, one);
    const sb = at(pm.norm, one);
    return at(pl.norm, pm.norm) - 2 * av - 2 * ub + 4 * uv + be * (sa - 2 * n * al) + al * (sb - 2 * n * be) + n * al * be;
  }

  function similarity(l: number, m: number): number {
    const { frob, uv } = centredCross(l, m);
    if (!options.debiased) return frob;
    return frob - (n / (n - 2)) * normProducts(l, m, uv) + (traces[l]! * traces[m]!) / ((n - 1) * (n - 2));
  }

  const p = place.a.length;
  const q = place.b.length;
  const self = layers.map((_, l) => similarity(l, l));
  const out = new Float64Array(p * q);
  for (let i = 0; i < p; i++) {
    for (let j = 0; j < q; j++) out[i * q + j] = similarity(i, p + j) / Math.sqrt(self[i]! * self[p + j]!);
  }
  return out;
}
