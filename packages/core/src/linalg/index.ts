/**
 * Linear algebra that is not one tool's own: matrix products and reductions run as small
 * onnxruntime graphs (native, multi-threaded), the dense solvers built on them, and the
 * symmetric eigensolver on typed arrays (symmetric-eigen.ts: faster than any npm package at
 * FastICA's sizes; figures in its opening comment).
 */
export * from './kernels.js';
export * from './symmetric-eigen.js';
export * from './cholesky-dropping.js';
export * from './min-norm.js';
export * from './sliced-int8-gram.js';
export * from './cpu-features.js';
