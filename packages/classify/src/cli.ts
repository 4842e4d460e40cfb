import { existsSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import {
  ArrowWriter,
  CliError,
  META,
  NonFiniteGuard,
  UsageError,
  classesOf,
  expectKind,
  fixedSizeListValues,
  float64Data,
  int32Data,
  makeBatch,
  openArrow,
  parseClassList,
  passMetadata,
  primitiveValues,
  readAllBatches,
  runTool,
  stringValues,
  utf8Data,
  type CommonArgs,
} from '@cnnpipe/core';
import { Bool, DataType, vectorFromArray, type FixedSizeList, type Schema } from 'apache-arrow';
import { logitsOf, score } from './classify.js';
import { readFinalLinear, type Linear } from '@cnnpipe/core';

interface ClassifyArgs extends CommonArgs {
  model?: string;
  weights?: string;
  column?: string;
  summary: boolean;
  classes?: string;
}

/** `--classes`: a,b,c or @file (core's parseClassList), or a JSON file holding a list (or zoo.json's `labels`). */
function parseClasses(value: string): string[] {
  // The tools' one syntax (a,b,c or @file); a bare JSON file path still works.
  if (value.startsWith('@')) return parseClassList(value);
  if (existsSync(value)) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(value, 'utf8'));
    } catch {
      throw new UsageError(`--classes: ${value} is not JSON (expected a list of class names, or a zoo.json)`);
    }
    const list = Array.isArray(parsed) ? parsed : (parsed as { labels?: unknown }).labels;
    if (!Array.isArray(list) || !list.every((c) => typeof c === 'string')) {
      throw new UsageError(`--classes: ${value} holds no list of class names (expected ["a","b",...] or {"labels": [...]})`);
    }
    return list;
  }
  return value.split(',').map((c) => c.trim());
}

function shortName(name: string): string {
  return basename(name).replace(/\.(onnx|arrows|arrow)$/, '');
}

/** A linear classifier from an affine-map-like table: K rows of D weights and a bias. */
async function readWeights(file: string): Promise<{ linear: Linear; name: string }> {
  const input = await openArrow(file);
  expectKind(input.schema, 'affine-map', input.name);
  const batches = await readAllBatches(input);
  // A classifier's weights are not rows to drop: NaN/Inf there always stops.
  const guard = NonFiniteGuard.strict(input.name);
  let row = 0;
  for (const batch of batches) {
    guard.scanBatch(batch, row, ['weights', 'bias']);
    row += batch.numRows;
  }
  guard.finish();
  const d = (input.schema.fields.find((f) => f.name === 'weights')!.type as FixedSizeList).listSize;
  const k = batches.reduce((s, b) => s + b.numRows, 0);
  const weights = new Float64Array(k * d);
  const bias = new Float64Array(k);
  for (const batch of batches) {
    const w = fixedSizeListValues(batch.getChild('weights')!).values;
    const b = primitiveValues(batch.getChild('bias')!);
    const dims = primitiveValues(batch.getChild('dim')!);
    for (let i = 0; i < batch.numRows; i++) {
      const row = dims[i]!;
      if (row < 0 || row >= k) throw new CliError(`${input.name}: dim ${row} out of range (expected 0..${k - 1})`);
      weights.set(w.subarray(i * d, (i + 1) * d), row * d);
      bias[row] = b[i]!;
    }
  }
  const meta = input.schema.metadata;
  const name = meta.get('cnnpipe.target') ?? (meta.get(META.model) ? shortName(meta.get(META.model)!) : shortName(file));
  return { linear: { k, d, weights, bias }, name };
}

function isFeature(type: DataType): boolean {
  return DataType.isFixedSizeList(type) && DataType.isFloat(type.children[0]!.type);
}

/** The column to classify: asked, else the one `lstsq apply` added, else the only feature column. */
function pickColumn(schema: Schema, source: string, asked?: string): { name: string; width: number } {
  const features = schema.fields.filter((f) => isFeature(f.type));
  const named = asked ?? schema.metadata.get('cnnpipe.mapped_column');
  if (named !== undefined) {
    const field = schema.fields.find((f) => f.name === named);
    if (!field || !isFeature(field.type)) {
      throw new CliError(
        `${source}: no feature column '${named}' (expected FixedSizeList<float32>; feature columns are: ${features.map((f) => f.name).join(', ') || 'none'})`,
      );
    }
    return { name: named, width: (field.type as FixedSizeList).listSize };
  }
  const candidates = features.filter((f) => f.name !== 'logits');
  if (candidates.length !== 1) {
    throw new CliError(
      `${source}: ${candidates.length === 0 ? 'no feature column' : `several feature columns (${candidates.map((f) => f.name).join(', ')})`} ` +
        '(expected one FixedSizeList<float32> column, or --column C)',
    );
  }
  return { name: candidates[0]!.name, width: (candidates[0]!.type as FixedSizeList).listSize };
}

