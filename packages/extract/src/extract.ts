import { basename } from 'node:path';
import {
  ArrowWriter,
  CliError,
  decodeBatch,
  META,
  NonFiniteGuard,
  activationsCodec,
  createSession,
  ort,
  type ActivationsRows,
  type ExecutionProvider,
  type LayerInfo,
  type Progress,
} from '@cnnpipe/core';
import { Schema, type RecordBatch } from 'apache-arrow';
import type { ImageItem } from './images.js';
import { moduleOutput, moduleScopes, modulePaths, resolveLayer, type LoadedModel } from './onnx-model.js';
import type { Preprocess } from '@cnnpipe/core';
import { receptiveFields } from './receptive-field.js';
import { extractionGraph, inferredShapeGraph, outputNames, shapeProbeGraph, type Pool, type Tap } from './rewrite.js';

export interface ModelInput {
  name: string;
  channels: number;
  /** Fixed spatial size of the input, if the model declares one. */
  size?: number;
}

const ELEMENT_TYPES: Record<number, string> = { 1: 'float32', 2: 'uint8', 3: 'int8', 6: 'int32', 7: 'int64', 10: 'float16', 11: 'float64', 16: 'bfloat16' };

/**
 * The image input, or one line saying what was expected: float32 [N,C,H,W] with C = 1 or 3.
 * A channels-last input ([N,H,W,3], TensorFlow's layout) is named as such.
 */
export function modelInput(model: LoadedModel): ModelInput {
  const info = model.inputs[0]!;
  const dims = info.type?.tensorType?.shape?.dim ?? [];
  const value = (i: number) => {
    const d = dims[i]?.dimValue;
    return d === undefined || d === null ? undefined : Number(d);
  };
  const shown = `[${dims.map((d, i) => value(i) ?? (d.dimParam || '?')).join(',')}]`;
  if (dims.length !== 4) throw new CliError(`${model.path}: input '${info.name}' has rank ${dims.length} ${shown} (expected an image input [N,C,H,W])`);
  const elemType = Number(info.type?.tensorType?.elemType ?? 1);
  if (elemType !== 1) {
    throw new CliError(`${model.path}: input '${info.name}' is ${ELEMENT_TYPES[elemType] ?? `element type ${elemType}`} (expected float32 [N,C,H,W]; export the model in float32)`);
  }
  const [c, h, w] = [value(1), value(2), value(3)];
  if ((w === 1 || w === 3) && c !== undefined && c !== 1 && c !== 3) {
    throw new CliError(`${model.path}: input '${info.name}' ${shown} is channels-last (NHWC); extract feeds [N,C,H,W] (export with a channels-first input, or transpose inside the model)`);
  }
  if (c !== undefined && c !== 1 && c !== 3) throw new CliError(`${model.path}: input '${info.name}' ${shown} has ${c} channels (expected [N,C,H,W] with C = 1 or 3)`);
  if (h !== undefined && w !== undefined && h !== w) throw new CliError(`${model.path}: input '${info.name}' ${shown} is not square (expected [N,C,S,S]: extract feeds centre crops)`);
  return { name: info.name!, channels: c ?? 3, size: h };
}

/**
 * Shapes of tensors as onnxruntime's shape inference gives them for a fixed input size, or
 * undefined where any dimension is left unknown (a Resize to computed sizes, a Reshape to
 * computed shapes). A session that never runs, built without optimisation: ~30 ms for VGG16,
 * where running it once on a blank image took ~1 s.
 */
export async function inferredShapes(model: LoadedModel, tensors: string[], size: number, batch: number): Promise<number[][] | undefined> {
  let session: ort.InferenceSession | undefined;
  try {
    session = (await createSession(inferredShapeGraph(model, tensors, batch, size), { optimization: 'disabled', noPrepacking: true, externalDataFolder: model.weightsFolder })).session;
    const shapes = new Map(session.outputMetadata.map((m) => [m.name, m.isTensor ? m.shape : []]));
    const out = tensors.map((t) => shapes.get(t) ?? []);
    return out.every((s) => s.length > 0 && s.every((d) => typeof d === 'number' && d >= 0)) ? (out as number[][]) : undefined;
  } catch {
    // Whatever inference could not do, the run below does (or words the error).
    return undefined;
  } finally {
    await session?.release();
  }
}

/**
 * Shapes of tensors for `batch` images: inferred where onnxruntime's shape inference knows
 * them all, else learned by running the model once on `batch` blank images.
 */
