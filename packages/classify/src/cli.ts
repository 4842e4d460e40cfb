import {
  KindWriter,
  UsageError,
  accuracyCodec,
  activationsCodec,
  expectKind,
  oneFile,
  openArrow,
  predictionsCodec,
  readFinalLinear,
  readKind,
  runTool,
  writeKind,
  type CommonArgs,
} from '@cnnpipe/core';
import { Truth } from './classes.js';
import { pickColumn } from './columns.js';
import { accuracyRows, predict } from './predict.js';
import { readWeights, shortName, sourceName } from './weights.js';

interface ClassifyArgs extends CommonArgs {
  model?: string;
  weights?: string;
  column?: string;
  summary: boolean;
  classes?: string;
}

export function main(argv?: string[]): Promise<void> {
  return runTool<ClassifyArgs>(
    {
      name: 'classify',
      usage: '(--model M.onnx | --weights W.arrows) [--column C] [--summary] [FILE]',
      description:
        "A network's final linear classifier (the last Gemm of --model, or an affine-map-like table of K rows " +
        'with --weights) applied to a feature column of an activations table, batched through onnxruntime: the ' +
        'predictions kind (image, label, pred, top1, top5; label indices are the classifier\'s output indices). ' +
        '--summary gives one accuracy row (source, target, n, top1, top5 as fractions): source from the ' +
        "input's cnnpipe.source (set by lstsq apply) or cnnpipe.model, target the classifier's name. FILE defaults to stdin.",
      examples: [
        [
          'extract --model examples/zoo/resnet.onnx --layer /Flatten_output_0 examples/data/fashion-mnist/test | classify --model examples/zoo/resnet.onnx --summary',
          "the zoo ResNet's test accuracy from its own features (class order from the model's metadata)",
        ],
        ['lstsq naive --source-dim 4 --target-dim 10 > w.arrows && classify --weights w.arrows --summary act.arrows', 'a classifier given as a table'],
        ['classify --model examples/zoo/resnet.onnx --column features resnet-val.arrows | csv', 'predictions per image'],
        ['lstsq apply --map vgg2resnet.arrows vgg-val.arrows | classify --model examples/zoo/resnet.onnx --summary', 'accuracy of mapped features'],
      ],
      options: (y) =>
        y
          .option('model', { type: 'string', describe: 'ONNX model whose last Gemm is the classifier' })
          .option('weights', { type: 'string', describe: 'affine-map-like table: one row per class (weights, bias)' })
          .option('column', { type: 'string', describe: "feature column (default: the column lstsq apply added, else the only one)" })
          .option('classes', {
            type: 'string',
            describe:
              "the classifier's class names in output order (a,b,c or @file, or a JSON list file; default: the model's cnnpipe.classes metadata): with names the truth is the row's `class` string, not its `label` index",
          })
          .option('summary', { type: 'boolean', default: false, describe: 'write one accuracy row instead of predictions' }),
      readsNumbers: true,
      async run(args, ctx) {
        if ((args.model === undefined) === (args.weights === undefined)) throw new UsageError('give exactly one of --model M.onnx or --weights W.arrows');
        const file = oneFile(args);
        if (args.weights === '-' && (file === undefined || file === '-')) throw new UsageError("stdin ('-') can be read only once");
        const { linear, name } = args.model ? { linear: readFinalLinear(args.model), name: shortName(args.model) } : await readWeights(args.weights!);
        const input = await openArrow(file);
        expectKind(input.schema, 'activations', input.name);
        const col = pickColumn(input.schema, input.name, args.column, { width: linear.d, classifier: name });
        const truth = Truth.of(input, name, linear, args.classes, ctx.warn);
        const reader = await readKind(activationsCodec, input, { guard: ctx.nonFinite(input.name, 'images'), columns: [col.name] });
        if (args.summary) {
          const t = await predict(reader, col.name, linear, truth);
          return writeKind(accuracyCodec, args.output, accuracyRows(t, sourceName(input), name), { from: input.schema });
        }
        const writer = KindWriter.open(predictionsCodec, args.output, { from: input.schema, metadata: { 'cnnpipe.classifier': name } });
        await predict(reader, col.name, linear, truth, (rows) => writer.write(rows));
        await writer.close();
      },
    },
    argv,
  );
}
