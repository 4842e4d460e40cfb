import { dirname, resolve } from 'node:path';
import { CliError, decodeModel, modelClasses, onnx, readModelFile } from '@cnnpipe/core';
import { INLINE_LIMIT, scanModel } from './model-scan.js';
import { inlineExternalData } from './external-data.js';
import { nodeMetadata } from './node-metadata.js';
import { scopeNodeNames } from './torch-scopes.js';

/**
 * An ONNX model as extract sees it: nodes in graph (topological) order, which node makes
 * each tensor, and the PyTorch module scopes the exporter wrote into node names
 * (`/layer2/layer2.0/conv1/Conv`). Models of the new exporter (dynamo=True), which keeps
 * module paths in node metadata, get those same names on loading; external weights are read
 * in; a batch dimension fixed at export becomes symbolic (see `declaredBatch`).
 */
export interface LoadedModel {
  path: string;
  proto: onnx.ModelProto;
  nodes: onnx.NodeProto[];
  /** Graph inputs that are not initializers (the image input comes first). */
  inputs: onnx.IValueInfoProto[];
  outputs: string[];
  initializers: Set<string>;
  /** Which exporter's naming the module paths came from. */
  exporter?: 'torchscript' | 'dynamo';
  /**
   * The batch size the image input was exported with, when it was a number rather than a
   * symbol: the loaded graph's input has a symbolic batch instead, and planExtraction checks
   * whether the graph really runs at other batch sizes (a Reshape to [1,-1] does not).
   */
  declaredBatch?: number;
  /** Class names in output order, from the model's `cnnpipe.classes` metadata. */
  classes?: string[];
  /**
   * Set when large initializers were left in the files (`weights: 'referenced'`): the folder
   * their external-data locations are relative to, for onnxruntime sessions of graphs built
   * from this model (createSession's externalDataFolder).
   */
  weightsFolder?: string;
  /** Bytes of initializers left in the files (0 when none). */
  referencedBytes?: number;
}

export interface LoadOptions {
  /**
   * 'inline' (default): every initializer's bytes in `proto` (graphs built from it are
   * self-contained). 'referenced': large initializers stay in the model file (and external
   * data files) as external-data references, read by onnxruntime itself: a 553 MB VGG16 loads
   * in milliseconds and JavaScript never holds its weights (see model-scan.ts).
   */
  weights?: 'inline' | 'referenced';
}

/** The model's bytes and decoded structure, weights left in the file where possible. */
function readReferenced(path: string): { bytes: Uint8Array; proto: onnx.ModelProto } {
  let skeleton: Uint8Array;
  let proto: onnx.ModelProto;
  try {
    skeleton = scanModel(path).skeleton;
    proto = decodeModel(skeleton);
  } catch {
    // Not protobuf, unreadable, or a layout the walk does not know: the full read words the error (or copes).
    return readModelFile(path);
  }
  if (!proto.graph) throw new CliError(`${path}: not an ONNX model (no graph)`);
  return { bytes: skeleton, proto };
}

const NAME_SCOPES = Buffer.from('pkg.torch.onnx.name_scopes');

export function loadModel(path: string, options: LoadOptions = {}): LoadedModel {
  const referenced = options.weights === 'referenced';
  const { bytes, proto } = referenced ? readReferenced(path) : readModelFile(path);
  const graph = proto.graph as onnx.GraphProto | null;
  if (!graph || !graph.node || graph.node.length === 0) throw new CliError(`${path}: not an ONNX model (no graph nodes)`);
  const nodes = graph.node as onnx.NodeProto[];
  // Only the new exporter writes this key; a model without it skips the byte walk.
  const renamed = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).includes(NAME_SCOPES) && scopeNodeNames(nodes, nodeMetadata(bytes));
  inlineExternalData(path, graph.initializer as onnx.TensorProto[], referenced ? INLINE_LIMIT : Infinity);
  const initializers = new Set<string>(graph.initializer.map((t) => t.name ?? ''));
  let referencedBytes = 0;
  for (const t of graph.initializer) if (t.dataLocation === 1) referencedBytes += Number(t.externalData?.find((e) => e.key === 'length')?.value ?? 0);
  const inputs = graph.input.filter((i) => !initializers.has(i.name ?? ''));
  if (inputs.length === 0) throw new CliError(`${path}: the graph has no input (expected one image input [N,C,H,W])`);
  if (inputs.length > 1) {
    throw new CliError(`${path}: the graph has ${inputs.length} inputs (${inputs.map((i) => i.name).join(', ')}); expected one image input [N,C,H,W]`);
  }
  if (graph.output.length === 0) throw new CliError(`${path}: the graph has no output`);
  const declaredBatch = symbolicBatch(graph, inputs[0]!);
  const classes = modelClasses(proto, path);
  return {
    path,
    proto,
    nodes,
    inputs,
    outputs: graph.output.map((o) => o.name ?? ''),
    initializers,
    referencedBytes,
    exporter: renamed ? 'dynamo' : 'torchscript',
    ...(declaredBatch !== undefined ? { declaredBatch } : {}),
    ...(classes ? { classes } : {}),
    ...(referenced ? { weightsFolder: dirname(resolve(path)) } : {}),
  };
}

