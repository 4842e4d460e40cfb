import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { mulberry32 } from '@cnnpipe/core';

/** Options of {@link fastICA}; defaults follow scikit-learn's FastICA. */
export interface FastIcaOptions {
  /** How many components to ask for (fewer come back on a rank-deficient set). */
  components: number;
  /** Iterations of the symmetric fixed-point update (default 200). */
  maxIter?: number;
  /** Convergence tolerance on max | |<w_new, w_old>| - 1 | (default 1e-4). */
  tol?: number;
  /** Seed of the random initial unmixing matrix (default 0). */
  seed?: number;
  /** An explicit initial unmixing matrix (k x k row-major, k = components kept); overrides the seed. */
  wInit?: Float64Array;
  /** Eigenvalues below this fraction of the largest count as rank deficiency (default 1e-9). */
  rankTol?: number;
}

export interface FastIcaResult {
  /** Components kept (≤ asked): min(asked, rank of the centred data). */
  components: number;
  /** Pixels per component (features). */
  features: number;
  /** Mixing matrix, features x components, row-major: column j is basis pattern j (scikit-learn's `mixing_`). */
  mixing: Float64Array;
  /** Unmixing matrix, components x features, row-major (scikit-learn's `components_`). */
  unmixing: Float64Array;
  /** Per-feature mean removed before whitening. */
  mean: Float64Array;
  /** Rank of the centred data (numerical). */
  rank: number;
  iterations: number;
  converged: boolean;
}

/** Normal draws (Box-Muller) from the seeded mulberry32 generator. */
export function normalRandom(seed: number): () => number {
  const uniform = mulberry32(seed);
  let spare: number | undefined;
  return () => {
    if (spare !== undefined) {
      const s = spare;
      spare = undefined;
      return s;
    }
    let u = 0;
    while (u === 0) u = uniform();
    const v = uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  };
}

/** Symmetric eigendecomposition, eigenvalues descending, eigenvectors as columns. */
function eighDesc(m: Matrix): { values: number[]; vectors: Matrix } {
  const e = new EigenvalueDecomposition(m, { assumeSymmetric: true });
  const values = e.realEigenvalues;
  const order = values.map((_, i) => i).sort((a, b) => values[b]! - values[a]!);
  const vectors = e.eigenvectorMatrix;
  const sorted = new Matrix(vectors.rows, order.length);
  for (let j = 0; j < order.length; j++) {
    for (let i = 0; i < vectors.rows; i++) sorted.set(i, j, vectors.get(i, order[j]!));
  }
  return { values: order.map((i) => values[i]!), vectors: sorted };
}

/** Xc Xc^T (n x n) of a row-major n x p matrix. */
function gram(xc: Float64Array, n: number, p: number): Matrix {
  const g = new Matrix(n, n);
  for (let i = 0; i < n; i++) {
    const a = xc.subarray(i * p, (i + 1) * p);
    let j = 0;
    for (; j + 1 <= i; j += 2) {
      const b = xc.subarray(j * p, (j + 1) * p);
      const c = xc.subarray((j + 1) * p, (j + 2) * p);
      let s0 = 0;
      let s1 = 0;
      for (let q = 0; q < p; q++) {
        const v = a[q]!;
        s0 += v * b[q]!;
        s1 += v * c[q]!;
      }
      g.set(i, j, s0);
      g.set(j, i, s0);
      g.set(i, j + 1, s1);
      g.set(j + 1, i, s1);
    }
    for (; j <= i; j++) {
      const b = xc.subarray(j * p, (j + 1) * p);
      let s = 0;
      for (let q = 0; q < p; q++) s += a[q]! * b[q]!;
      g.set(i, j, s);
      g.set(j, i, s);
    }
  }
  return g;
}

/** Xc^T Xc (p x p) of a row-major n x p matrix. */
function scatter(xc: Float64Array, n: number, p: number): Matrix {
  const acc = new Float64Array(p * p);
  for (let t = 0; t < n; t++) {
    const a = t * p;
    for (let i = 0; i < p; i++) {
      const v = xc[a + i]!;
      if (v === 0) continue;
      const row = i * p;
      for (let j = 0; j <= i; j++) acc[row + j]! += v * xc[a + j]!;
    }
  }
  const c = new Matrix(p, p);
  for (let i = 0; i < p; i++) {
    for (let j = 0; j <= i; j++) {
      c.set(i, j, acc[i * p + j]!);
      c.set(j, i, acc[i * p + j]!);
    }
  }
  return c;
}

