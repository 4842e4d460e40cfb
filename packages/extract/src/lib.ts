// The library face of extract: what other tools (saliency, dream, dissect) reuse instead of
// copying — loading an ONNX model, resolving `--layer` module paths to tensors, collecting
// and sharding image inputs, probing shapes and receptive fields.
export * from './onnx-model.js';
export * from './images.js';
export * from './extract.js';
export * from './rewrite.js';
export * from './receptive-field.js';
