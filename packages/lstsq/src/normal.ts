import { CliError, DEFAULT_SLICE_DIGITS, dependenceTolerance, maxSlicedBlockRows, minNormSolve, type Gram, type SliceDigits } from '@cnnpipe/core';
import { BlockGram, type Block, type BlockCounts } from './block-gram.js';

// The Gram (streamed float64 sufficient statistics) is core's gram kind; re-exported for the
// tools that reuse lstsq's accumulator (compare).
export { emptyGram, type Gram } from '@cnnpipe/core';

/** Adds `b` into `a` (shapes must agree). */
export function addGram(a: Gram, b: Gram): void {
  if (a.da !== b.da || a.db !== b.db) {
    throw new CliError(`gram shapes differ: ${a.da}->${a.db} against ${b.da}->${b.db}`);
  }
  a.n += b.n;
  for (let i = 0; i < a.xtx.length; i++) a.xtx[i]! += b.xtx[i]!;
  for (let i = 0; i < a.xty.length; i++) a.xty[i]! += b.xty[i]!;
  for (let i = 0; i < a.yy.length; i++) a.yy[i]! += b.yy[i]!;
}

/**
 * Rows per block: about 128 MB of float64 X and Y inside the graph, between 512 and 4096
 * (at 50k x 2048 -> 2048, 4096-row blocks cost 0.6 CPU s less than 2048-row ones, for 70 MB
 * more peak memory).
 */
export function defaultBlockRows(da: number, db: number): number {
  return Math.max(512, Math.min(4096, 2 ** Math.round(Math.log2(2 ** 24 / (da + db + 1)))));
}

/**
 * How a block's products are computed: 'float64' casts and multiplies in float64 (Gemm);
 * 'int8' takes float32 blocks through core's exact int8 digit products (sliced-int8-gram.ts,
 * AMX), float64 blocks still by Gemm. 'auto' is float64: at the digits agreement with numpy
 * to 1e-7 needs up to cond 1e4 (7 for X, 6 for Y) the int8 path measured ~1.5x slower than
 * float64 Gemm on this 2-core Sapphire Rapids (1.49 s against 0.76 s per 4096-row block at
 * 2048 -> 2048). With fewer digits (`int8:4`: 9.9 s against 12.95 s for the whole 50k-row
 * fit) it is faster but perturbs the data by up to 2^-27 of a column's block maximum: 3e-8
 * off numpy on the bench's data, 2.4e-5 on the zoo's DenseNet features (cond 2.5e3), so it
 * is the user's choice, never the default. Without AMX it would be slower still.
 */
export type GramPath = 'auto' | 'int8' | 'float64';

export const GRAM_PATHS: readonly GramPath[] = ['auto', 'int8', 'float64'];

/** A --gram value: the path, and the int8 digits per source and target value (`int8:D` or `int8:D,E`). */
export interface GramChoice {
  path: GramPath;
  digits: SliceDigits;
}

/** Parses `auto`, `float64`, `int8`, `int8:D` or `int8:D,E` (2 to 8 digits each); undefined for anything else. */
export function parseGramChoice(value: string): GramChoice | undefined {
  if (value === 'auto' || value === 'float64') return { path: value, digits: DEFAULT_SLICE_DIGITS };
  const match = /^int8(?::([2-8])(?:,([2-8]))?)?$/.exec(value);
  if (!match) return undefined;
  const x = match[1] ? Number(match[1]) : DEFAULT_SLICE_DIGITS.x;
  const y = match[2] ? Number(match[2]) : match[1] ? x : DEFAULT_SLICE_DIGITS.y;
  return { path: 'int8', digits: { x, y } };
}

/** The path 'auto' stands for: float64 (see GramPath: at equal agreement int8 measured slower). */
export function resolveGramPath(path: GramPath): 'int8' | 'float64' {
  return path === 'auto' ? 'float64' : path;
}

