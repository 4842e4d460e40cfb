import { ArrowWriter, CONCEPTS_CSV_KEY, META, UsageError, passMetadata, runTool, type CommonArgs } from '@cnnpipe/core';
import { DEFAULTS, SIMILARITIES, describeNeurons, type DescribeOptions, type Similarity } from './describe.js';
import { readConceptTable, repeatedWords, selectConcepts } from './concept-table.js';
import { joinByImage, readActivations, readImageEmbeddings } from './image-tables.js';
import { conceptsBatch } from './output.js';

/** Metadata key recording how a describe table was made. */
export const DESCRIBE_META = 'cnnpipe.describe';

interface DescribeArgs extends CommonArgs {
  activations?: string;
  imageEmbeddings: string;
  concepts: string;
  conceptList?: string;
  similarity: Similarity;
  topK?: number;
  softmaxScale?: number;
  lambda?: number;
  minProb: number;
  pStart: number;
  pEnd: number;
  minNorm: number;
  layer?: string[];
  keep: number;
  block?: number;
  precision: 'float32' | 'float64';
  cacheMb: number;
}

function checkArgs(args: DescribeArgs): void {
  const positiveInt = (name: string, v: number | undefined) => {
    if (v !== undefined && !(Number.isInteger(v) && v > 0)) throw new UsageError(`--${name} must be a positive integer, got ${v}`);
  };
  positiveInt('top-k', args.topK);
  positiveInt('block', args.block);
  if (!(args.cacheMb >= 0)) throw new UsageError(`--cache-mb must be >= 0, got ${args.cacheMb}`);
  if (!(Number.isInteger(args.keep) && args.keep >= 0)) throw new UsageError(`--keep must be a whole number, got ${args.keep}`);
  for (const [name, v] of [['p-start', args.pStart], ['p-end', args.pEnd]] as const) {
    if (!(v >= 0 && v <= 1)) throw new UsageError(`--${name} must be in [0, 1], got ${v}`);
  }
  if (!(args.minProb >= 0)) throw new UsageError(`--min-prob must be >= 0, got ${args.minProb}`);
  if (!(args.minNorm > 0)) throw new UsageError(`--min-norm must be > 0, got ${args.minNorm}`);
  for (const [name, v] of [['softmax-scale', args.softmaxScale], ['lambda', args.lambda]] as const) {
    if (v !== undefined && !Number.isFinite(v)) throw new UsageError(`--${name} must be a number, got ${v}`);
  }
  if (args._.length > 0) throw new UsageError(`unexpected argument '${args._[0]}' (inputs are --activations, --image-embeddings, --concepts)`);
}

