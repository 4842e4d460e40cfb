import { CONCEPTS_CSV_KEY, META, UsageError, passMetadata, type CommonArgs, type Metadata, type ToolContext } from '@cnnpipe/core';
import { DEFAULTS, type DescribeOptions, type Similarity } from './describe.js';
import type { ActivationsInput, ImageEmbeddingsInput } from './image-tables.js';
import { repeatedWords, type ConceptsInput } from './concept-table.js';

/** describe's options: their checks, the algorithm's settings they make, the output's metadata. */

/** Metadata key recording how a describe table was made. */
export const DESCRIBE_META = 'cnnpipe.describe';

export interface DescribeArgs extends CommonArgs {
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

/** The usage errors of the options (exit 2). */
export function checkArgs(args: DescribeArgs): void {
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

/** The algorithm's settings: the flags, else the similarity's CLIP-Dissect defaults; warns where they meet few images or one neuron. */
export function describeOptions(args: DescribeArgs, activations: ActivationsInput, concepts: ConceptsInput, ctx: ToolContext): DescribeOptions {
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
  return options;
}

/** The output's metadata: the activations' passed on, the kind, the CSV header, and how the table was made. */
export function describeMetadata(activations: ActivationsInput, images: ImageEmbeddingsInput, concepts: ConceptsInput, options: DescribeOptions, similarity: Similarity): Metadata {
  const n = activations.images.length;
  const c = concepts.words.length;
  return passMetadata(activations.schema, {
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
}

/** The concepts' embeddings must be of the image embeddings' width; repeated words are warned about. */
export function checkConcepts(concepts: ConceptsInput, images: ImageEmbeddingsInput, warn: (message: string) => void): void {
  if (concepts.dim !== images.dim) {
    throw new UsageError(`${concepts.name}: embeddings have ${concepts.dim} values, ${images.name} column '${images.column}' has ${images.dim} (expected the same CLIP model's image and text embeddings)`);
  }
  const repeated = repeatedWords(concepts.words);
  if (repeated) {
    warn(
      `${concepts.name}: ${repeated.count} repeated concept word(s), first '${repeated.first}': each row is a concept of its own ` +
        '(as in CLIP-Dissect: it counts again in the softmax), and of equal scores the earlier row wins',
    );
  }
}