export async function probeShapes(model: LoadedModel, tensors: string[], input: ModelInput, size: number, batch = 1): Promise<number[][]> {
  if (tensors.length === 0) return [];
  // A model exported with a fixed batch is run: only a run shows whether it works at another.
  const inferred = model.declaredBatch === undefined ? await inferredShapes(model, tensors, size, batch) : undefined;
  if (inferred) return inferred;
  // Runs once: 'all' optimisation would cost more than it saves (~150 ms on ResNet18).
  const { session } = await createSession(shapeProbeGraph(model, tensors), { optimization: 'basic', noPrepacking: true, externalDataFolder: model.weightsFolder });
  try {
    const blank = new ort.Tensor('float32', new Float32Array(batch * input.channels * size * size), [batch, input.channels, size, size]);
    const result = await session.run({ [input.name]: blank });
    return tensors.map((_, i) => Array.from(result[outputNames.shape(i)]!.data as BigInt64Array, Number));
  } finally {
    await session.release();
  }
}

/**
 * Shapes of `tensors` and the batch size the model must run at (undefined when any works).
 * Only a model exported with a fixed batch (`declaredBatch`) can need one: its loaded input
 * is symbolic, and one probe at batch 2 shows whether every tapped tensor and output then
 * has batch 2 (a flatten exported as Reshape [1,-1] folds the batch into the features, or
 * fails); its shapes serve as they are.
 */
export async function probeShapesAndBatch(
  model: LoadedModel,
  tensors: string[],
  input: ModelInput,
  size: number,
): Promise<{ shapes: number[][]; fixedBatch?: number }> {
  if (model.declaredBatch === undefined) return { shapes: await probeShapes(model, tensors, input, size) };
  const probe = 2;
  const all = [...new Set([...tensors, ...model.outputs])];
  try {
    const shapes = await probeShapes(model, all, input, size, probe);
    if (shapes.every((shape) => shape[0] === probe)) return { shapes: tensors.map((t) => shapes[all.indexOf(t)]!) };
  } catch {
    // onnxruntime refused the batch: the graph bakes it in.
  }
  return { shapes: await probeShapes(model, tensors, input, size, model.declaredBatch), fixedBatch: model.declaredBatch };
}

/** The batch size a model must run at, or undefined when any works (see probeShapesAndBatch). */
export async function requiredBatch(model: LoadedModel, tensors: string[], input: ModelInput, size: number): Promise<number | undefined> {
  return (await probeShapesAndBatch(model, tensors, input, size)).fixedBatch;
}

export interface LayerListing {
  name: string;
  tensor: string;
  shape: number[];
}

/** Every tappable module: its final tensor and the shape of one image's output. */
export async function listLayers(model: LoadedModel, input: ModelInput, size: number): Promise<LayerListing[]> {
  const listed: { name: string; tensor: string }[] = [];
  for (const path of modulePaths(model)) {
    const tensor = moduleOutput(model, moduleScopes(path));
    if (tensor) listed.push({ name: path, tensor });
  }
  if (listed.length === 0) {
    throw new CliError(`${model.path}: no PyTorch module scopes in node names or node metadata (expected a torch.onnx.export model; --layer also takes exact tensor names)`);
  }
  const { shapes } = await probeShapesAndBatch(model, listed.map((l) => l.tensor), input, size);
  return listed.map((l, i) => ({ ...l, shape: shapes[i]!.slice(1) }));
}

export interface ExtractPlan {
  model: LoadedModel;
  input: ModelInput;
  taps: Tap[];
  layers: LayerInfo[];
  pool: Pool;
  argmax: boolean;
  logits: boolean;
  logitsWidth: number;
  /** Images per inference when the graph bakes in its export batch (see requiredBatch); padded at the end. */
  fixedBatch?: number;
}