/** W <- (W W^T)^{-1/2} W, for a k x k row-major matrix (in place). */
function symDecorrelate(w: Float64Array, k: number): void {
  const m = new Matrix(k, k);
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) {
      let s = 0;
      for (let t = 0; t < k; t++) s += w[i * k + t]! * w[j * k + t]!;
      m.set(i, j, s);
    }
  }
  const { values, vectors } = eighDesc(m);
  // P = U diag(1/sqrt(s)) U^T
  const inv = values.map((s) => 1 / Math.sqrt(Math.max(s, Number.MIN_VALUE)));
  const p = new Float64Array(k * k);
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) {
      let s = 0;
      for (let t = 0; t < k; t++) s += vectors.get(i, t) * inv[t]! * vectors.get(j, t);
      p[i * k + j] = s;
    }
  }
  const out = new Float64Array(k * k);
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) {
      let s = 0;
      for (let t = 0; t < k; t++) s += p[i * k + t]! * w[t * k + j]!;
      out[i * k + j] = s;
    }
  }
  w.set(out);
}

/**
 * FastICA as scikit-learn's `FastICA(n_components, whiten='unit-variance', fun='logcosh',
 * algorithm='parallel')`: centring, PCA whitening (eigendecomposition of the smaller of the
 * covariance and the Gram matrix, rank-aware), symmetric fixed-point iterations.
 *
 * `x` is samples x features, row-major. Asking for more components than the rank of the
 * centred data gives fewer components (possibly 0); the result never holds NaN.
 */
