import { UsageError, runTool } from '@cnnpipe/core';
import type { LstsqArgs } from './args.js';
import { fit, merge } from './fit-command.js';
import { apply, logits, naive } from './map-commands.js';

const SUBCOMMANDS = { fit, merge, apply, logits, naive } as const;

export function main(argv?: string[]): Promise<void> {
  return runTool<LstsqArgs>(
    {
      name: 'lstsq',
      usage: 'fit|merge|apply|logits|naive ...',
      description:
        "Least-squares affine maps between two networks' feature vectors (affine-map kind: one row per target " +
        'dimension, `weights` over the source dimensions, `bias`).\n' +
        '  fit --source A.arrows[:COL] --target B.arrows[:COL] [--ridge L] [--partial] [--intersect] [--gram auto|int8[:D[,E]]|float64]\n' +
        '      streams both activation tables (joined on image), accumulates the float64 normal equations and ' +
        'solves them by a rank-revealing Cholesky: dependent source dimensions (dead, constant, duplicated, collinear) get ' +
        "numpy.linalg.lstsq's minimum-norm solution, with a note; training R² goes in the metadata. --partial writes the gram table instead.\n" +
        "      --gram int8 takes float32 blocks' products from 7-bit digits (7 per source value, 6 per target value) " +
        "multiplied exactly in int8 (AMX tiles where the CPU has them): the data perturbed by at most 2^-48 of each column's block " +
        'maximum (float32 itself rounds to 2^-24). int8:D[,E] takes D source (E target) digits: int8:4 perturbs by up to 2^-27, ' +
        'faster, and may differ from numpy where the features are ill-conditioned. float64 (and auto, the default) by float64 Gemm.\n' +
        '  merge GRAM...   adds gram tables of shards and solves: the same map as one fit on all rows.\n' +
        '  apply --map MAP [--column COL] [--as NAME] [FILE]   activations in, mapped features added as NAME.\n' +
        '  logits --source-model A.onnx --target-model B.onnx   x_B = pinv(W_B)(W_A x_A + b_A - b_B).\n' +
        '  naive --source-dim DA --target-dim DB   identity with truncation or zero padding.',
      examples: [
        [
          'lstsq naive --source-dim 4 --target-dim 3 | show',
          'the naive truncation map from 4 to 3 dimensions',
        ],
        ['lstsq fit --source vgg.arrows:features --target resnet.arrows:features > vgg2resnet.arrows', 'fit an affine map'],
        ['lstsq fit --partial --source a1.arrows --target b1.arrows > g1.arrows && lstsq merge g1.arrows g2.arrows > map.arrows', 'fit by shards'],
        ['lstsq apply --map vgg2resnet.arrows --column features val-vgg.arrows | classify --model resnet.onnx --column features --summary', 'classify mapped features'],
        ['lstsq logits --source-model examples/zoo/vgg.onnx --target-model examples/zoo/resnet.onnx > logit-map.arrows', 'the logit-space map'],
      ],
      options: (y) =>
        y
          .option('source', { type: 'string', describe: 'fit: source activations FILE[:COLUMN]' })
          .option('target', { type: 'string', describe: 'fit: target activations FILE[:COLUMN]' })
          .option('ridge', { type: 'number', default: 0, describe: 'fit/merge: ridge penalty added to the centred Gram diagonal (bias unpenalised)' })
          .option('partial', { type: 'boolean', default: false, describe: 'fit: write the gram table (for lstsq merge) instead of the map' })
          .option('gram', { type: 'string', default: 'auto', describe: 'fit: block products by exact int8 digit products of float32 data (int8, int8:D[,E] digits) or float64 Gemm (float64; auto: float64)' })
          .option('intersect', { type: 'boolean', default: false, describe: 'fit: join on the images both tables hold (target held in memory), with a warning' })
          .option('map', { type: 'string', describe: 'apply: the affine-map table' })
          .option('column', { type: 'string', describe: "apply: the feature column to map (default: the map's source column, else the only one)" })
          .option('as', { type: 'string', describe: "apply: name of the new column (default: the map's target column, else 'mapped')" })
          .option('source-model', { type: 'string', describe: 'logits: model A (ONNX ending in a Gemm)' })
          .option('target-model', { type: 'string', describe: 'logits: model B (ONNX ending in a Gemm)' })
          .option('source-dim', { type: 'number', describe: 'naive: source width DA' })
          .option('target-dim', { type: 'number', describe: 'naive: target width DB' }),
      readsNumbers: true,
      async run(args, ctx) {
        const sub = String(args._[0] ?? '');
        if (!Object.hasOwn(SUBCOMMANDS, sub)) {
          throw new UsageError(`expected a subcommand (${Object.keys(SUBCOMMANDS).join(', ')}), got '${sub || 'none'}'`);
        }
        if (sub !== 'merge' && sub !== 'apply' && args._.length > 1) {
          throw new UsageError(`lstsq ${sub} takes no FILE arguments, got ${args._.slice(1).join(' ')}`);
        }
        await SUBCOMMANDS[sub as keyof typeof SUBCOMMANDS](args, ctx);
      },
    },
    argv,
  );
}