export function main(argv?: string[]): Promise<void> {
  return runTool<DescribeArgs>(
    {
      name: 'describe',
      usage: '--activations A --image-embeddings E[:COLUMN] --concepts T',
      description:
        "A concept word per neuron, as CLIP-Dissect computes it (similarity.py of Trustworthy-ML-Lab/CLIP-dissect): " +
        'P = normalised image embeddings x normalised text embeddings; soft-wpmi (default) scores concept t for neuron k ' +
        'by its top images x_i: sum_i log(1 + p_i (softmax(a P)[x_i,t] - 1) + min_prob) - lambda log p(t), log p(t) the ' +
        "layer's logsumexp over neurons minus log K; wpmi: sum_i log(softmax(a P)[x_i,t] + min_prob), top 28, a = 2, " +
        "lambda = 0.6; cos3: cosine of the centred, cubed activations and P columns. A is an activations table (each " +
        "layer column a neuron's pooled value per image, extract's spatial mean), E the CLIP image encoder's output on the " +
        "same images ('extract --logits': column logits), T a table of concept (utf8) and embedding " +
        '(FixedSizeList<float32>[D]: CLIP text embeddings; pyarrow-written or csv --to-arrow --kind embeddings). ' +
        "Writes the concepts kind (layer, unit, concept, score); 'csv' writes it as CLIP-Dissect's descriptions.csv " +
        '(layer,unit,description,similarity). Concepts are processed in blocks: memory is bounded in the number of ' +
        'concepts. With one neuron in a layer, soft-wpmi scores are all 0 (log p(t) is the neuron\'s own) and the first ' +
        'concept is its description. Fewer images than --top-k: all images are used.',
      examples: [
        [
          'describe --activations examples/describe/activations.arrows --image-embeddings examples/describe/clip-images.arrows --concepts examples/describe/concepts.arrows --keep 3 | csv',
          'descriptions of the demo neurons (synthetic CLIP embeddings), with three runner-ups',
        ],
        [
          'extract --model resnet18.onnx --layer layer4 probe/ | describe --image-embeddings clip.arrows:logits --concepts 20k.arrows | csv > descriptions.csv',
          'CLIP-Dissect descriptions.csv of layer4 (clip.arrows: extract --logits on a CLIP image encoder)',
        ],
      ],
      options: (y) =>
        y
          .option('activations', { type: 'string', describe: 'Activations table (default: stdin)' })
          .option('image-embeddings', { type: 'string', demandOption: true, describe: "CLIP image embeddings, FILE[:COLUMN] (default column 'logits')" })
          .option('concepts', { type: 'string', demandOption: true, describe: 'Concept words and CLIP text embeddings (concept, embedding)' })
          .option('concept-list', { type: 'string', describe: 'Only these concepts: one word per line (blank lines dropped)' })
          .option('similarity', { type: 'string', choices: SIMILARITIES, default: 'soft-wpmi', describe: 'Scoring function' })
          .option('layer', { type: 'string', array: true, describe: 'Describe this layer column (repeatable; default: every layer column)' })
          .option('top-k', { type: 'number', describe: 'Top images per neuron (soft-wpmi 100, wpmi 28)' })
          .option('softmax-scale', { type: 'number', describe: 'a in softmax(a P) over concepts (soft-wpmi 10, wpmi 2)' })
          .option('lambda', { type: 'number', describe: 'Weight of log p(t) (soft-wpmi 1, wpmi 0.6)' })
          .option('min-prob', { type: 'number', default: 1e-7, describe: 'Added inside every log' })
          .option('p-start', { type: 'number', default: 0.998, describe: "soft-wpmi: the top image's weight" })
          .option('p-end', { type: 'number', default: 0.97, describe: 'soft-wpmi: weights fall linearly towards this' })
          .option('min-norm', { type: 'number', default: 1e-3, describe: 'cos3: floor on the norms' })
          .option('keep', { type: 'number', default: 0, describe: 'Runner-up concepts to keep per neuron (columns runner_ups, runner_up_scores)' })
          .option('precision', {
            type: 'string',
            choices: ['float64', 'float32'],
            default: 'float64',
            describe: "Of the image x concept products: float32 (CLIP-Dissect's) costs about half, scores ~1e-6 off",
          })
          .option('cache-mb', {
            type: 'number',
            default: 0,
            describe:
              "soft-wpmi, wpmi: keep up to this many MiB of the first pass's softmax terms so the second pass skips their " +
              'products (images x concepts x 4 bytes in float32 keeps them all; 0: memory bounded by the blocks)',
          })
          .option('block', { type: 'number', describe: 'Concepts per block (default: about 4M image x concept values per block)' }),
      async run(args, ctx) {
        checkArgs(args);
        const activations = await readActivations(args.activations, args.layer);
        const images = await readImageEmbeddings(args.imageEmbeddings);
        let concepts = await readConceptTable(args.concepts);
        if (args.conceptList !== undefined) concepts = selectConcepts(concepts, args.conceptList, ctx.warn);
        if (concepts.dim !== images.dim) {
          throw new UsageError(`${concepts.name}: embeddings have ${concepts.dim} values, ${images.name} column '${images.column}' has ${images.dim} (expected the same CLIP model's image and text embeddings)`);
        }
        const repeated = repeatedWords(concepts.words);
        if (repeated) {
          ctx.warn(
            `${concepts.name}: ${repeated.count} repeated concept word(s), first '${repeated.first}': each row is a concept of its own ` +
              '(as in CLIP-Dissect: it counts again in the softmax), and of equal scores the earlier row wins',
          );
        }
        const e = joinByImage(activations, images);
        const n = activations.images.length;
        const similarity = args.similarity;
        const options: DescribeOptions = {
          similarity,
          topK: args.topK ?? DEFAULTS[similarity].topK,
          a: args.softmaxScale ?? DEFAULTS[similarity].a,
          lambda: args.lambda ?? DEFAULTS[similarity].lambda,
          minProb: args.minProb,
          pStart: args.pStart,
          pEnd: args.pEnd,
          minNorm: args.minNorm,
          keep: Math.min(args.keep, concepts.words.length - 1),
          block: args.block,
          precision: args.precision,
          cacheBytes: args.cacheMb * 2 ** 20,
        };
        if (similarity !== 'cos3') {
          if (options.topK > n) ctx.warn(`--top-k ${options.topK} but ${n} images: each neuron's top ${n} are used (as top_k = ${n})`);
          for (const layer of activations.layers) {
            if (layer.neurons === 1 && options.lambda === 1) {
              ctx.warn(`layer '${layer.name}' has one neuron: log p(t) is its own log p(t|E), so every score is 0 and the first concept describes it`);
            }
          }
        }
        const c = concepts.words.length;
        const passes = similarity === 'cos3' ? 1 : 2;
        const progress = ctx.progress('concepts', c * passes, 'concepts');
        options.onBlock = (done) => progress.tick(done);
        const layers = await describeNeurons(
          { values: e, rows: n, dim: images.dim },
          { values: concepts.values, rows: c, dim: concepts.dim },
          activations.layers,
          options,
        );
        progress.finish();
        const metadata = passMetadata(activations.schema, {
          [META.kind]: 'concepts',
          [CONCEPTS_CSV_KEY]: 'clip-dissect',
          [DESCRIBE_META]: JSON.stringify({
            similarity,
            top_k: similarity === 'cos3' ? null : Math.min(options.topK, n),
            a: options.a,
            lambda: options.lambda,
            min_prob: options.minProb,
            p_start: options.pStart,
            p_end: options.pEnd,
            min_norm: options.minNorm,
            precision: options.precision,
            images: n,
            concepts: c,
            image_embeddings: `${images.name}:${images.column}`,
            concept_table: concepts.name,
          }),
        });
        const batch = conceptsBatch(layers, concepts.words, options.keep, metadata);
        const writer = ArrowWriter.open(args.output, batch.schema);
        await writer.write(batch);
        await writer.close();
      },
    },
    argv,
  );
}
