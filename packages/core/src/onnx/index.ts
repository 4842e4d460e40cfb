/**
 * ONNX models: onnxruntime sessions and execution providers (with the GPU checks), the
 * protobuf graph helpers and a graph builder, model files with external data, and a model used as a classifier.
 */
export * from './session.js';
export * from './execution-provider-check.js';
export * from './graph.js';
export * from './graph-builder.js';
export * from './classifier.js';
export * from './model-file.js';