function blockBuffer(like: ArrayLike<number>, length: number): Block {
  return like instanceof Float32Array ? new Float32Array(length) : new Float64Array(length);
}

/**
 * Accumulates rows block by block: rows are buffered (in their own precision, float32 as
 * Arrow gives them) into blocks of `blockRows`, and each full block's float64 statistics
 * (block-gram.ts: onnxruntime graphs, float64 Gemm or core's exact int8 digit products) add
 * into the float64 Gram. (A worker thread computing one block while this one read the next
 * did not pay: 13.5 s against 12.95 s at 50k x 2048 -> 2048, float64 path.)
 */
export class GramAccumulator {
  private gramOut: Gram | undefined;
  private x: Block | undefined;
  private y: Block | undefined;
  private filled = 0;
  private readonly blockRows: number;
  private readonly blockGram: BlockGram;
  /** Blocks that went through the int8 digit products, and through float64 Gemm (all of them after finish). */
  get blocks(): BlockCounts {
    return this.blockGram.blocks;
  }

  constructor(
    readonly da: number,
    readonly db: number,
    blockRows?: number,
    path: GramPath = 'float64',
    digits: SliceDigits = DEFAULT_SLICE_DIGITS,
  ) {
    const resolved = resolveGramPath(path);
    this.blockRows = Math.min(blockRows ?? defaultBlockRows(da, db), maxSlicedBlockRows(digits));
    this.blockGram = new BlockGram(da, db, resolved, digits);
  }

  /** Adds rows: x is rows x DA, y rows x DB (row-major, any float type). */
  async add(x: ArrayLike<number>, y: ArrayLike<number>, rows: number): Promise<void> {
    const { da, db } = this;
    // A wider input than the buffer holds (float64 after float32): flush and widen.
    if ((this.x instanceof Float32Array && !(x instanceof Float32Array)) || (this.y instanceof Float32Array && !(y instanceof Float32Array))) {
      await this.flush();
      if (!(x instanceof Float32Array)) this.x = undefined;
      if (!(y instanceof Float32Array)) this.y = undefined;
    }
    this.x ??= blockBuffer(x, this.blockRows * da);
    this.y ??= blockBuffer(y, this.blockRows * db);
    const xs = x as Block;
    const ys = y as Block;
    let r = 0;
    while (r < rows) {
      const take = Math.min(rows - r, this.blockRows - this.filled);
      if (typeof xs.subarray === 'function') this.x.set(xs.subarray(r * da, (r + take) * da), this.filled * da);
      else for (let i = 0; i < take * da; i++) this.x[this.filled * da + i] = x[r * da + i]!;
      if (typeof ys.subarray === 'function') this.y.set(ys.subarray(r * db, (r + take) * db), this.filled * db);
      else for (let i = 0; i < take * db; i++) this.y[this.filled * db + i] = y[r * db + i]!;
      this.filled += take;
      r += take;
      if (this.filled === this.blockRows) await this.flush();
    }
  }

  /** Adds the buffered rows' statistics into the Gram. */
  async flush(): Promise<void> {
    const rows = this.filled;
    if (rows === 0) return;
    this.filled = 0;
    await this.blockGram.addBlock(this.x!, this.y!, rows);
  }

  /** The Gram of every row added. */
  async finish(): Promise<Gram> {
    await this.flush();
    this.gramOut ??= this.blockGram.finish();
    return this.gramOut;
  }
}

export interface AffineMap {
  da: number;
  db: number;
  /** DB x DA, row-major: row j maps the source features to target dimension j. */
  weights: Float64Array;
  bias: Float64Array;
  /** Training R² per target dimension, and overall (1 - ΣSS_res / ΣSS_tot). */
  r2: Float64Array;
  r2Total: number;
  rows: number;
  /** Source dimensions the fit found linearly dependent (constant, or collinear with others). */
  dependent?: number[];
}

