/**
 * Linear algebra that is not one tool's own: matrix products and reductions run as small
 * onnxruntime graphs (native, multi-threaded), and the dense solvers built on them.
 */
export * from './kernels.js';
export * from './symmetric-eigen.js';
export * from './cholesky-dropping.js';
export * from './min-norm.js';
