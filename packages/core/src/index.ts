/**
 * @cnnpipe/core: what every tool shares, one public entry point. Each folder holds one
 * concern and says in its index what belongs there:
 *   cli/     the command-line base (flags, errors, progress)
 *   arrow/   table input and output in every format, column readers and builders
 *   kinds/   the design's table kinds and their metadata
 *   image/   images to tensors, tensors to pixels
 *   onnx/    onnxruntime sessions and ONNX graphs
 *   linalg/  onnxruntime-backed kernels and dense solvers
 *   util/    small generic helpers
 */
export * from './cli/index.js';
export * from './arrow/index.js';
export * from './kinds/index.js';
export * from './image/index.js';
export * from './onnx/index.js';
export * from './linalg/index.js';
export * from './util/index.js';