/**
 * Solves the normal equations of a Gram: centred (X'X - n μμ' + λI) W = X'Y - n μ_x μ_y',
 * b = μ_y - W'μ_x, the same solution as the augmented system without penalising the bias.
 * Without a ridge, rank-deficient sources (dead, constant, duplicated or collinear
 * dimensions) get numpy.linalg.lstsq's minimum-norm solution over (W, b) (core's linalg/min-norm.ts).
 */
export async function solveGram(gram: Gram, ridge = 0): Promise<AffineMap> {
  const { da, db, n } = gram;
  if (n === 0) throw new CliError('no rows to fit (expected at least one image in both tables)');
  const a1 = da + 1;
  const mx = new Float64Array(da);
  const my = new Float64Array(db);
  for (let i = 0; i < da; i++) mx[i] = gram.xtx[i * a1 + da]! / n;
  for (let j = 0; j < db; j++) my[j] = gram.xty[da * db + j]! / n;
  const cxx = new Float64Array(da * da);
  for (let i = 0; i < da; i++) {
    for (let k = 0; k < da; k++) cxx[i * da + k] = gram.xtx[i * a1 + k]! - n * mx[i]! * mx[k]!;
  }
  const cxy = new Float64Array(da * db);
  for (let i = 0; i < da; i++) {
    for (let j = 0; j < db; j++) cxy[i * db + j] = gram.xty[i * db + j]! - n * mx[i]! * my[j]!;
  }
  // A source dimension whose centred sum of squares is at roundoff level of its raw sum of
  // squares is constant: dependent on the bias column.
  const tol = dependenceTolerance(da + 1);
  const constant = new Uint8Array(da);
  for (let i = 0; i < da; i++) {
    if (!(cxx[i * da + i]! > tol * gram.xtx[i * a1 + i]!)) constant[i] = 1;
  }
  const { w, bias, dependent } = await minNormSolve(cxx, cxy, mx, my, constant, tol, ridge);
  // R²: SS_res_j = SS_tot_j - 2 w_j'cxy_j + w_j'Cxx w_j, and the normal equations
  // (Cxx + λI) w_j = cxy_j make w_j'Cxx w_j = w_j'cxy_j - λ|w_j|²: no DA x DA x DB product.
  const r2 = new Float64Array(db);
  let res = 0;
  let tot = 0;
  const wc = new Float64Array(db);
  const ww = new Float64Array(db);
  for (let i = 0; i < da; i++) {
    const o = i * db;
    for (let j = 0; j < db; j++) {
      wc[j]! += w[o + j]! * cxy[o + j]!;
      ww[j]! += w[o + j]! * w[o + j]!;
    }
  }
  for (let j = 0; j < db; j++) {
    const ssTot = gram.yy[j]! - n * my[j]! * my[j]!;
    const ssRes = Math.max(0, ssTot - wc[j]! - ridge * ww[j]!);
    r2[j] = ssTot > 0 ? 1 - ssRes / ssTot : ssRes === 0 ? 1 : 0;
    res += ssRes;
    tot += Math.max(0, ssTot);
  }
  const weights = transpose(w, da, db);
  return { da, db, weights, bias, r2, r2Total: tot > 0 ? 1 - res / tot : 1, rows: n, dependent };
}

/** Row-major rows x cols to cols x rows. */
export function transpose(a: Float64Array, rows: number, cols: number): Float64Array {
  const out = new Float64Array(a.length);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = a[i * cols + j]!;
  return out;
}

/** Identity with truncation (DB < DA) or zero padding (DB > DA). */
export function naiveMap(da: number, db: number): AffineMap {
  const weights = new Float64Array(db * da);
  for (let j = 0; j < Math.min(da, db); j++) weights[j * da + j] = 1;
  return { da, db, weights, bias: new Float64Array(db), r2: new Float64Array(db).fill(NaN), r2Total: NaN, rows: 0 };
}
