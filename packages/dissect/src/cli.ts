import { PRESETS, RESIZE_KERNELS, UsageError, runTool } from '@cnnpipe/core';
import { SUBCOMMANDS, modelArgs, type DissectArgs } from './args.js';
import { dissectWhole, mergeParts, quantilesPart, tallyPart, writeOutcome } from './run.js';
import { summaryCommand } from './summary-command.js';

export function main(argv?: string[]): Promise<void> {
  const given = argv ?? process.argv.slice(2);
  return runTool<DissectArgs>(
    {
      name: 'dissect',
      usage: '--model M.onnx --layer L... --probe BRODEN_DIR  |  quantiles|tally|merge|summary ...',
      description:
        'Network Dissection (Bau et al. 2017; the formulas of NetDissect-Lite): labels every unit of the tapped ' +
        'layers with the concept whose segmentation masks best overlap its thresholded activation map, over a ' +
        'probe set in Broden layout (index.csv, label.csv, category.csv, c_<category>.csv, images/). Per unit k, ' +
        'T_k = the top --quantile of its activations over all images and positions (exact); per image the map is ' +
        "upsampled bilinearly to the mask size (torch's align_corners=False) and A = map > T_k; IoU[k,l] = " +
        '|A & l| / (Act[k, category(l)] + |l| - |A & l|), summed over the probe. Writes the concepts kind (layer, ' +
        'unit, concept, score = IoU) with category, detector (IoU >= --threshold), threshold (T_k) and per ' +
        'category <cat>_label and <cat>_iou; prints the unique detectors per category per layer. The model runs ' +
        'once: its maps are spilled to a temporary file between the threshold pass and the tally pass (N x C x H ' +
        'x W float32 per layer; --recompute runs the model twice instead). Sharded: dissect quantiles --shard I/N ' +
        '(each shard), dissect tally --shard I/N Q_0 ... Q_N-1 (exact merged thresholds), dissect merge T_0 ... ' +
        '(sums add exactly). dissect summary TABLE: the detectors per category per layer as a table for plot bar.',
      examples: [
        [
          'dissect --model examples/zoo/resnet.onnx --layer layer2 --layer layer3 --probe examples/data/fashion-probe -o /tmp/dissect.arrows',
          'dissect two layers of the demo ResNet over the demo probe set',
        ],
        ['dissect --model examples/zoo/vgg.onnx --layer block4 --probe examples/data/fashion-probe --montage /tmp/montage -o /tmp/vgg.arrows', "each unit's top probe images with its thresholded activation lit, for atlas --concepts"],
        ['dissect summary /tmp/dissect.arrows | plot bar --x category --y unique --facet layer -o detectors.svg', 'unique detectors per category per layer'],
        ['dissect --model m.onnx --layer layer4 --probe broden1_224 --tally-csv tally.csv | csv > labels.csv', "NetDissect-Lite's tally.csv too"],
        [
          'dissect quantiles -m m.onnx -l layer4 --probe P --shard 0/2 -o q0.arrows  (and 1/2 -> q1.arrows)\n  dissect tally -m m.onnx -l layer4 --probe P --shard 0/2 q0.arrows q1.arrows -o t0.arrows  (and 1/2)\n  dissect merge t0.arrows t1.arrows -o dissect.arrows',
          'the same dissection in two shards (on two machines), merged',
        ],
      ],
      options: (y) =>
        y
          .positional('SUBCOMMAND', { type: 'string' })
          .option('model', { alias: 'm', type: 'string', describe: 'ONNX model file' })
          .option('layer', { alias: 'l', type: 'string', describe: 'Module path or tensor name of a feature map to dissect (repeatable)' })
          .option('probe', { type: 'string', describe: 'Probe folder in Broden layout (tools/probe/make_probe.py writes one)' })
          .option('categories', { type: 'string', describe: 'Categories to label with, in output order (default: object,part,scene,texture,color that the probe has)' })
          .option('quantile', { type: 'number', default: 0.005, describe: "Top fraction of each unit's activations above its threshold" })
          .option('threshold', { type: 'number', default: 0.04, describe: 'IoU at which a unit counts as a detector' })
          .option('detectors-only', { type: 'boolean', default: false, describe: 'Leave concept and category empty for units below --threshold (so venn counts detectors only); the per-category columns keep their labels' })
          .option('tally-csv', { type: 'string', describe: "Also write NetDissect-Lite's tally.csv (with several layers: a name with {layer})" })
          .option('montage', { type: 'string', describe: "Also write DIR/<layer>/<unit>.png: the unit's --top probe images with the activation above its threshold lit (NetDissect's view; the concepts table gets a montage column, atlas shows it)" })
          .option('top', { type: 'number', default: 8, describe: 'With --montage: how many probe images per unit (highest peak activation)' })
          .option('recompute', { type: 'boolean', default: false, describe: 'Run the model again for the tally pass instead of spilling its maps to a temporary file' })
          .option('preset', { type: 'string', choices: Object.keys(PRESETS), describe: 'Preprocessing preset (default: gray for 1-channel models, imagenet for 3)' })
          .option('size', { type: 'number', describe: 'Input size fed to the model (the whole image is resized to it)' })
          .option('resize', { type: 'number', describe: 'Resize the shorter side to this, then centre-crop --size (default: no crop, as masks cover the whole image)' })
          .option('mean', { type: 'string', describe: 'Per-channel mean, e.g. 0.485,0.456,0.406' })
          .option('std', { type: 'string', describe: 'Per-channel std, e.g. 0.229,0.224,0.225' })
          .option('resize-kernel', { type: 'string', choices: [...RESIZE_KERNELS], default: 'pil', describe: "Resampler of the resize, as extract's: pil (torchvision's) or libvips (sharp's)" })
          .option('batch', { type: 'number', default: 32, describe: 'Images per inference batch' })
          .option('ep', { type: 'string', default: 'cpu', describe: 'Execution provider: cpu, webgpu or cuda (falls back to cpu with a message)' })
          .option('require-ep', { type: 'boolean', default: false, describe: 'Exit 1 instead of falling back to cpu when --ep cannot start (batch jobs)' })
          .option('shard', { type: 'string', describe: 'quantiles and tally: only images i with i % N == I of the index, for --shard I/N' }),
      async run(args, ctx) {
        const positional = args._.map(String);
        const sub = (SUBCOMMANDS as readonly string[]).includes(positional[0] ?? '') ? positional.shift()! : undefined;
        if (!(args.threshold >= 0)) throw new UsageError(`--threshold must be a number >= 0, got ${args.threshold}`);
        // Flags of the final table go with the whole run or merge; the montage needs the whole run's maps.
        if (sub && args.montage) throw new UsageError(`--montage goes with a whole run (dissect --model ... --probe ...), not dissect ${sub}`);
        if ((sub === 'quantiles' || sub === 'tally' || sub === 'summary') && args.tallyCsv) throw new UsageError(`--tally-csv goes with a whole run or dissect merge, not dissect ${sub}`);
        if (sub === 'summary') {
          if (positional.length > 1) throw new UsageError(`dissect summary reads one table, got ${positional.join(' ')}`);
          return summaryCommand(positional[0], { threshold: args.threshold, thresholdGiven: given.some((a) => a === '--threshold' || a.startsWith('--threshold=')), output: args.output });
        }
        if (sub === 'merge') return writeOutcome(await mergeParts(positional), { threshold: args.threshold, tallyCsv: args.tallyCsv, output: args.output, detectorsOnly: args.detectorsOnly }, ctx);
        if (sub === 'quantiles' || sub === undefined) {
          if (positional.length > 0) throw new UsageError(`unexpected argument ${positional[0]} (subcommands: ${SUBCOMMANDS.join(', ')})`);
        }
        const m = modelArgs(args, sub ?? '');
        if (sub === 'quantiles') return quantilesPart(m, ctx, args.output);
        if (sub === 'tally') return tallyPart(m, positional, ctx, args.output);
        if (m.shard) throw new UsageError('--shard goes with dissect quantiles and dissect tally (then dissect merge); a whole run needs every image for its thresholds');
        if (!Number.isInteger(args.top) || args.top < 1) throw new UsageError(`--top must be a positive integer, got ${args.top}`);
        const outcome = await dissectWhole({ ...m, recompute: args.recompute, montage: args.montage, top: args.top }, ctx);
        await writeOutcome(outcome, { threshold: args.threshold, tallyCsv: args.tallyCsv, output: args.output, detectorsOnly: args.detectorsOnly }, ctx);
      },
    },
    given,
  );
}
