import { CliError, ElemType, createSession, decodeBatch, encodeModel, ort, valueInfo, type ExecutionProvider, type LayerInfo, type Preprocess } from '@cnnpipe/core';
import { planExtraction, type LoadedModel, type ModelInput } from '@cnnpipe/extract';
import type { onnx } from '@cnnpipe/core';

/** A tapped layer at full spatial resolution. */
export interface FeatureLayer {
  info: LayerInfo;
  tensor: string;
  units: number;
  h: number;
  w: number;
}

/** One batch of images and, per layer, its maps [B, units, h, w] as onnxruntime returns them. */
export interface FeatureBatch {
  count: number;
  /** Index of the batch's first image in the image list. */
  first: number;
  maps: Float32Array[];
}

/**
 * Resolves `--layer` names with extract's layer resolution (module paths or tensor names)
 * and checks each is a feature map.
 */
export async function featureLayers(model: LoadedModel, names: string[], size: number): Promise<FeatureLayer[]> {
  const plan = await planExtraction(model, names, { pool: 'mean', argmax: false, logits: false, size });
  return plan.layers.map((info, i) => {
    if (info.shape.length !== 3) throw new CliError(`--layer ${info.name}: tensor ${info.tensor} is not a feature map [N,C,H,W] (shape ${info.shape.join('x')})`);
    const [units, h, w] = info.shape as [number, number, number];
    return { info, tensor: plan.taps[i]!.tensor, units, h, w };
  });
}

/** The model with the tapped tensors as its outputs, raw: the dissection needs every position. */
export function rawTapGraph(model: LoadedModel, layers: FeatureLayer[]): Uint8Array {
  const graph = model.proto.graph as onnx.GraphProto;
  const tensors = [...new Set(layers.map((l) => l.tensor))];
  return encodeModel(
    {
      name: graph.name,
      node: graph.node,
      input: graph.input,
      output: tensors.map((t) => valueInfo(t, ElemType.float32, ['N', 'C', 'H', 'W'])),
      initializer: graph.initializer,
      valueInfo: graph.valueInfo,
    },
    Math.max(13, ...model.proto.opsetImport.filter((o) => !o.domain).map((o) => Number(o.version))),
  );
}

/** Runs image batches through the rewritten model; decodes the next batch while one is in inference. */
export class FeatureRunner {
  private constructor(
    private readonly session: ort.InferenceSession,
    private readonly input: ModelInput,
    private readonly layers: FeatureLayer[],
    private readonly preprocess: Preprocess,
    private readonly batchSize: number,
  ) {}

  static async open(model: LoadedModel, input: ModelInput, layers: FeatureLayer[], preprocess: Preprocess, batchSize: number, ep: ExecutionProvider, warn: (m: string) => void, requireEp = false): Promise<FeatureRunner> {
    const { session } = await createSession(rawTapGraph(model, layers), { ep, onFallback: warn, requireEp });
    return new FeatureRunner(session, input, layers, preprocess, batchSize);
  }

  async *batches(paths: string[]): AsyncGenerator<FeatureBatch> {
    const pp = this.preprocess;
    const decode = async (first: number) => {
      const chunk = paths.slice(first, first + this.batchSize);
      const { pixels, errors } = await decodeBatch(chunk, pp);
      const bad = errors.findIndex((e) => e !== null);
      if (bad >= 0) throw new CliError(errors[bad]!);
      return { pixels, count: chunk.length };
    };
    let next = paths.length > 0 ? decode(0) : undefined;
    next?.catch(() => undefined);
    for (let first = 0; first < paths.length; first += this.batchSize) {
      const { pixels, count } = await next!;
      next = first + this.batchSize < paths.length ? decode(first + this.batchSize) : undefined;
      next?.catch(() => undefined);
      const feeds = { [this.input.name]: new ort.Tensor('float32', pixels, [count, pp.channels, pp.size, pp.size]) };
      const result = await this.session.run(feeds);
      yield { count, first, maps: this.layers.map((l) => result[l.tensor]!.data as Float32Array) };
    }
  }

  release(): Promise<void> {
    return this.session.release();
  }
}
