import type { GraphBuilder, onnx } from '@cnnpipe/core';
import type { NodeAttributes } from './node-attributes.js';

/** What an operator's adjoint sees while the backward pass is built. */
export interface AdjointContext {
  b: GraphBuilder;
  node: onnx.INodeProto;
  a: NodeAttributes;
  inputs: string[];
  outputs: string[];
  /** The model's own opset (before the graph was raised to 16). */
  opset: number;
  /** The gradient arriving at output i (zeros shaped like it when nothing flows there). */
  grad(i: number): string;
  /** Whether input i needs a gradient (it depends on the image). */
  wants(i: number): boolean;
  /** A tensor's shape from the forward probe (run with a batch of PROBE_BATCH images). */
  shape(t: string): number[];
  /** A small tensor's values from the forward probe (declared in the rule's `values`). */
  value(t: string): number[];
  /** For AveragePool: 1/divisor per output position (spatial dims only), from the probe. */
  poolWeights(): number[];
  /** For index-map adjoints: per output cell of one image, the flat input cell it copies (from the probe). */
  indexMap(): number[];
}

/** The adjoint of one operator type. */
export interface AdjointRule {
  /** Per input, the gradient tensor (undefined where none flows: weights, shapes, indices). */
  backward(ctx: AdjointContext): (string | undefined)[];
  /** Inputs that carry no gradient by nature (shapes, axes, indices, conditions). */
  nonDifferentiable?: number[];
  /** Inputs whose values the adjoint reads when it is built (pads, starts, split sizes). */
  values?: number[];
  /** Whether the probe runs the pool on ones to learn its divisors (AveragePool). */
  poolProbe?: boolean;
  /** Whether the probe runs the operator on one image's cell indices (reflect/edge Pad, strided Slice). */
  indexProbe?: boolean;
  /** Outputs the forward node must have for the adjoint (MaxPool's Indices). */
  outputs?: number;
}

/** The batch size of the shape probe: 2, so that a broadcast over the batch shows as 1 vs 2. */
export const PROBE_BATCH = 2;