/**
 * A batch dimension fixed at export (torch.onnx.export without dynamic_axes) made symbolic,
 * in the input and outputs; the exporter's value_info shapes, which repeat it, are dropped
 * (they are hints onnxruntime infers again). Returns the fixed size, if there was one.
 */
function symbolicBatch(graph: onnx.GraphProto, input: onnx.IValueInfoProto): number | undefined {
  const first = input.type?.tensorType?.shape?.dim?.[0];
  if (!first || first.dimValue === undefined || first.dimValue === null || first.dimParam) return undefined;
  const batch = Number(first.dimValue);
  const rewrite = (info: onnx.IValueInfoProto) => {
    const dim = info.type?.tensorType?.shape?.dim?.[0];
    if (dim && Number(dim.dimValue) === batch) {
      delete (dim as { dimValue?: unknown }).dimValue;
      dim.dimParam = 'N';
    }
  };
  rewrite(input);
  for (const output of graph.output) rewrite(output);
  graph.valueInfo = [];
  return batch;
}

/** Scope components of a node name: `/layer2/layer2.0/conv1/Conv` → [layer2, layer2.0, conv1]. */
export function nodeScopes(name: string): string[] {
  const parts = name.split('/').filter((p) => p.length > 0);
  return parts.slice(0, -1);
}

/**
 * Scope components of a PyTorch module path as the exporter writes them: a numeric part
 * extends the previous component (`features.3` → [features, features.3]; `layer2.0.conv1`
 * → [layer2, layer2.0, conv1]).
 */
export function moduleScopes(modulePath: string): string[] {
  const out: string[] = [];
  for (const part of modulePath.split('.')) {
    if (/^\d+$/.test(part) && out.length > 0) out.push(`${out[out.length - 1]}.${part}`);
    else out.push(part);
  }
  return out;
}

/** The module path of scope components (inverse of moduleScopes). */
export function modulePathOf(scopes: string[]): string {
  const parts: string[] = [];
  for (let i = 0; i < scopes.length; i++) {
    const previous = scopes[i - 1];
    const scope = scopes[i]!;
    if (previous !== undefined && scope.startsWith(`${previous}.`)) parts.push(scope.slice(previous.length + 1));
    else parts.push(scope);
  }
  return parts.join('.');
}

function inScope(node: onnx.NodeProto, scopes: string[]): boolean {
  const own = nodeScopes(node.name);
  return scopes.length <= own.length && scopes.every((s, i) => own[i] === s);
}

/**
 * The tensor a module hands to the rest of the graph: made inside the module's scope and
 * used outside it (or a graph output); the last such in graph order when there are several.
 */
export function moduleOutput(model: LoadedModel, scopes: string[]): string | undefined {
  const inside = new Set<string>();
  const made: string[] = [];
  for (const node of model.nodes) {
    if (inScope(node, scopes)) {
      inside.add(node.name);
      made.push(...node.output);
    }
  }
  if (made.length === 0) return undefined;
  const usedOutside = new Set<string>(model.outputs);
  for (const node of model.nodes) {
    if (!inside.has(node.name)) for (const input of node.input) usedOutside.add(input);
  }
  const exits = made.filter((t) => usedOutside.has(t));
  return exits[exits.length - 1];
}

/** Every module path in the graph's node names, in order of first appearance. */
export function modulePaths(model: LoadedModel): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const node of model.nodes) {
    const scopes = nodeScopes(node.name);
    for (let depth = 1; depth <= scopes.length; depth++) {
      const path = modulePathOf(scopes.slice(0, depth));
      if (!seen.has(path)) {
        seen.add(path);
        out.push(path);
      }
    }
  }
  return out;
}

/** All tensor names nodes produce, for exact-name taps. */
function producedTensors(model: LoadedModel): Set<string> {
  const out = new Set<string>();
  for (const node of model.nodes) for (const t of node.output) out.add(t);
  return out;
}

/**
 * The tensor behind `--layer NAME`: a module path (its final output) or an exact tensor
 * name. The error lists a few module names so a newcomer can pick one.
 */
export function resolveLayer(model: LoadedModel, name: string): string {
  const tensor = moduleOutput(model, moduleScopes(name));
  if (tensor) return tensor;
  if (producedTensors(model).has(name)) return name;
  const closest = closestNames(name, modulePaths(model), 5).join(', ');
  throw new CliError(`--layer ${name}: no module or tensor of that name in ${model.path} (closest: ${closest}; see --list-layers)`);
}

/** Edit distance, for "did you mean" suggestions. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}

/** The `count` candidates nearest to `name` (ties keep graph order). */
export function closestNames(name: string, candidates: string[], count: number): string[] {
  return candidates
    .map((c, i) => ({ c, i, d: editDistance(name, c) }))
    .sort((x, y) => x.d - y.d || x.i - y.i)
    .slice(0, count)
    .map((x) => x.c);
}
