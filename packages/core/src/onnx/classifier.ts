import { CliError } from '../cli/errors.js';
import { modelClasses, readModelFile } from './model-file.js';
import { nonFiniteRows } from '../arrow/nonfinite.js';
import { type onnx } from './graph.js';

/** A final linear classifier: logits = W x + b, W row-major K x D. */
export interface Linear {
  k: number;
  d: number;
  weights: Float64Array;
  bias: Float64Array;
  /** The model's class names in output order, from its `cnnpipe.classes` metadata. */
  classes?: string[];
}

function tensorValues(t: onnx.ITensorProto): Float64Array {
  const type = t.dataType ?? 1;
  const raw = t.rawData;
  if (raw && raw.length > 0) {
    const copy = new Uint8Array(raw).buffer;
    if (type === 1) return Float64Array.from(new Float32Array(copy));
    if (type === 11) return new Float64Array(copy);
  } else if (type === 1 && t.floatData && t.floatData.length > 0) {
    return Float64Array.from(t.floatData);
  } else if (type === 11 && t.doubleData && t.doubleData.length > 0) {
    return Float64Array.from(t.doubleData);
  }
  throw new CliError(`initializer '${t.name}' has an unsupported data type ${type} (expected float32 or float64)`);
}

/**
 * Reads the last Gemm of an ONNX model (the final fully connected layer: /fc/Gemm in the zoo)
 * with its weight and bias initializers, as W (K x D) and b (K).
 */
export function readFinalLinear(file: string): Linear {
  const model = readModelFile(file).proto;
  const graph = model.graph;
  const gemms = (graph?.node ?? []).filter((n) => n.opType === 'Gemm');
  const node = gemms[gemms.length - 1];
  if (!graph || !node) throw new CliError(`${file}: no Gemm node (expected a model ending in a fully connected layer)`);
  const inits = new Map((graph.initializer ?? []).map((t) => [t.name ?? '', t]));
  const wInit = inits.get(node.input?.[1] ?? '');
  if (!wInit) throw new CliError(`${file}: the weight of Gemm '${node.name}' is not an initializer (expected constant fc weights)`);
  const attr = (name: string) => node.attribute?.find((a) => a.name === name);
  const transA = Number(attr('transA')?.i ?? 0);
  const transB = Number(attr('transB')?.i ?? 0);
  const alpha = attr('alpha')?.f ?? 1;
  const beta = attr('beta')?.f ?? 1;
  if (transA) throw new CliError(`${file}: Gemm '${node.name}' has transA=1 (expected features as rows)`);
  const dims = (wInit.dims ?? []).map(Number);
  if (dims.length !== 2) throw new CliError(`${file}: Gemm weight '${wInit.name}' has shape [${dims}] (expected 2-D)`);
  const raw = tensorValues(wInit);
  const [k, d] = transB ? [dims[0]!, dims[1]!] : [dims[1]!, dims[0]!];
  const weights = new Float64Array(k * d);
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < d; j++) weights[i * d + j] = alpha * (transB ? raw[i * d + j]! : raw[j * k + i]!);
  }
  const bias = new Float64Array(k);
  const bInit = inits.get(node.input?.[2] ?? '');
  if (bInit) {
    const b = tensorValues(bInit);
    for (let i = 0; i < k; i++) bias[i] = beta * (b.length === 1 ? b[0]! : b[i]!);
  }
  // NaN/Inf weights would make every logit, and so every prediction, meaningless.
  const bad = nonFiniteRows(weights, k, d) ?? nonFiniteRows(bias, k, 1);
  if (bad) throw new CliError(`${file}: Gemm '${node.name}' has ${bad.values} NaN/Inf weights (first in output ${bad.rows[0]})`);
  const classes = modelClasses(model, file);
  if (classes && classes.length !== k) {
    throw new CliError(`${file}: metadata cnnpipe.classes names ${classes.length} classes, the final Gemm has ${k} outputs`);
  }
  return { k, d, weights, bias, ...(classes ? { classes } : {}) };
}
