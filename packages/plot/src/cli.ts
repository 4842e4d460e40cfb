import { extname } from 'node:path';
import { ByteSink, UsageError, runTool } from '@cnnpipe/core';
import { unknownType } from './charts.js';
import { pick, readFrame } from './data.js';
import { ownAccuracy } from './accuracy-cells.js';
import { positive, renderSvg, TYPES, type PlotArgs, type PlotType } from './figure.js';
import { svgToPng } from './render.js';

export function main(argv?: string[]): Promise<void> {
  return runTool<PlotArgs>(
    {
      name: 'plot',
      usage: 'TYPE [FILE]',
      description:
        "The studies' figures from any Arrow stream: TYPE is bar, line, box (raw values, or precomputed min/q1/median/q3/max " +
        'columns), density (kernel density, or --hist, faceted by layer), heatmap (cell labels, diverging scale when values ' +
        'straddle --mid), venn (two circles from a venn summary/per-layer/concepts report; Jaccard in the caption) or montage ' +
        '(top images per neuron from a topk table). Columns default from the table kind (venn top: concept/neurons by model; ' +
        'neuron-stats: layer/gini; accuracy: target/source/top1; similarity summary: layer/mean_pearson), else x = first text ' +
        'column and y = first numeric one. -o FIG.svg or FIG.png (PNG through resvg with the bundled DejaVu Sans font); ' +
        'without -o, SVG on stdout. Same input, same bytes. FILE defaults to stdin.',
      examples: [
        [
          "printf 'model,concept,neurons\\nimagenet,dotted,5\\nimagenet,striped,3\\nplaces,grass,7\\n' | csv --to-arrow | plot bar --facet model -o top.svg",
          'a bar per row, one panel per model',
        ],
        ['venn a.arrows b.arrows --names imagenet,places --report top | plot bar -o top.png', 'top concepts of each model, no column flags'],
        ['classify --summary runs/*.arrows | plot heatmap -o accuracy.png', 'the NxN accuracy table, shaded, with cell labels'],
        ['sparsity < cof.arrows | plot density --x flatness --hist -o flatness.svg', 'flatness histograms, one per layer'],
        ['topk -k 8 < acts.arrows | plot montage --images examples/data -o top.png', 'top-8 images of each neuron'],
      ],
      options: (y) =>
        y
          .positional('TYPE', { type: 'string' })
          .option('x', { type: 'string', describe: 'Column on the x axis (density: the value column)' })
          .option('y', { type: 'string', describe: "Column on the y axis ('count' counts rows in bar)" })
          .option('color', { type: 'string', describe: "Column for colour (heatmap: the cell value); '' turns a default off" })
          .option('facet', { type: 'string', describe: "Column to split into panels; '' turns a default off" })
          .option('label', { type: 'string', describe: 'heatmap: column of the cell texts (default: the value); montage: the caption column' })
          .option('title', { type: 'string', describe: 'Figure title' })
          .option('width', { type: 'number', describe: 'Width in px (of the whole chart; of one panel when faceted)' })
          .option('height', { type: 'number', describe: 'Height in px (as --width)' })
          .option('scale', { type: 'number', default: 2, describe: 'PNG pixels per SVG unit' })
          .option('hist', { type: 'boolean', default: false, describe: 'density: histogram instead of kernel density' })
          .option('bins', { type: 'number', default: 20, describe: 'density --hist: the most bins' })
          .option('diverging', { type: 'boolean', describe: 'heatmap: diverging colour scale around --mid (default: when values straddle it)' })
          .option('mid', { type: 'number', default: 0, describe: 'heatmap: the middle of the diverging scale' })
          .option('baseline', {
            type: 'string',
            describe: "heatmap of accuracies: a table of each source's own accuracy (classify --summary); cells are shaded by the change against it",
          })
          .option('domain', { type: 'string', describe: 'heatmap: colour scale range MIN,MAX (default: the data; 0,1 for accuracy fractions)' })
          .option('names', { type: 'string', describe: "venn: the two models' names, 'a,b'" })
          .option('images', { type: 'string', describe: 'montage: folder the image paths are relative to (default: cwd)' })
          .option('cell', { type: 'number', default: 64, describe: 'montage: image size in px' })
          .option('columns', { type: 'number', default: 10, describe: 'montage: the most images per neuron' })
          .option('max-rows', { type: 'number', default: 32, describe: 'montage: the most neurons (rows)' }),
      readsNumbers: true,
      async run(args, ctx) {
        const [type, file, ...rest] = args._.map(String);
        if (type === undefined) throw new UsageError(`give a plot TYPE: ${TYPES.join(', ')}`);
        if (!(TYPES as readonly string[]).includes(type)) unknownType(type, [...TYPES]);
        if (rest.length > 0) throw new UsageError(`expected at most one FILE, got ${rest.length + 1}: ${[file, ...rest].join(' ')}`);
        for (const name of ['width', 'height', 'scale', 'bins', 'cell', 'columns', 'maxRows'] as const) positive(name, args[name]);
        const ext = args.output === undefined || args.output === '-' ? '.svg' : extname(args.output).toLowerCase();
        if (ext !== '.svg' && ext !== '.png') throw new UsageError(`-o must name a .svg or .png file, got '${args.output}'`);
        const frame = await readFrame(file, ctx.nonFinite);
        if (args.baseline !== undefined) {
          if (type !== 'heatmap' || frame.kind !== 'accuracy') throw new UsageError('--baseline goes with plot heatmap of an accuracy table');
          args.own = ownAccuracy(await readFrame(args.baseline, ctx.nonFinite), pick(frame, 'top1') ?? 'top1');
        }
        const svg = await renderSvg(type as PlotType, frame, args);
        const sink = ByteSink.open(args.output);
        await sink.write(ext === '.png' ? svgToPng(svg, args.scale) : svg);
        sink.commit();
      },
    },
    argv,
  );
}
