import { CliError, ElemType, GraphBuilder, encodeModel, valueInfo, type onnx } from '@cnnpipe/core';
import { modelInput, modulePathOf, nodeScopes, type LoadedModel } from '@cnnpipe/extract';
import { PROBE_BATCH, type AdjointContext } from './adjoint.js';
import { ADJOINTS } from './adjoints.js';
import { NodeAttributes } from './node-attributes.js';
import { MIN_OPSET, modelOpset, raiseOpset } from './opset.js';
import { probeGraph } from './probe.js';

/**
 * The backward pass of an ONNX CNN as ordinary inference operators appended to its graph,
 * so that one onnxruntime session runs forward and backward (onnxruntime-node has no
 * training API and its inference build registers no gradient kernels). Reverse mode over
 * the nodes between the image input and the taps, in reverse topological order; a tensor
 * used by several nodes sums their gradients.
 */


/** 'seed': the tap's seed gradient is a graph input. 'mean-square': DeepDream's mean over one image of tap², seeded inside the graph. */
export type Objective = 'seed' | 'mean-square';

export interface GradientOptions {
  /** Height = width of the image input the graph is built for (default: the model's, else 224). */
  size?: number;
  /** Per tap (default 'seed'). */
  objectives?: Objective[];
}

export interface GradientModel {
  /** The ONNX model (opset ≥ 16) for onnxruntime. */
  bytes: Uint8Array;
  /** The image input: float32 [N, ...inputShape]. */
  input: string;
  inputShape: number[];
  /** Per tap, the seed input float32 [N, ...tapShapes[i]], or null for an in-graph objective. */
  seeds: (string | null)[];
  /** Per tap, the output holding its value [N, ...tapShapes[i]]. */
  values: string[];
  /** The output d(Σ_t ⟨seed_t, tap_t⟩)/d(input), float32 [N, ...inputShape]. */
  gradient: string;
  /** Per tap, one image's shape (no batch axis). */
  tapShapes: number[][];
  /** A batch size the model fixes (its graph reshapes to it), or null for any. */
  batch: number | null;
}

export const gradientNames = {
  seed: (i: number) => `cnnpipe_seed_${i}`,
  value: (i: number) => `cnnpipe_value_${i}`,
  gradient: 'cnnpipe_gradient',
};


/** The layer (module path) a node belongs to, for messages. */
function layerOf(node: onnx.INodeProto): string {
  return modulePathOf(nodeScopes(node.name ?? '')) || '(top level)';
}

