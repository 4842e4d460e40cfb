import { createSession, type SessionOptions } from '@cnnpipe/core';
import type { GradientModel } from './gradient-graph.js';

/**
 * onnxruntime optimisers a gradient graph runs without: none. (Investigated: with the NCHWc
 * layout transformer on, ResNet18's input gradient at 224 is 3e-3 off torch.autograd's
 * float64 one, 6e-7 with it off — but the whole difference is one ReLU in layer1 whose
 * pre-activation is 3e-8 one way and -1e-7 the other, rounding of a value up to 3.4: a kink,
 * where either gradient is right. The transformer halves the forward pass's time.)
 */
export const GRADIENT_DISABLED_OPTIMIZERS: string[] = [];

/** An onnxruntime session for a gradient graph (core's createSession, with GRADIENT_DISABLED_OPTIMIZERS off). */
export function createGradientSession(graph: GradientModel | Uint8Array, options: SessionOptions = {}): ReturnType<typeof createSession> {
  const bytes = graph instanceof Uint8Array ? graph : graph.bytes;
  return createSession(bytes, { ...options, disabledOptimizers: [...(options.disabledOptimizers ?? []), ...GRADIENT_DISABLED_OPTIMIZERS] });
}
