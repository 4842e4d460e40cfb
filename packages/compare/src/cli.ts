import {
  ArrowWriter,
  CliError,
  META,
  UsageError,
  expectKind,
  openArrow,
  passMetadata,
  runTool,
  type ArrowInput,
  type CommonArgs,
  type Metadata,
  type NonFiniteGuard,
  type NumericArray,
  type ToolContext,
} from '@cnnpipe/core';
import { totalmem } from 'node:os';
import type { RecordBatch } from 'apache-arrow';
import { CkaAccumulator, blockRowsFor, ckaBytes, ckaFromGram, type CkaLayout } from './cka.js';
import { joinByImage } from './join.js';
import { sideLayout } from './layers.js';
import { rsa, rsaBytes, type Correlation, type RsaLayer } from './rsa.js';
import { mergePartials, partialBatch, similarityBatch } from './tables.js';

interface CompareArgs extends CommonArgs {
  layerA?: string[];
  layerB?: string[];
  method: string;
  debiased: boolean;
  correlation: string;
  maxImages: number;
  partial: boolean;
}

const METHODS = ['cka', 'rsa'] as const;
const CORRELATIONS = ['pearson', 'spearman'] as const;

const mb = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(bytes < 2 ** 20 ? 2 : 0)} MB`;

async function write(batch: RecordBatch, output: string | undefined): Promise<void> {
  const writer = ArrowWriter.open(output, batch.schema);
  await writer.write(batch);
  await writer.close();
}

function warnNaN(values: Float64Array, layout: CkaLayout, ctx: ToolContext, why: string): void {
  const q = layout.b.layers.length;
  const bad = values.findIndex(Number.isNaN);
  if (bad < 0) return;
  const count = values.filter(Number.isNaN).length;
  const a = layout.a.layers[Math.floor(bad / q)]!.name;
  const b = layout.b.layers[bad % q]!.name;
  ctx.warn(`${count} layer pair(s) have no value (NaN), first ${a} against ${b}: ${why}`);
}

async function writeCka(gram: Awaited<ReturnType<CkaAccumulator['finish']>>, layout: CkaLayout, args: CompareArgs, metadata: Metadata, ctx: ToolContext, source: string, note?: string): Promise<void> {
  const least = args.debiased ? 4 : 2;
  if (gram.n < least) throw new CliError(`${source}: ${gram.n} image(s) (expected at least ${least} for ${args.debiased ? 'debiased ' : ''}CKA)`);
  const values = ckaFromGram(gram, layout, { debiased: args.debiased });
  warnNaN(values, layout, ctx, 'a layer without variance over the images');
  const method = args.debiased ? 'cka-debiased' : 'cka';
  ctx.info(`${gram.n} images, ${layout.a.layers.length} x ${layout.b.layers.length} layer pairs, ${method}${note ? ` (${note})` : ''}`);
  await write(similarityBatch(layout, values, method, gram.n, metadata), args.output);
}

const guards = (a: ArrowInput, b: ArrowInput, ctx: ToolContext): [NonFiniteGuard, NonFiniteGuard] => [
  ctx.nonFinite(a.name, 'images'),
  ctx.nonFinite(b.name, 'images'),
];

async function compareCka(a: ArrowInput, b: ArrowInput, layout: CkaLayout, args: CompareArgs, ctx: ToolContext): Promise<void> {
  const blockRows = blockRowsFor(layout);
  const bytes = ckaBytes(layout, blockRows);
  if (bytes > 0.8 * totalmem()) {
    const width = layout.a.layers.concat(layout.b.layers).reduce((s, l) => s + l.width, 0);
    throw new CliError(
      `linear CKA over ${width} features would hold ${mb(bytes)} of statistics, more than 80% of this machine's memory ` +
        `(expected fewer or narrower layers: pick them with --layer-a/--layer-b)`,
    );
  }
  const acc = new CkaAccumulator(layout, blockRows);
  const progress = ctx.progress('images', undefined, 'images');
  for await (const block of joinByImage(a, layout.a, b, layout.b, guards(a, b, ctx))) {
    await acc.add(block);
    progress.tick(block.rows);
  }
  progress.finish();
  const gram = await acc.finish();
  const metadata = passMetadata(a.schema, { 'cnnpipe.a_source': a.name, 'cnnpipe.b_source': b.name });
  const held = `statistics ${mb(bytes)}, independent of the number of images`;
  if (args.partial) {
    ctx.info(`${gram.n} images: statistics for compare merge (${held})`);
    await write(partialBatch(gram, layout, metadata), args.output);
    return;
  }
  await writeCka(gram, layout, args, metadata, ctx, `${a.name} and ${b.name}`, held);
}