export async function gradientGraph(model: LoadedModel, taps: string[], options: GradientOptions = {}): Promise<GradientModel> {
  const input = modelInput(model);
  if (model.inputs.length > 1) throw new CliError(`${model.path}: the model has ${model.inputs.length} inputs; only single-input models are differentiated`);
  const size = options.size ?? input.size ?? 224;
  const graph = model.proto.graph as onnx.GraphProto;
  const opset = modelOpset(model.proto);
  const raised = raiseOpset(model.nodes, opset, model.path);

  // Tensors that depend on the image, and the nodes between it and the taps.
  const active = new Set([input.name]);
  for (const node of raised.nodes) if ((node.input ?? []).some((t) => active.has(t))) for (const t of node.output ?? []) active.add(t);
  taps.forEach((t) => {
    if (!active.has(t)) throw new CliError(`${model.path}: tensor ${t} does not depend on the input '${input.name}' (no gradient to take)`);
  });
  // Nodes a gradient flows through: from the taps back along differentiable inputs that
  // depend on the image (shape arithmetic, indices and the like carry none).
  const flowing = new Set(taps);
  const relevant = new Set<number>();
  for (let i = raised.nodes.length - 1; i >= 0; i--) {
    const node = raised.nodes[i]!;
    if (!(node.output ?? []).some((t) => flowing.has(t))) continue;
    const rule = ADJOINTS[node.opType ?? ''];
    if (!rule) {
      throw new CliError(`${model.path}: cannot differentiate ${node.opType} node '${node.name}' (layer ${layerOf(node)}): no adjoint for ${node.opType}`);
    }
    relevant.add(i);
    (node.input ?? []).forEach((t, k) => {
      if (t && active.has(t) && !rule.nonDifferentiable?.includes(k)) flowing.add(t);
    });
  }

  // Values the adjoints bake in from the probe (pads, starts, split sizes, index maps) may
  // depend on the image's shape, never on its values: those would be right for the probe only.
  const dataDependent = new Set([input.name]);
  for (const node of raised.nodes) {
    if (node.opType === 'Shape' || node.opType === 'Size') continue;
    if ((node.input ?? []).some((t) => dataDependent.has(t))) for (const t of node.output ?? []) dataDependent.add(t);
  }
  for (const i of relevant) {
    const node = raised.nodes[i]!;
    const rule = ADJOINTS[node.opType!]!;
    const baked = [...(rule.values ?? []), ...(rule.indexProbe ? (node.input ?? []).map((_, k) => k).slice(1) : [])];
    const k = baked.find((k) => node.input?.[k] && dataDependent.has(node.input[k]!));
    if (k !== undefined) {
      throw new CliError(`${model.path}: cannot differentiate ${node.opType} node '${node.name}' (layer ${layerOf(node)}): its input ${k} depends on the image's values`);
    }
  }

  // Forward nodes, with the extra outputs adjoints read (MaxPool's Indices).
  const forward = raised.nodes.map((node, i) => {
    const rule = relevant.has(i) ? ADJOINTS[node.opType!]! : undefined;
    const want = rule?.outputs ?? 0;
    const outputs = [...(node.output ?? [])];
    if (outputs.length >= want) return node;
    while (outputs.length < want) outputs.push(`${node.output![0]}:cnnpipe_extra_${outputs.length}`);
    return { ...node, output: outputs };
  });

  const imageInput = valueInfo(input.name, ElemType.float32, ['N', input.channels, size, size]);
  const probe = await probeGraph(model, forward, [...relevant], taps, imageInput, raised.initializers, opset, input.channels, size);

  // The backward pass.
  const b = new GraphBuilder('cnnpipe_grad');
  const grads = new Map<string, string[]>();
  const addGrad = (t: string, g: string) => {
    const list = grads.get(t);
    if (list) list.push(g);
    else grads.set(t, [g]);
  };
  const objectives = taps.map((_, i) => options.objectives?.[i] ?? 'seed');
  const tapShapes = taps.map((t) => probe.shape(t).slice(1));
  const seeds = taps.map((tap, i) => {
    if (objectives[i] === 'mean-square') {
      const numel = tapShapes[i]!.reduce((p, d) => p * d, 1);
      addGrad(tap, b.op('Mul', [tap, b.scalar(2 / numel)]));
      return null;
    }
    addGrad(tap, gradientNames.seed(i));
    return gradientNames.seed(i);
  });
  for (let i = forward.length - 1; i >= 0; i--) {
    if (!relevant.has(i)) continue;
    const node = forward[i]!;
    const outputs = node.output ?? [];
    if (!outputs.some((t) => grads.has(t))) continue;
    const rule = ADJOINTS[node.opType!]!;
    const inputs = node.input ?? [];
    const ctx: AdjointContext = {
      b,
      node,
      a: new NodeAttributes(node),
      inputs,
      outputs,
      opset,
      grad: (k) => {
        const list = grads.get(outputs[k]!);
        return list ? b.sum(list) : b.zerosLike(outputs[k]!);
      },
      wants: (k) => Boolean(inputs[k]) && active.has(inputs[k]!),
      shape: probe.shape,
      value: probe.value,
      poolWeights: () => probe.poolWeights(i),
      indexMap: () => probe.indexMap(i),
    };
    let result: (string | undefined)[];
    try {
      result = rule.backward(ctx);
    } catch (error) {
      if (error instanceof CliError) throw new CliError(`${model.path}: cannot differentiate ${node.opType} node '${node.name}' (layer ${layerOf(node)}): ${error.message}`);
      throw error;
    }
    inputs.forEach((t, k) => {
      if (!ctx.wants(k)) return;
      const g = result[k];
      if (g) addGrad(t, g);
      else if (!rule.nonDifferentiable?.includes(k)) {
        throw new CliError(`${model.path}: cannot differentiate ${node.opType} node '${node.name}' (layer ${layerOf(node)}) with respect to its input ${k}`);
      }
    });
  }
  const inputGrads = grads.get(input.name);
  if (!inputGrads) throw new CliError(`${model.path}: no gradient reaches the input '${input.name}' from ${taps.join(', ')}`);
  b.nodes.push({ opType: 'Identity', name: 'cnnpipe_grad/output', input: [b.sum(inputGrads)], output: [gradientNames.gradient] });
  const valueNodes = taps.map((t, i) => ({ opType: 'Identity', name: `cnnpipe_grad/value_${i}`, input: [t], output: [gradientNames.value(i)] }));

  const batchDim = probe.batch === PROBE_BATCH ? 'N' : probe.batch;
  const bytes = encodeModel(
    {
      name: graph.name,
      node: [...forward, ...valueNodes, ...b.nodes],
      input: [
        valueInfo(input.name, ElemType.float32, [batchDim, input.channels, size, size]),
        ...seeds.flatMap((s, i) => (s ? [valueInfo(s, ElemType.float32, [batchDim, ...tapShapes[i]!])] : [])),
      ],
      output: [
        ...taps.map((_, i) => valueInfo(gradientNames.value(i), ElemType.float32, [batchDim, ...tapShapes[i]!])),
        valueInfo(gradientNames.gradient, ElemType.float32, [batchDim, input.channels, size, size]),
      ],
      initializer: [...graph.initializer, ...raised.initializers, ...b.initializers],
    },
    Math.max(MIN_OPSET, opset),
  );
  return {
    bytes,
    input: input.name,
    inputShape: [input.channels, size, size],
    seeds,
    values: taps.map((_, i) => gradientNames.value(i)),
    gradient: gradientNames.gradient,
    tapShapes,
    batch: probe.batch === PROBE_BATCH ? null : probe.batch,
  };
}
