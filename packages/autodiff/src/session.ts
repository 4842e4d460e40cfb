import { createSession, type SessionOptions } from '@cnnpipe/core';
import type { GradientModel } from './gradient-graph.js';

/**
 * onnxruntime optimisers a gradient graph must run without. With the NCHWc layout
 * transformer on, torchvision ResNet18's input gradients at 224 come out 3e-3 off
 * torch.autograd's float64 ones (6e-7 without it, as close as PyTorch's own float32),
 * the error starting at layer2's identity-shortcut block (ResNet18 at 112: 5e-4). The
 * basic and extended optimisations (constant folding, Conv+Relu, Conv+Add fusions) stay on.
 */
export const GRADIENT_DISABLED_OPTIMIZERS = ['NchwcTransformer'];

/** An onnxruntime session for a gradient graph (core's createSession, with the optimisers above off). */
export function createGradientSession(graph: GradientModel | Uint8Array, options: SessionOptions = {}): ReturnType<typeof createSession> {
  const bytes = graph instanceof Uint8Array ? graph : graph.bytes;
  return createSession(bytes, { ...options, disabledOptimizers: [...(options.disabledOptimizers ?? []), ...GRADIENT_DISABLED_OPTIMIZERS] });
}