/** Appends blocks of one layer's rows and joins them at the end. */
class Rows {
  private parts: NumericArray[] = [];
  private length = 0;
  add(v: NumericArray): void {
    this.parts.push(v.slice());
    this.length += v.length;
  }
  values(): Float64Array {
    const out = new Float64Array(this.length);
    let at = 0;
    for (const p of this.parts) {
      out.set(p, at);
      at += p.length;
    }
    this.parts = [];
    return out;
  }
}

async function compareRsa(a: ArrowInput, b: ArrowInput, layout: CkaLayout, args: CompareArgs, ctx: ToolContext): Promise<void> {
  const correlation = args.correlation as Correlation;
  const q = layout.b.layers.length;
  const rowsA = layout.a.layers.map(() => new Rows());
  const rowsB = layout.b.layers.map(() => new Rows());
  const features = layout.a.layers.concat(layout.b.layers).reduce((s, l) => s + l.width, 0);
  const bytes = (images: number) => mb(rsaBytes(images, q, features, correlation));
  let n = 0;
  for await (const block of joinByImage(a, layout.a, b, layout.b, guards(a, b, ctx))) {
    n += block.rows;
    if (n > args.maxImages) {
      throw new CliError(
        `RSA holds n x n dissimilarities: ${a.name} and ${b.name} share more than --max-images ${args.maxImages} images ` +
          `(${args.maxImages} images need ${bytes(args.maxImages)} for ${q} layers of B, growing as n²); raise --max-images, ` +
          `compare a subset (e.g. extract --shard 0/4), or use --method cka, which streams`,
      );
    }
    block.a.forEach((v, i) => rowsA[i]!.add(v));
    block.b.forEach((v, i) => rowsB[i]!.add(v));
  }
  if (n < 3) throw new CliError(`${n} images in both tables (expected at least 3 for RSA: an RDM needs two pairs)`);
  ctx.info(`RSA over ${n} images: ${q + 1} RDMs of ${n * (n - 1) / 2} pairs and n x n working matrices, about ${bytes(n)}`);
  const la: RsaLayer[] = layout.a.layers.map((l, i) => ({ values: rowsA[i]!.values(), width: l.width }));
  const lb: RsaLayer[] = layout.b.layers.map((l, i) => ({ values: rowsB[i]!.values(), width: l.width }));
  const values = await rsa(la, lb, n, correlation, (side, layer, images) => {
    const s = side === 'a' ? layout.a : layout.b;
    ctx.warn(`${s.model} ${s.layers[layer]!.name}: ${images} image(s) with the same value in every feature (their dissimilarities are undefined)`);
  });
  warnNaN(values, layout, ctx, 'an RDM with undefined entries or no variance');
  const method = `rsa-${correlation}`;
  ctx.info(`${n} images, ${layout.a.layers.length} x ${q} layer pairs, ${method}`);
  const metadata = passMetadata(a.schema, { 'cnnpipe.a_source': a.name, 'cnnpipe.b_source': b.name });
  await write(similarityBatch(layout, values, method, n, metadata), args.output);
}

async function compare(args: CompareArgs, ctx: ToolContext): Promise<void> {
  const files = args._.map(String);
  if (files.length !== 2) throw new UsageError(`expected two activations tables A B, got ${files.length}${files.length ? `: ${files.join(' ')}` : ''}`);
  if (files[0] === '-' && files[1] === '-') throw new UsageError("stdin ('-') can be read only once");
  if (args.method === 'rsa' && args.partial) throw new UsageError('--partial is for --method cka (RSA needs every image at once)');
  if (args.method === 'rsa' && args.debiased) throw new UsageError('--debiased is for --method cka');
  if (!(Number.isInteger(args.maxImages) && args.maxImages >= 3)) throw new UsageError(`--max-images must be an integer >= 3, got ${args.maxImages}`);
  const a = await openArrow(files[0]);
  const b = await openArrow(files[1]);
  expectKind(a.schema, 'activations', a.name);
  expectKind(b.schema, 'activations', b.name);
  const layout: CkaLayout = {
    a: sideLayout(a, ([] as string[]).concat(args.layerA ?? []).map(String), '--layer-a'),
    b: sideLayout(b, ([] as string[]).concat(args.layerB ?? []).map(String), '--layer-b'),
  };
  if (args.method === 'rsa') await compareRsa(a, b, layout, args, ctx);
  else await compareCka(a, b, layout, args, ctx);
}

