// Gradients through any ONNX CNN: the backward pass as inference operators appended to the
// model's graph (gradientGraph), and the seeds that turn objectives into it.
export * from './gradient-graph.js';
export * from './seeds.js';
export type { AdjointContext, AdjointRule } from './adjoint.js';
export * from './session.js';
export { ADJOINTS } from './adjoints.js';