/** Resolves `--layer` names to tensors, learns their shapes and receptive fields. */
export async function planExtraction(
  model: LoadedModel,
  layerNames: string[],
  options: { pool: Pool; argmax: boolean; logits: boolean; size?: number },
): Promise<ExtractPlan> {
  const input = modelInput(model);
  const duplicate = layerNames.find((n, i) => layerNames.indexOf(n) !== i);
  if (duplicate) throw new CliError(`--layer ${duplicate} is given twice`);
  const tensors = layerNames.map((name) => resolveLayer(model, name));
  const size = options.size ?? input.size ?? 224;
  const probeTensors = options.logits ? [...tensors, model.outputs[0]!] : tensors;
  const { shapes, fixedBatch } = await probeShapesAndBatch(model, probeTensors, input, size);
  const fields = receptiveFields(model.nodes, input.name, size, model.proto.graph?.initializer ?? []);
  const taps: Tap[] = layerNames.map((name, i) => ({ name, tensor: tensors[i]!, rank: shapes[i]!.length }));
  for (const tap of taps) {
    if (tap.rank !== 4 && tap.rank !== 2) {
      throw new CliError(`--layer ${tap.name}: tensor ${tap.tensor} has rank ${tap.rank} (expected a feature map [N,C,H,W] or a vector [N,C])`);
    }
    if (options.argmax && tap.rank !== 4) throw new CliError(`--argmax: layer ${tap.name} is a vector, not a feature map`);
  }
  const layers: LayerInfo[] = taps.map((tap, i) => ({
    name: tap.name,
    tensor: tap.tensor,
    shape: shapes[i]!.slice(1),
    ...(fields.get(tap.tensor) ? { rf: fields.get(tap.tensor) } : {}),
  }));
  const logitsShape = options.logits ? shapes[shapes.length - 1]! : [];
  return {
    model,
    input,
    taps,
    layers,
    pool: options.pool,
    argmax: options.argmax,
    logits: options.logits,
    logitsWidth: logitsShape[1] ?? 0,
    ...(fixedBatch !== undefined ? { fixedBatch } : {}),
  };
}

export interface RunOptions {
  images: ImageItem[];
  classes: string[];
  preprocess: Preprocess;
  batchSize: number;
  ep: ExecutionProvider;
  /** A provider that cannot start is an error instead of a fallback to CPU. */
  requireEp?: boolean;
  output?: string;
  progress: Progress;
  warn: (message: string) => void;
  /** Stop at the first unreadable image instead of skipping it. */
  strict: boolean;
}

/**
 * Models with more weights than this run without onnxruntime's memory arena: they are the ones
 * with huge activations (VGG16: 1.68 GB peak at batch 32 with the arena, 1.49 GB without,
 * PyTorch 1.62 GB), and their convolutions dwarf the cost of allocating afresh each batch.
 */
const ARENA_MAX_WEIGHTS = 256 * 1024 * 1024;
// The session runs with onnxruntime's threads sleeping rather than spinning between parallel
// sections: the cores then go to the next batches' decoding (ResNet18 @224, 256 JPEGs: 8.6-9.9
// CPU s per run against 8.8-10.9 spinning, alternated runs on 2 loaded cores).

/** Batches decoded ahead of the one in inference. */
const DECODE_AHEAD = 2;

/** The output schema's metadata: classes, layers (with shapes and receptive fields), model, preprocessing. */
function outputMetadata(plan: ExtractPlan, run: RunOptions): Map<string, string> {
  return new Map([
    [META.kind, 'activations'],
    [META.classes, JSON.stringify(run.classes)],
    [META.layers, JSON.stringify(plan.layers)],
    [META.model, basename(plan.model.path)],
    [META.preprocess, JSON.stringify({ ...run.preprocess, pool: plan.pool })],
  ]);
}

/**
 * Runs the images through the rewritten model batch by batch and writes one Arrow batch
 * per model batch. The next DECODE_AHEAD batches decode (sharp's share on libuv threads)
 * while the current one is in inference, from before the session is even built; memory
 * holds DECODE_AHEAD + 1 batches at most.
 */