async function merge(args: CompareArgs, ctx: ToolContext): Promise<void> {
  const files = args._.slice(1).map(String);
  if (files.length === 0) throw new UsageError('compare merge needs at least one PART file (written by compare --partial)');
  if (files.filter((f) => f === '-').length > 1) throw new UsageError("stdin ('-') can be read only once");
  if (args.method !== 'cka') throw new UsageError('compare merge computes CKA (--method rsa cannot be merged from statistics)');
  if (args.partial) throw new UsageError('compare merge writes the layer-similarity table (--partial is for compare A B)');
  const inputs: ArrowInput[] = [];
  for (const file of files) inputs.push(await openArrow(file));
  const { gram, layout, schema } = await mergePartials(inputs);
  const metadata = passMetadata(schema, { 'cnnpipe.compare_layout': null, 'cnnpipe.method': null, 'cnnpipe.rows': null });
  metadata.delete(META.kind);
  await writeCka(gram, layout, args, metadata, ctx, files.join(' + '));
}

export function main(argv?: string[]): Promise<void> {
  return runTool<CompareArgs>(
    {
      name: 'compare',
      readsNumbers: true,
      usage: 'A.arrows B.arrows | merge PART...',
      description:
        'Layer-by-layer similarity of two networks over the same images (activations tables joined by image; give the ' +
        'same table twice to compare a network with itself). Writes a layer-similarity table: one row per (A layer, ' +
        'B layer) with a_model, a_layer, b_model, b_layer, value, method, n, which `plot heatmap` draws as a CKA figure.\n' +
        '  --method cka (default): linear CKA (Kornblith et al. 2019) from streamed float64 statistics, memory ' +
        'independent of the number of images: (D + L + 1)² float64 for D features in L layers; --debiased uses the ' +
        "unbiased HSIC estimator (better for small n). --partial writes the statistics (lstsq's gram kind) instead; " +
        'merge adds such shards and gives exactly the values of one run on all images.\n' +
        '  --method rsa: Pearson (--correlation spearman: Spearman) correlation of the representational dissimilarity ' +
        'matrices 1 − Pearson(x_i, x_j) over image pairs. It holds n x n: about 8 bytes x (nD + (q + 1) n(n−1)/2 + 2n²) ' +
        'for q layers of B and D features (Spearman: 3 n(n−1)/2 more), and stops beyond --max-images.',
      examples: [
        [
          'extract --model examples/zoo/vgg.onnx --layer block1 --layer block2 --layer block3 --layer block4 examples/data/fashion-mnist/test -o vgg.arrows && ' +
            'extract --model examples/zoo/resnet.onnx --layer layer1 --layer layer2 --layer layer3 --layer layer4 examples/data/fashion-mnist/test -o resnet.arrows && ' +
            'compare vgg.arrows resnet.arrows | plot heatmap -o cka.png',
          'linear CKA between every VGG and every ResNet stage, drawn as a heat map',
        ],
        ['compare vgg.arrows vgg.arrows --method rsa --correlation spearman | show', 'RSA of VGG with itself'],
        ['compare --partial a1.arrows b1.arrows -o s1.arrows && compare merge s1.arrows s2.arrows -o cka.arrows', 'CKA by shards'],
      ],
      options: (y) =>
        y
          .option('layer-a', { type: 'string', array: true, describe: "A's layer columns, in this order (repeatable; default: every layer column)" })
          .option('layer-b', { type: 'string', array: true, describe: "B's layer columns (as --layer-a)" })
          .option('method', { type: 'string', choices: METHODS, default: 'cka', describe: 'Linear CKA or RSA' })
          .option('debiased', { type: 'boolean', default: false, describe: 'cka: the unbiased HSIC estimator (n >= 4)' })
          .option('correlation', { type: 'string', choices: CORRELATIONS, default: 'pearson', describe: 'rsa: how the two RDMs are correlated' })
          .option('max-images', { type: 'number', default: 5000, describe: 'rsa: the most images (memory grows as n²)' })
          .option('partial', { type: 'boolean', default: false, describe: 'cka: write the statistics for compare merge' }),
      async run(args, ctx) {
        if (args._[0] === 'merge') await merge(args, ctx);
        else await compare(args, ctx);
      },
    },
    argv,
  );
}