const tristate = (v: Int8Array) => vectorFromArray(Array.from(v, (x) => (x < 0 ? null : x === 1)), new Bool()).data[0]!;

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
        if ((args.model === undefined) === (args.weights === undefined)) {
          throw new UsageError('give exactly one of --model M.onnx or --weights W.arrows');
        }
        const files = args._.map(String);
        if (files.length > 1) throw new UsageError(`expected at most one FILE, got ${files.length}`);
        if (args.weights === '-' && (files[0] === undefined || files[0] === '-')) throw new UsageError("stdin ('-') can be read only once");
        const { linear, name } = args.model
          ? { linear: readFinalLinear(args.model), name: shortName(args.model) }
          : await readWeights(args.weights!);
        const input = await openArrow(files[0]);
        expectKind(input.schema, 'activations', input.name);
        const col = pickColumn(input.schema, input.name, args.column);
        if (col.width !== linear.d) {
          throw new CliError(
            `${input.name}: column '${col.name}' has ${col.width} features (expected ${linear.d}, the input width of ${name}'s classifier)`,
          );
        }
        // The classifier's class names: --classes, else the model's cnnpipe.classes metadata.
        // With them the truth is each row's class name, so a label order that differs from
        // the model's output order cannot relabel silently.
        const given = args.classes === undefined ? undefined : parseClasses(args.classes);
        if (given && given.length !== linear.k) {
          throw new UsageError(`--classes: ${given.length} names for a classifier of ${linear.k} classes`);
        }
        const fromModel = given === undefined && input.schema.fields.some((f) => f.name === 'class') ? linear.classes : undefined;
        let classes = given;
        let classIndex = new Map((classes ?? []).map((c, i) => [c, i]));
        const labelNames = classesOf(input.schema);
        const list = (names: string[]) => names.slice(0, 3).join(', ') + (names.length > 3 ? ` and ${names.length - 3} more` : '');
        if (given && labelNames) {
          const foreign = labelNames.filter((c) => !classIndex.has(c));
          if (foreign.length > 0) ctx.warn(`${input.name}: class(es) ${list(foreign)} of the labels are not in --classes; their rows count as unlabelled`);
        }
        // The model's names are used when the labels' names are all among them (from the
        // input's cnnpipe.classes, else the first batch's class column); otherwise one
        // warning, and the label indices as before.
        let decided = fromModel === undefined;
        const decide = (rowNames: (string | null)[]) => {
          decided = true;
          const seen = labelNames ?? [...new Set(rowNames.filter((c): c is string => c !== null))];
          const known = new Set(fromModel);
          const foreign = seen.filter((c) => !known.has(c));
          if (foreign.length === 0) {
            classes = fromModel;
            classIndex = new Map(fromModel!.map((c, i) => [c, i]));
            return;
          }
          ctx.warn(
            `${input.name}: class(es) ${list(foreign)} of the labels are not among ${name}'s classes (its cnnpipe.classes metadata: ` +
              `${list(fromModel!)}); scored by label index, which need not be its output order: give --classes to fix it`,
          );
        };
        const meta = input.schema.metadata;
        const sourceName = meta.get('cnnpipe.source') ?? (meta.get(META.model) ? shortName(meta.get(META.model)!) : input.name);
        let n = 0;
        let c1 = 0;
        let c5 = 0;
        let writer: ArrowWriter | undefined;
        const outMeta = passMetadata(input.schema, { [META.kind]: 'predictions', 'cnnpipe.classifier': name });
        const guard = ctx.nonFinite(input.name, 'images');
        let row = 0;
        for await (const whole of input.batches()) {
          const parts = guard.filterBatch(whole, row, [col.name]);
          row += whole.numRows;
          // Once a NaN/Inf is found (without --skip-nonfinite) nothing more is computed: the
          // rest is only scanned, so the error can say how many there are.
          if (guard.any && !guard.skip) continue;
          for (const batch of parts) {
            const x = fixedSizeListValues(batch.getChild(col.name)!).values;
            const logits = await logitsOf(linear, x, batch.numRows);
            const labelVec = batch.getChild('label')!;
            let labels: ArrayLike<number> = primitiveValues(labelVec);
            let valid = (i: number) => labelVec.isValid(i);
            if (!decided) decide(stringValues(batch.getChild('class')!));
            if (classes) {
              const names = stringValues(batch.getChild('class')!);
              const mapped = Int32Array.from(names, (c) => (c === null ? -1 : (classIndex.get(c) ?? -1)));
              labels = mapped;
              valid = (i) => mapped[i]! >= 0;
            }
            const s = score(logits, linear.k, labels, valid);
            for (let i = 0; i < batch.numRows; i++) {
              if (s.top1[i]! < 0) continue;
              n++;
              c1 += s.top1[i]!;
              c5 += s.top5[i]!;
            }
            if (args.summary) continue;
            const out = makeBatch(
              {
                image: utf8Data(stringValues(batch.getChild('image')!)),
                label: int32Data(Int32Array.from(labels), (i) => !valid(i)),
                pred: int32Data(s.pred),
                top1: tristate(s.top1),
                top5: tristate(s.top5),
              },
              outMeta,
            );
            writer ??= ArrowWriter.open(args.output, out.schema);
            await writer.write(out);
          }
        }
        guard.finish();
        if (args.summary) {
          const row = makeBatch(
            {
              source: utf8Data([sourceName]),
              target: utf8Data([name]),
              n: int32Data(Int32Array.of(n)),
              top1: float64Data(Float64Array.of(n ? c1 / n : NaN)),
              top5: float64Data(Float64Array.of(n ? c5 / n : NaN)),
            },
            passMetadata(input.schema, { [META.kind]: 'accuracy' }),
          );
          writer = ArrowWriter.open(args.output, row.schema);
          await writer.write(row);
        } else if (!writer) {
          // No rows: still a well-formed, empty predictions stream.
          const empty = makeBatch(
            {
              image: utf8Data([]),
              label: int32Data(new Int32Array(0)),
              pred: int32Data(new Int32Array(0)),
              top1: tristate(new Int8Array(0)),
              top5: tristate(new Int8Array(0)),
            },
            outMeta,
          );
          writer = ArrowWriter.open(args.output, empty.schema);
        }
        await writer.close();
      },
    },
    argv,
  );
}
