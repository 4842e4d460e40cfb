// Lucent's colour decorrelation (lucent/optvis/param/color.py): the image is parameterised
// in a decorrelated colour space; each pixel's 3-vector is multiplied by the square root of
// ImageNet's colour correlation (an SVD factor), normalised by its largest column norm.

/** color_correlation_svd_sqrt, row-major. */
export const COLOR_CORRELATION_SVD_SQRT = [0.26, 0.09, 0.02, 0.27, 0.0, -0.05, 0.27, -0.09, 0.03] as const;

/** max over columns of the column norms of COLOR_CORRELATION_SVD_SQRT (0.4619524...). */
export const MAX_NORM_SVD_SQRT = Math.max(
  ...[0, 1, 2].map((j) => Math.hypot(COLOR_CORRELATION_SVD_SQRT[j]!, COLOR_CORRELATION_SVD_SQRT[3 + j]!, COLOR_CORRELATION_SVD_SQRT[6 + j]!)),
);

/**
 * The matrix applied to each pixel: Lucent computes (B,H,W,C) @ normalized.T, i.e.
 * rgb_i = sum_j normalized[i][j] * decorrelated_j. Kept in float32 as Lucent's tensor is.
 */
export const COLOR_MATRIX = Float32Array.from(COLOR_CORRELATION_SVD_SQRT, (v) => Math.fround(v) / Math.fround(MAX_NORM_SVD_SQRT));

/** out[b, i, p] = sum_j M[i][j] in[b, j, p] for a (B, 3, P) array; `transpose` applies M^T (the adjoint). */
export function mixColors(input: Float32Array, output: Float32Array, batch: number, plane: number, transpose = false): void {
  const M = COLOR_MATRIX;
  for (let b = 0; b < batch; b++) {
    const o = b * 3 * plane;
    for (let p = 0; p < plane; p++) {
      const x0 = input[o + p]!;
      const x1 = input[o + plane + p]!;
      const x2 = input[o + 2 * plane + p]!;
      for (let i = 0; i < 3; i++) {
        output[o + i * plane + p] = transpose
          ? M[i]! * x0 + M[3 + i]! * x1 + M[6 + i]! * x2
          : M[3 * i]! * x0 + M[3 * i + 1]! * x1 + M[3 * i + 2]! * x2;
      }
    }
  }
}

/** The inverse of `mixColors` (for --from: the decorrelated values of a given image). */
export function unmixColors(input: Float32Array, output: Float32Array, batch: number, plane: number): void {
  const m = Array.from(COLOR_MATRIX, Number);
  const det =
    m[0]! * (m[4]! * m[8]! - m[5]! * m[7]!) - m[1]! * (m[3]! * m[8]! - m[5]! * m[6]!) + m[2]! * (m[3]! * m[7]! - m[4]! * m[6]!);
  const inv = [
    (m[4]! * m[8]! - m[5]! * m[7]!) / det,
    (m[2]! * m[7]! - m[1]! * m[8]!) / det,
    (m[1]! * m[5]! - m[2]! * m[4]!) / det,
    (m[5]! * m[6]! - m[3]! * m[8]!) / det,
    (m[0]! * m[8]! - m[2]! * m[6]!) / det,
    (m[2]! * m[3]! - m[0]! * m[5]!) / det,
    (m[3]! * m[7]! - m[4]! * m[6]!) / det,
    (m[1]! * m[6]! - m[0]! * m[7]!) / det,
    (m[0]! * m[4]! - m[1]! * m[3]!) / det,
  ];
  for (let b = 0; b < batch; b++) {
    const o = b * 3 * plane;
    for (let p = 0; p < plane; p++) {
      const x0 = input[o + p]!;
      const x1 = input[o + plane + p]!;
      const x2 = input[o + 2 * plane + p]!;
      for (let i = 0; i < 3; i++) output[o + i * plane + p] = inv[3 * i]! * x0 + inv[3 * i + 1]! * x1 + inv[3 * i + 2]! * x2;
    }
  }
}
