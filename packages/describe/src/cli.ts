import { ArrowWriter, runTool } from '@cnnpipe/core';
import { SIMILARITIES, describeNeurons } from './describe.js';
import { readConceptTable, selectConcepts } from './concept-table.js';
import { joinByImage, readActivations, readImageEmbeddings } from './image-tables.js';
import { conceptsBatch } from './output.js';
import { checkArgs, checkConcepts, describeMetadata, describeOptions, type DescribeArgs } from './settings.js';

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
        checkConcepts(concepts, images, ctx.warn);
        const e = joinByImage(activations, images);
        const n = activations.images.length;
        const similarity = args.similarity;
        const options = describeOptions(args, activations, concepts, ctx);
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
        const metadata = describeMetadata(activations, images, concepts, options, similarity);
        const batch = conceptsBatch(layers, concepts.words, options.keep, metadata);
        const writer = ArrowWriter.open(args.output, batch.schema);
        await writer.write(batch);
        await writer.close();
      },
    },
    argv,
  );
}
