// The library face of lstsq: what other tools (compare) reuse instead of copying — the
// streamed float64 Gram statistics (Gram, GramAccumulator, addGram), their gram tables
// (gramBatch, readGrams) and the activations-table helpers (featureColumn, modelName).
export * from './normal.js';
export * from './tables.js';
export * from './fit.js';
