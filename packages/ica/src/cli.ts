import { mkdirSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import {
  ArrowWriter,
  CliError,
  META,
  UsageError,
  expectKind,
  int32Data,
  layersOf,
  loadPreprocessed,
  LruCache,
  listData,
  makeBatch,
  openArrow,
  parsePreprocess,
  passMetadata,
  primitiveValues,
  runTool,
  stringValues,
  utf8Data,
  type CommonArgs,
  type LayerInfo,
  type Preprocess,
} from '@cnnpipe/core';
import { Schema, type RecordBatch } from 'apache-arrow';
import { neuronComponents, type ChannelMode } from './components.js';
import { facetKey, readFacets } from './facets.js';
import { montagePng } from './montage.js';
import { cropPatch } from './patches.js';

interface IcaArgs extends CommonArgs {
  components: number;
  channels: ChannelMode;
  images?: string;
  montage?: string;
  stats?: string;
  maxIter: number;
  tol: number;
  seed: number;
}

/** One topk entry that matters here. */
interface Entry {
  rank: number;
  image: string;
  argmax: number;
}

/** The topk rows grouped by layer then neuron, each group in rank order; layers in order of appearance. */
export function groupRows(batches: RecordBatch[], source: string): Map<string, Map<number, Entry[]>> {
  const groups = new Map<string, Map<number, Entry[]>>();
  for (const batch of batches) {
    const layer = stringValues(batch.getChild('layer')!);
    const neuron = primitiveValues(batch.getChild('neuron')!);
    const rank = primitiveValues(batch.getChild('rank')!);
    const image = stringValues(batch.getChild('image')!);
    const argmax = batch.getChild('argmax')!;
    for (let r = 0; r < batch.numRows; r++) {
      const a = argmax.get(r) as number | null;
      const l = layer[r];
      const path = image[r];
      if (l === null || l === undefined) throw new CliError(`${source}: row ${r} has no layer (expected a layer name)`);
      if (path === null || path === undefined) throw new CliError(`${source}: row ${r} has no image path (expected a path)`);
      if (a === null || a === undefined || a < 0) {
        throw new CliError(`${source}: layer '${l}' neuron ${neuron[r]} has no argmax (expected the argmax of a convolutional layer: extract --argmax)`);
      }
      let byNeuron = groups.get(l);
      if (!byNeuron) groups.set(l, (byNeuron = new Map()));
      let list = byNeuron.get(neuron[r]!);
      if (!list) byNeuron.set(neuron[r]!, (list = []));
      list.push({ rank: rank[r]!, image: path, argmax: a });
    }
  }
  for (const byNeuron of groups.values()) for (const list of byNeuron.values()) list.sort((a, b) => a.rank - b.rank);
  return groups;
}

function layerInfo(layers: LayerInfo[] | undefined, name: string, source: string): { width: number; height: number; rf: NonNullable<LayerInfo['rf']> } {
  const info = layers?.find((l) => l.name === name);
  if (!info) {
    throw new CliError(`${source}: layer '${name}' is not in cnnpipe.layers (expected its shape and receptive field, as extract writes them)`);
  }
  const [, height, width] = info.shape;
  if (info.shape.length !== 3 || !height || !width || !info.rf) {
    throw new CliError(`${source}: layer '${name}' has shape [${info.shape.join(',')}]${info.rf ? '' : ' and no receptive field'} (expected a convolutional layer [C,H,W] with rf)`);
  }
  return { width, height, rf: info.rf };
}

function emptyColumns() {
  const none = new Int32Array(0);
  return {
    layer: utf8Data([]),
    neuron: int32Data(none),
    component: int32Data(none),
    height: int32Data(none),
    width: int32Data(none),
    channels: int32Data(none),
    pixels: listData([], new Float32Array(0)),
  };
}

const MAX_WARNINGS = 10;

export function main(argv?: string[]): Promise<void> {
  return runTool<IcaArgs>(
    {
      name: 'ica',
      usage: '[FILE]',
      description:
        "For each neuron of a topk table (with argmax), crops the receptive-field patch around the neuron's " +
        'maximum in each of its top images (same preprocessing as extract, padded with the mean outside the ' +
        'image), and runs FastICA over the patches (samples = patches, features = pixels; logcosh, symmetric, ' +
        "as scikit-learn's FastICA(whiten='unit-variance')). Writes the components table: one row per " +
        'layer, neuron and component, the component being a column of the mixing matrix (a basis pattern) ' +
        'reshaped to the patch, CHW. Fewer components come out, with a warning, when the patches do not span enough dimensions.',
      examples: [
        [
          'extract --model examples/zoo/vgg.onnx --layer block3 --argmax examples/data/fashion-mnist/test | topk -k 20 | ica --components 8 --montage ica-montage > components.arrows',
          'the 8 ICA components of every block3 neuron of the demo VGG, with one PNG per neuron',
        ],
        ['ica --components 8 --channels rgb --images /data/imagenet topk.arrows > components.arrows', 'per-channel ICA, image paths relative to /data/imagenet'],
      ],
      epilogue:
        'Output (kind components): layer, neuron, component (0 = first), height, width, channels, pixels ' +
        '(List<float32>, channels x height x width, row-major). Needs a topk table with argmax and the ' +
        'cnnpipe.layers (shape, receptive field) and cnnpipe.preprocess metadata that extract writes. ' +
        'Montage PNGs are named LAYER-NEURON.png: titled with layer, neuron (and its SF/MF facet with ' +
        '--stats), top patches in rank order, then the components, numbered, each min-max scaled to 0..255.',
      options: (y) =>
        y
          .option('components', { type: 'number', default: 8, describe: 'Components per neuron (fewer when the patches span fewer dimensions)' })
          .option('channels', { choices: ['gray', 'rgb', 'joint'] as const, default: 'gray' as ChannelMode, describe: 'gray: mean of channels; rgb: ICA per channel, stacked; joint: all channels as one vector' })
          .option('images', { type: 'string', describe: 'Folder that relative image paths are under (default: the current folder)' })
          .option('montage', { type: 'string', describe: 'Write one PNG per neuron into DIR: its top patches, then its components' })
          .option('stats', { type: 'string', describe: "--montage: title each PNG with the neuron's SF/MF facet from this neuron-stats table (sparsity's output)" })
          .option('max-iter', { type: 'number', default: 200, describe: 'FastICA iterations at most' })
          .option('tol', { type: 'number', default: 1e-4, describe: 'FastICA convergence tolerance' })
          .option('seed', { type: 'number', default: 0, describe: 'Seed of the initial unmixing matrix' }),
      readsNumbers: true,
      async run(args, ctx) {
        if (!Number.isInteger(args.components) || args.components < 1) throw new UsageError(`--components must be a positive integer, got ${args.components}`);
        if (!Number.isInteger(args.maxIter) || args.maxIter < 1) throw new UsageError(`--max-iter must be a positive integer, got ${args.maxIter}`);
        if (!(args.tol > 0)) throw new UsageError(`--tol must be positive, got ${args.tol}`);
        if (!Number.isInteger(args.seed)) throw new UsageError(`--seed must be an integer, got ${args.seed}`);
        if (args._.length > 1) throw new UsageError(`expected at most one FILE, got ${args._.length}`);
        const input = await openArrow(args._[0] === undefined ? undefined : String(args._[0]));
        expectKind(input.schema, 'topk', input.name);
        if (!input.schema.fields.some((f) => f.name === 'argmax')) {
          throw new CliError(`${input.name}: no 'argmax' column (expected a topk table made from 'extract --argmax')`);
        }
        const pp: Preprocess = parsePreprocess(input.schema.metadata.get(META.preprocess), input.name);
        const layers = layersOf(input.schema);
        // A NaN/Inf value means the top-k itself was chosen from NaN/Inf: core's policy.
        const guard = ctx.nonFinite(input.name);
        const batches: RecordBatch[] = [];
        let row = 0;
        for await (const batch of input.batches()) {
          batches.push(...guard.filterBatch(batch, row, ['value']));
          row += batch.numRows;
        }
        guard.finish();
        const groups = groupRows(batches, input.name);
        const infos = new Map([...groups.keys()].map((name) => [name, layerInfo(layers, name, input.name)]));

        const metadata = passMetadata(input.schema, { [META.kind]: 'components', 'cnnpipe.topk': null });
        const schema = new Schema(makeBatch(emptyColumns()).schema.fields, metadata);
        const writer = ArrowWriter.open(args.output, schema);
        if (args.montage) mkdirSync(args.montage, { recursive: true });
        const facets = await readFacets(args.stats);
        // Decoded images are shared by many neurons' top lists; keep the recent ones.
        const cache = new LruCache<string, Promise<Float32Array>>(512);
        const pathOf = (image: string) => (isAbsolute(image) || !args.images ? image : resolve(args.images, image));
        let total = 0;
        for (const byNeuron of groups.values()) total += byNeuron.size;
        const progress = ctx.progress('neurons', total, 'neurons');
        let fewer = 0;
        let unconverged = 0;

        for (const [layer, byNeuron] of groups) {
          const { width, rf } = infos.get(layer)!;
          const names: string[] = [];
          const neurons: number[] = [];
          const index: number[] = [];
          const dims: number[] = [];
          const pixels: Float32Array[] = [];
          for (const [neuron, entries] of byNeuron) {
            const patches: Float32Array[] = [];
            for (const e of entries) {
              const image = await cache.get(pathOf(e.image), (path) => loadPreprocessed(path, pp));
              patches.push(cropPatch(image, pp.channels, pp.size, e.argmax, width, rf));
            }
            const result = await neuronComponents(patches, pp.channels, rf.size, args.channels, {
              components: args.components,
              maxIter: args.maxIter,
              tol: args.tol,
              seed: args.seed,
            });
            const k = result.components.length;
            if (k < args.components) {
              if (fewer < MAX_WARNINGS) {
                ctx.warn(`${layer} neuron ${neuron}: ${k} components (asked ${args.components}; ${patches.length} patches span ${result.rank} dimensions)`);
              }
              fewer++;
            }
            if (!result.converged) unconverged++;
            result.components.forEach((comp, c) => {
              names.push(layer);
              neurons.push(neuron);
              index.push(c);
              dims.push(result.channels);
              pixels.push(comp);
            });
            if (args.montage) {
              const png = await montagePng({
                layer, neuron, facet: facets?.get(facetKey(layer, neuron)),
                patches,
                patchChannels: pp.channels,
                components: result.components,
                componentChannels: result.channels,
                size: rf.size,
                preprocess: pp,
              });
              writeFileSync(join(args.montage, `${layer.replace(/[/\\]/g, '_')}-${neuron}.png`), png);
            }
            progress.tick(1);
          }
          const rows = names.length;
          await writer.write(
            makeBatch(
              {
                layer: utf8Data(names),
                neuron: int32Data(Int32Array.from(neurons)),
                component: int32Data(Int32Array.from(index)),
                height: int32Data(new Int32Array(rows).fill(rf.size)),
                width: int32Data(new Int32Array(rows).fill(rf.size)),
                channels: int32Data(Int32Array.from(dims)),
                pixels: listData(pixels, new Float32Array(0)),
              },
              metadata,
            ),
          );
        }
        progress.finish();
        if (fewer > MAX_WARNINGS) ctx.warn(`${fewer} neurons in all got fewer than ${args.components} components`);
        // More iterations barely help (2000 still left 61 of 86 on the demo VGG, k=100, 8
        // components); fewer components or a larger tolerance do (4 components: 40; --tol 1e-2: 30).
        if (unconverged > 0) {
          ctx.warn(
            `FastICA did not converge within ${args.maxIter} iterations for ${unconverged} neurons: their components are the last iterate ` +
              '(more iterations rarely help; fewer --components or a larger --tol do)',
          );
        }
        await writer.close();
      },
    },
    argv,
  );
}
