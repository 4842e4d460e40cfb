import { DirectorySink, UsageError, runTool, type CommonArgs } from '@cnnpipe/core';
import { readAtlasData, type AtlasInputs } from './data.js';
import { buildSiteModel } from './site-model.js';
import { writeSite } from './site.js';

interface AtlasArgs extends CommonArgs, AtlasInputs {
  images?: string;
  top: number;
  thumb?: number;
  title?: string;
}

export function main(argv?: string[]): Promise<void> {
  return runTool<AtlasArgs>(
    {
      name: 'atlas',
      usage: '--topk T --cof C --stats S [--components I] [--similarity M] [--concepts K] [--saliency G] -o SITE',
      description:
        'Builds a static web site for browsing a network neuron by neuron, like OpenAI Microscope: an ' +
        'index of layers (neurons, SF/MF counts, mean similarity, top concepts), a page per layer with ' +
        'every neuron as a card (its top patch, concept, facet, Gini, flatness; sortable and filterable), ' +
        'and a page per neuron (its top images with the receptive field of the peak boxed, class ' +
        'histogram, ICA components, statistics, most similar neurons). Thumbnails are packed into a few ' +
        'sprite sheets, each image drawn once however many neurons share it. The site opens from file:// ' +
        'or any static server; it is built in a temporary folder and replaces SITE only when complete.',
      writesOutput: false,
      examples: [
        ['examples/multifaceted-neurons/run.sh', 'from the repository: the demo study on the zoo VGG, ending with its atlas in out/multifaceted-neurons/atlas/index.html'],
        [
          'atlas --topk topk.arrows --cof cof.arrows --stats stats.arrows --components components.arrows --similarity similarity.arrows -o site/',
          'the site of a multi-faceted-neuron study (examples/multifaceted-neurons makes these tables); open site/index.html',
        ],
        ['topk -k 100 acts.arrows -o topk.arrows && cof topk.arrows -o cof.arrows && sparsity cof.arrows -o stats.arrows && atlas --topk topk.arrows --cof cof.arrows --stats stats.arrows -o site/', 'the smallest site, from activations'],
        ['csv --to-arrow --kind concepts descriptions.csv -o concepts.arrows && atlas ... --concepts concepts.arrows -o site/', 'label neurons with CLIP-Dissect concepts instead of their dominant class'],
      ],
      options: (y) =>
        y
          .option('output', { alias: 'o', type: 'string', demandOption: true, describe: 'Folder to write the site to (replaced when complete)' })
          .option('topk', { type: 'string', demandOption: true, describe: 'topk table (from `topk`; `--argmax` at extract time boxes receptive fields)' })
          .option('cof', { type: 'string', demandOption: true, describe: 'cof table (from `cof`)' })
          .option('stats', { type: 'string', demandOption: true, describe: 'neuron-stats table (from `sparsity`)' })
          .option('components', { type: 'string', describe: 'components table (from `ica`)' })
          .option('similarity', { type: 'string', describe: 'similarity table (from `similarity`)' })
          .option('saliency', { type: 'string', describe: "saliency table (saliency --topk): top images shown as the neuron's saliency maps" })
          .option('concepts', { type: 'string', describe: 'concepts table (csv --to-arrow --kind concepts, or cof --concepts); default label: the dominant class' })
          .option('visualizations', { type: 'string', describe: "visualizations table (from `dream`): each neuron's feature visualisation on its page and as a card image" })
          .option('images', { type: 'string', describe: 'Folder that relative image paths in the topk table are relative to' })
          .option('top', { type: 'number', default: 100, describe: 'Top images shown per neuron' })
          .option('thumb', { type: 'number', describe: 'Thumbnail side in px (default: the input size, at most 96)' })
          .option('title', { type: 'string', describe: 'Site title (default: the model file name)' }),
      epilogue:
        'Reads the tables the other tools write; the topk table must carry cnnpipe.preprocess (extract ' +
        'writes it) so thumbnails show exactly the pixels the network saw.',
      readsNumbers: true,
      async run(args, ctx) {
        if (!(Number.isInteger(args.top) && args.top > 0)) throw new UsageError(`--top must be a positive integer, got ${args.top}`);
        if (args.thumb !== undefined && !(Number.isInteger(args.thumb) && args.thumb >= 8 && args.thumb <= 512)) {
          throw new UsageError(`--thumb must be an integer from 8 to 512, got ${args.thumb}`);
        }
        if (args._.length > 0) throw new UsageError(`unexpected argument '${args._[0]}' (tables are given with --topk, --cof, --stats, ...)`);
        const data = await readAtlasData(args, ctx.nonFinite, ctx.warn);
        const site = buildSiteModel(data, { top: args.top, thumb: args.thumb, title: args.title });
        const out = new DirectorySink(args.output!.replace(/\/+$/, '') || args.output!);
        const { files, missing } = await writeSite(site, out.temp, { images: args.images }, ctx);
        out.commit();
        // Quiet on success like the other tools, unless the user watches progress.
        const neurons = data.layers.reduce((a, l) => a + l.neurons.length, 0);
        if (args.progress) ctx.info(`wrote ${args.output}: ${data.layers.length} layers, ${neurons} neurons, ${site.images.distinct.length} images, ${files} files${missing ? `, ${missing} images unreadable` : ''}`);
      },
    },
    argv,
  );
}
