import type { AdjointRule } from './adjoint.js';
import { POINTWISE_ADJOINTS } from './pointwise-adjoints.js';
import { SHAPE_ADJOINTS } from './shape-adjoints.js';
import { WINDOW_ADJOINTS } from './window-adjoints.js';

/** Every operator the backward pass can differentiate, by ONNX op type. */
export const ADJOINTS: Record<string, AdjointRule> = { ...POINTWISE_ADJOINTS, ...SHAPE_ADJOINTS, ...WINDOW_ADJOINTS };
