/**
 * The table kinds of the design: each kind's columns and types, the cnnpipe.* schema
 * metadata that travels from input to output, the class list a table or model carries, and
 * one typed codec per kind (codec.ts: read a kind as typed arrays, write it back).
 */
export * from './metadata.js';
export * from './column-types.js';
export * from './specs.js';
export * from './class-list.js';
export * from './codec.js';
export * from './activations.js';
export * from './topk.js';
export * from './cof.js';
export * from './concepts.js';
export * from './predictions.js';
export * from './accuracy.js';
export * from './neuron-stats.js';
export * from './list-columns.js';
export * from './similarity.js';
export * from './similarity-summary.js';
export * from './components.js';
export * from './layer-similarity.js';
export * from './venn.js';
export * from './gram.js';
export * from './affine-map.js';
export * from './saliency.js';
export * from './visualizations.js';
export * from './dissect-quantiles.js';
export * from './dissect-tally.js';
export * from './dissect-summary.js';
export * from './embeddings.js';
export * from './activations-cursor.js';