export async function runExtraction(plan: ExtractPlan, run: RunOptions): Promise<number> {
  const pp = run.preprocess;
  const graph = extractionGraph(plan.model, plan.taps, plan);
  let session: ort.InferenceSession | undefined;
  const imageSize = pp.channels * pp.size * pp.size;
  const metadata = outputMetadata(plan, run);
  const classIndex = new Map(run.classes.map((c, i) => [c, i]));
  let writer: ArrowWriter | undefined;
  // NaN/Inf in what the model gives stops the run (core's policy): a layer overflowed or divided by zero.
  const outputs = NonFiniteGuard.strict(basename(plan.model.path), 'the model gives NaN/Inf there (an overflow or a division by zero)');
  let rowsOut = 0;

  let skipped = 0;
  // Decodes a batch; an unreadable image is dropped with a warning (an error with --strict).
  const decode = async (items: ImageItem[]) => {
    const { pixels, errors } = await decodeBatch(items.map((i) => i.path), pp);
    if (errors.every((e) => e === null)) return { items, pixels };
    const firstError = errors.find((e) => e !== null)!;
    if (run.strict) throw new CliError(firstError);
    for (const message of errors) {
      if (message === null) continue;
      // The first few by name; the count says the rest.
      if (skipped < 5) run.warn(`skipped: ${message}`);
      skipped++;
    }
    const kept = items.filter((_, i) => errors[i] === null);
    const compact = new Float32Array(kept.length * imageSize);
    let at = 0;
    items.forEach((_, i) => {
      if (errors[i] !== null) return;
      compact.set(pixels.subarray(i * imageSize, (i + 1) * imageSize), at * imageSize);
      at++;
    });
    return { items: kept, pixels: compact };
  };
  const batchSize = plan.fixedBatch ?? run.batchSize;
  const batches: ImageItem[][] = [];
  for (let i = 0; i < run.images.length; i += batchSize) batches.push(run.images.slice(i, i + batchSize));
  // A bounded queue of batches being decoded ahead of inference: memory stays flat.
  const ahead: ReturnType<typeof decode>[] = [];
  const enqueue = (b: number) => {
    if (b >= batches.length) return;
    const promise = decode(batches[b]!);
    promise.catch(() => undefined);
    ahead.push(promise);
  };
  for (let b = 0; b < DECODE_AHEAD; b++) enqueue(b);
  try {
    session = (await createSession(graph, { ep: run.ep, onFallback: run.warn, requireEp: run.requireEp, externalDataFolder: plan.model.weightsFolder, memArena: (plan.model.referencedBytes ?? 0) <= ARENA_MAX_WEIGHTS, spinning: false })).session;
    for (let b = 0; b < batches.length; b++) {
      const { items, pixels } = await ahead.shift()!;
      enqueue(b + DECODE_AHEAD);
      run.progress.tick(batches[b]!.length);
      if (items.length === 0) continue;
      // A fixed-batch graph gets its batch size, the last batch padded with blank images.
      const rows = plan.fixedBatch ?? items.length;
      const input = rows === items.length ? pixels : padded(pixels, rows * imageSize);
      const feeds = { [plan.input.name]: new ort.Tensor('float32', input, [rows, pp.channels, pp.size, pp.size]) };
      const result = await session.run(feeds);
      const batch = toRecordBatch(plan, items, result, classIndex, metadata);
      outputs.scanBatch(batch, rowsOut);
      outputs.stopIfFound();
      rowsOut += batch.numRows;
      writer ??= ArrowWriter.open(run.output, batch.schema);
      await writer.write(batch);
    }
    if (skipped === run.images.length) throw new CliError(`none of the ${skipped} images could be read (see the warnings above)`);
    if (!writer) writer = ArrowWriter.open(run.output, new Schema([], metadata));
    await writer.close();
  } catch (error) {
    writer?.abort();
    throw error;
  } finally {
    await session?.release();
  }
  run.progress.finish();
  if (skipped > 0) run.warn(`${skipped} of ${run.images.length} images could not be read and were skipped (--strict makes this an error)`);
  return run.images.length - skipped;
}

function padded(pixels: Float32Array, length: number): Float32Array {
  const out = new Float32Array(length);
  out.set(pixels);
  return out;
}

/** The first `rows` rows of a [rows+, width] output. */
function leading<T extends Float32Array | Int32Array>(data: T, rows: number, width: number): T {
  return data.length === rows * width ? data : (data.subarray(0, rows * width) as T);
}

function toRecordBatch(
  plan: ExtractPlan,
  items: ImageItem[],
  result: ort.InferenceSession.OnnxValueMapType,
  classIndex: Map<string, number>,
  metadata: Map<string, string>,
): RecordBatch {
  const labels = Int32Array.from(items, (item) => (item.className === null ? 0 : classIndex.get(item.className)!));
  const columns: ActivationsRows['columns'] = [];
  const column = (name: string, tensor: ort.Tensor) => {
    const size = Number(tensor.dims[1]);
    columns.push({ name, size, values: leading(tensor.data as Float32Array | Int32Array, items.length, size) });
  };
  plan.taps.forEach((tap, i) => {
    column(tap.name, result[outputNames.pooled(i)]!);
    if (plan.argmax) column(`${tap.name}:argmax`, result[outputNames.argmax(i)]!);
  });
  if (plan.logits) column('logits', result[plan.model.outputs[0]!]!);
  return activationsCodec.encode(
    {
      image: items.map((i) => i.path),
      label: { values: labels, isNull: (r) => items[r]!.className === null },
      class: items.map((i) => i.className),
      columns,
    },
    metadata,
  );
}