export function fastICA(x: ArrayLike<number>, samples: number, features: number, options: FastIcaOptions): FastIcaResult {
  const n = samples;
  const p = features;
  if (x.length !== n * p) throw new Error(`fastICA: ${x.length} values is not ${n} x ${p}`);
  const maxIter = options.maxIter ?? 200;
  const tol = options.tol ?? 1e-4;
  const rankTol = options.rankTol ?? 1e-9;

  // Centre the features.
  const mean = new Float64Array(p);
  for (let i = 0; i < n; i++) for (let j = 0; j < p; j++) mean[j]! += x[i * p + j]!;
  for (let j = 0; j < p; j++) mean[j]! /= Math.max(n, 1);
  const xc = new Float64Array(n * p);
  for (let i = 0; i < n; i++) for (let j = 0; j < p; j++) xc[i * p + j] = x[i * p + j]! - mean[j]!;

  const empty = (rank: number): FastIcaResult => ({
    components: 0,
    features: p,
    mixing: new Float64Array(0),
    unmixing: new Float64Array(0),
    mean,
    rank,
    iterations: 0,
    converged: true,
  });
  if (n < 2 || p < 1) return empty(0);

  // PCA: principal directions u_i (length p) and singular values d_i of the centred data.
  const viaGram = p > n;
  const eig = eighDesc(viaGram ? gram(xc, n, p) : scatter(xc, n, p));
  const top = eig.values[0] ?? 0;
  let rank = 0;
  if (top > 0 && Number.isFinite(top)) {
    while (rank < eig.values.length && eig.values[rank]! > top * rankTol) rank++;
  }
  const k = Math.min(options.components, rank);
  if (k < 1) return empty(rank);

  const d = new Float64Array(k);
  const u = new Float64Array(k * p); // row i = u_i
  const sqrtN = Math.sqrt(n);
  const x1 = new Float64Array(k * n); // whitened data (k x n): X1_i = u_i^T Xc^T / d_i * sqrt(n)
  for (let i = 0; i < k; i++) {
    d[i] = Math.sqrt(eig.values[i]!);
    const ui = u.subarray(i * p, (i + 1) * p);
    const xi = x1.subarray(i * n, (i + 1) * n);
    if (viaGram) {
      // u_i = Xc^T v_i / d_i, and then u_i^T Xc^T / d_i = v_i^T (Xc Xc^T v_i = d_i^2 v_i).
      for (let t = 0; t < n; t++) xi[t] = eig.vectors.get(t, i);
      for (let t = 0; t < n; t++) {
        const vt = xi[t]! / d[i]!;
        const a = t * p;
        for (let j = 0; j < p; j++) ui[j]! += vt * xc[a + j]!;
      }
      for (let t = 0; t < n; t++) xi[t]! *= sqrtN;
    } else {
      for (let j = 0; j < p; j++) ui[j] = eig.vectors.get(j, i);
      const scale = sqrtN / d[i]!;
      for (let t = 0; t < n; t++) {
        let s = 0;
        const a = t * p;
        for (let j = 0; j < p; j++) s += ui[j]! * xc[a + j]!;
        xi[t] = s * scale;
      }
    }
    // scikit-learn's sign convention: the first entry of each direction is non-negative.
    if (ui[0]! < 0) {
      for (let j = 0; j < p; j++) ui[j] = -ui[j]!;
      for (let t = 0; t < n; t++) xi[t] = -xi[t]!;
    }
  }

  // Initial unmixing matrix.
  const w = new Float64Array(k * k);
  if (options.wInit) {
    if (options.wInit.length !== k * k) throw new Error(`fastICA: wInit has ${options.wInit.length} values, expected ${k * k}`);
    w.set(options.wInit);
  } else {
    const rand = normalRandom(options.seed ?? 0);
    for (let i = 0; i < k * k; i++) w[i] = rand();
  }
  symDecorrelate(w, k);

  // Symmetric FastICA with logcosh (alpha = 1).
  const wx = new Float64Array(k * n);
  const w1 = new Float64Array(k * k);
  let iterations = 0;
  let converged = false;
  for (let iter = 0; iter < maxIter; iter++) {
    iterations = iter + 1;
    for (let i = 0; i < k; i++) {
      let gPrime = 0;
      for (let t = 0; t < n; t++) {
        let s = 0;
        for (let j = 0; j < k; j++) s += w[i * k + j]! * x1[j * n + t]!;
        const g = Math.tanh(s);
        wx[i * n + t] = g;
        gPrime += 1 - g * g;
      }
      gPrime /= n;
      for (let j = 0; j < k; j++) {
        let s = 0;
        for (let t = 0; t < n; t++) s += wx[i * n + t]! * x1[j * n + t]!;
        w1[i * k + j] = s / n - gPrime * w[i * k + j]!;
      }
    }
    symDecorrelate(w1, k);
    let lim = 0;
    for (let i = 0; i < k; i++) {
      let s = 0;
      for (let j = 0; j < k; j++) s += w1[i * k + j]! * w[i * k + j]!;
      lim = Math.max(lim, Math.abs(Math.abs(s) - 1));
    }
    w.set(w1);
    if (!(lim >= tol)) {
      converged = true;
      break;
    }
  }

  // Sources S = W X1 / sqrt(n); unit variance: scale by their standard deviations.
  const sStd = new Float64Array(k);
  for (let i = 0; i < k; i++) {
    let sum = 0;
    let sumSq = 0;
    for (let t = 0; t < n; t++) {
      let s = 0;
      for (let j = 0; j < k; j++) s += w[i * k + j]! * x1[j * n + t]!;
      s /= sqrtN;
      sum += s;
      sumSq += s * s;
    }
    const m = sum / n;
    const v = Math.max(sumSq / n - m * m, 0);
    sStd[i] = v > 0 ? Math.sqrt(v) : 1;
  }

  // unmixing = diag(1/std) W K with K = diag(1/d) U^T;  mixing = pinv = U diag(d) W^T diag(std).
  const unmixing = new Float64Array(k * p);
  const mixing = new Float64Array(p * k);
  for (let c = 0; c < k; c++) {
    for (let i = 0; i < k; i++) {
      const a = w[c * k + i]! / d[i]! / sStd[c]!;
      const b = d[i]! * w[c * k + i]! * sStd[c]!;
      for (let j = 0; j < p; j++) {
        unmixing[c * p + j]! += a * u[i * p + j]!;
        mixing[j * k + c]! += b * u[i * p + j]!;
      }
    }
  }
  return { components: k, features: p, mixing, unmixing, mean, rank, iterations, converged };
}

/** Column `c` of a row-major rows x cols matrix. */
export function columnOf(m: Float64Array, rows: number, cols: number, c: number): Float64Array {
  const out = new Float64Array(rows);
  for (let r = 0; r < rows; r++) out[r] = m[r * cols + c]!;
  return out;
}
