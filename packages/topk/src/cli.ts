import {
  ArrowWriter,
  CliError,
  META,
  UsageError,
  expectKind,
  fixedSizeListValues,
  float32Data,
  int32Data,
  layersOf,
  makeBatch,
  matchesType,
  openArrow,
  passMetadata,
  primitiveValues,
  runTool,
  utf8Column,
  utf8Data,
  type ArrowInput,
  type CommonArgs,
  type NonFiniteGuard,
} from '@cnnpipe/core';
import { DataType, Schema, type FixedSizeList, type RecordBatch, type Vector } from 'apache-arrow';
import { NeuronHeaps, offerBlock } from './heap.js';

/** Metadata key recording how a topk table was made: {k, bottom}. */
export const TOPK_META = 'cnnpipe.topk';

interface TopkArgs extends CommonArgs {
  k: number;
  layer?: string[];
  bottom: boolean;
}

/** What a selected entry carries from its image row. */
interface RowInfo {
  image: string | null;
  label: number | null;
  cls: string | null;
}

/** Ties are broken by the image path (then arrival), so shards merged equal one run. */
const tieOfRow = (row: RowInfo) => row.image;

interface LayerState {
  name: string;
  heaps: NeuronHeaps<RowInfo>;
  argmax?: string;
}

/** The layer columns of an activations table: FixedSizeList<float32> columns without ':'. */
export function layerColumns(schema: Schema): { name: string; size: number }[] {
  return schema.fields
    .filter((f) => !f.name.includes(':') && matchesType(f.type, 'FixedSizeList<float32>'))
    .map((f) => ({ name: f.name, size: (f.type as FixedSizeList).listSize }));
}

const utf8Decoder = new TextDecoder();

/** Reads row `r` of a column: straight from its buffers when it is one chunk (a batch's is). */
function utf8Reader(vector: Vector | null): (row: number) => string | null {
  if (!vector) return () => null;
  const data = vector.data[0];
  if (vector.data.length !== 1 || !data || !(data.valueOffsets instanceof Int32Array)) {
    return (r) => (vector.get(r) as string | null) ?? null;
  }
  const offsets = data.valueOffsets;
  const bytes = data.values as Uint8Array;
  return (r) => (data.getValid(r) ? utf8Decoder.decode(bytes.subarray(offsets[r], offsets[r + 1])) : null);
}

function int32Reader(vector: Vector | null): (row: number) => number | null {
  if (!vector) return () => null;
  const data = vector.data[0];
  if (vector.data.length !== 1 || !data || !(data.values instanceof Int32Array)) {
    return (r) => (vector.get(r) as number | null) ?? null;
  }
  const values = data.values;
  return (r) => (data.getValid(r) ? values[r]! : null);
}

/** The payload of row `r` of a batch, made once per row and only for rows that enter a heap. */
function rowInfoReader(batch: RecordBatch): (row: number) => RowInfo {
  const image = utf8Reader(batch.getChild('image'));
  const label = int32Reader(batch.getChild('label'));
  const cls = utf8Reader(batch.getChild('class'));
  const cache: (RowInfo | undefined)[] = new Array<RowInfo | undefined>(batch.numRows);
  return (r) => (cache[r] ??= { image: image(r), label: label(r), cls: cls(r) });
}

async function fromActivations(input: ArrowInput, args: TopkArgs, guard: NonFiniteGuard): Promise<{ states: LayerState[]; argmax: boolean }> {
  const available = layerColumns(input.schema);
  const names = available.map((l) => l.name);
  let chosen = available;
  if (args.layer && args.layer.length > 0) {
    chosen = args.layer.map((name) => {
      const found = available.find((l) => l.name === name);
      if (!found) {
        throw new CliError(
          `${input.name}: no layer column '${name}' (expected one of: ${names.join(', ') || 'none'})`,
        );
      }
      return found;
    });
  }
  if (chosen.length === 0) {
    throw new CliError(`${input.name}: no layer columns (expected FixedSizeList<float32> columns, one per tapped layer)`);
  }
  const states: LayerState[] = chosen.map(({ name, size }) => {
    const state: LayerState = { name, heaps: new NeuronHeaps<RowInfo>(size, args.k, args.bottom, tieOfRow) };
    const field = input.schema.fields.find((f) => f.name === `${name}:argmax`);
    if (field) {
      if (!DataType.isFixedSizeList(field.type) || !matchesType(field.type, 'FixedSizeList<int32>') || field.type.listSize !== size) {
        throw new CliError(`${input.name}: column '${field.name}' is not FixedSizeList<int32>[${size}] (expected the argmax of layer '${name}')`);
      }
      state.argmax = field.name;
    }
    return state;
  });
  const layerNames = states.map((s) => s.name);
  let seq = 0;
  let row = 0;
  for await (const whole of input.batches()) {
    // --skip-nonfinite scans first and drops rows; otherwise the heap loop finds them itself.
    const parts = guard.skip ? guard.filterBatch(whole, row, layerNames) : [whole];
    for (const batch of parts) {
      const payloadOf = rowInfoReader(batch);
      const spoiled: string[] = [];
      for (const state of states) {
        const { values } = fixedSizeListValues(batch.getChild(state.name)!);
        const extras = state.argmax ? (fixedSizeListValues(batch.getChild(state.argmax)!).values as Int32Array) : undefined;
        if (offerBlock(state.heaps, values as Float32Array, batch.numRows, seq, payloadOf, extras) >= 0) spoiled.push(state.name);
      }
      if (spoiled.length > 0) guard.scanBatch(batch, row, spoiled);
      seq += batch.numRows;
    }
    row += whole.numRows;
  }
  guard.finish();
  return { states, argmax: states.some((s) => s.argmax !== undefined) };
}

async function fromTopk(input: ArrowInput, args: TopkArgs, guard: NonFiniteGuard): Promise<{ states: LayerState[]; argmax: boolean }> {
  const made = input.schema.metadata.get(TOPK_META);
  if (made !== undefined) {
    let bottom: unknown;
    try {
      bottom = (JSON.parse(made) as { bottom?: unknown }).bottom;
    } catch {
      bottom = undefined;
    }
    if (typeof bottom === 'boolean' && bottom !== args.bottom) {
      throw new CliError(
        bottom
          ? `${input.name}: holds bottom-k rows (expected top-k rows to merge; add --bottom to merge bottom-k tables)`
          : `${input.name}: holds top-k rows (expected bottom-k rows to merge with --bottom; drop --bottom)`,
      );
    }
  }
  const hasArgmax = input.schema.fields.some((f) => f.name === 'argmax');
  const wanted = args.layer && args.layer.length > 0 ? new Set(args.layer) : undefined;
  const byName = new Map<string, LayerState>();
  let seq = 0;
  let row = 0;
  for await (const whole of input.batches()) {
    for (const batch of guard.filterBatch(whole, row, ['value'])) {
      const layer = batch.getChild('layer')!;
      const neuron = primitiveValues(batch.getChild('neuron')!) as Int32Array;
      const value = primitiveValues(batch.getChild('value')!) as Float32Array;
      const argmax = hasArgmax ? batch.getChild('argmax')! : undefined;
      const payloadOf = rowInfoReader(batch);
      for (let r = 0; r < batch.numRows; r++) {
        const name = String(layer.get(r));
        if (wanted && !wanted.has(name)) continue;
        let state = byName.get(name);
        if (!state) {
          state = { name, heaps: new NeuronHeaps<RowInfo>(0, args.k, args.bottom, tieOfRow) };
          byName.set(name, state);
        }
        const n = neuron[r]!;
        if (n < 0) throw new CliError(`${input.name}: negative neuron ${n} in layer '${name}' (expected a channel index)`);
        if (n >= state.heaps.neurons) state.heaps.grow(Math.max(n + 1, state.heaps.neurons * 2));
        const a = argmax ? ((argmax.get(r) as number | null) ?? -1) : -1;
        state.heaps.offer(n, value[r]!, seq + r, a, payloadOf(r));
      }
      seq += batch.numRows;
    }
    row += whole.numRows;
  }
  guard.finish();
  if (wanted) {
    for (const name of wanted) {
      if (!byName.has(name)) {
        throw new CliError(`${input.name}: no rows of layer '${name}' (expected one of: ${[...byName.keys()].join(', ') || 'none'})`);
      }
    }
  }
  // Layer order: as cnnpipe.layers lists them, then the rest in order of appearance.
  const order = (layersOf(input.schema) ?? []).map((l) => l.name);
  const rankOf = (name: string) => {
    const i = order.indexOf(name);
    return i < 0 ? order.length : i;
  };
  const states = [...byName.values()]
    .map((s, i) => ({ s, i }))
    .sort((a, b) => rankOf(a.s.name) - rankOf(b.s.name) || a.i - b.i)
    .map(({ s }) => s);
  return { states, argmax: hasArgmax };
}

/** The output rows of one layer: neuron, then rank. */
export function layerBatch(state: LayerState, withArgmax: boolean, metadata: Map<string, string>): RecordBatch {
  const heaps = state.heaps;
  let total = 0;
  for (let n = 0; n < heaps.neurons; n++) total += heaps.count(n);
  const neuron = new Int32Array(total);
  const rank = new Int32Array(total);
  const label = new Int32Array(total);
  const value = new Float32Array(total);
  const argmax = new Int32Array(total);
  const image: (string | null)[] = new Array<string | null>(total);
  const cls: (string | null)[] = new Array<string | null>(total);
  const labelNull = new Uint8Array(total);
  let at = 0;
  for (let n = 0; n < heaps.neurons; n++) {
    const entries = heaps.sorted(n);
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i]!;
      neuron[at] = n;
      rank[at] = i + 1;
      value[at] = e.value;
      argmax[at] = e.extra;
      image[at] = e.payload.image;
      cls[at] = e.payload.cls;
      if (e.payload.label === null) labelNull[at] = 1;
      else label[at] = e.payload.label;
      at++;
    }
  }
  const columns = {
    layer: utf8Column(new Array<string>(total).fill(state.name)),
    neuron: int32Data(neuron),
    rank: int32Data(rank),
    image: utf8Column(image),
    label: int32Data(label, (i) => labelNull[i] === 1),
    class: utf8Column(cls),
    value: float32Data(value),
    ...(withArgmax ? { argmax: int32Data(argmax, (i) => argmax[i]! < 0) } : {}),
  };
  return makeBatch(columns, metadata);
}

export function main(argv?: string[]): Promise<void> {
  return runTool<TopkArgs>(
    {
      name: 'topk',
      usage: '[FILE]',
      description:
        "Each neuron's K strongest images (or weakest, with --bottom), per layer. Reads an activations " +
        'table (one row per image) or topk tables (to merge shards: `concat a b | topk -k K`). Memory is ' +
        'bounded by layers x channels x K, whatever the number of images. Ties: the smaller image path wins (then the earlier row), ' +
        'so merged shards equal a single run byte for byte. ' +
        'The argmax of each entry is carried through when the input has it. Output rows are sorted by ' +
        'layer, neuron, rank (1 = strongest).',
      examples: [
        ['extract --model examples/zoo/vgg.onnx --layer block3 examples/data/fashion-mnist/test | topk -k 100 > topk.arrows', 'top-100 demo images of every block3 channel'],
        ['topk -k 10 --layer layer4 --bottom acts.arrows | csv', 'the 10 weakest images of layer4 channels, as CSV'],
        ['concat topk-1.arrows topk-2.arrows | topk -k 100 > topk.arrows', 'merge shards'],
      ],
      options: (y) =>
        y
          .option('k', { type: 'number', demandOption: true, describe: 'How many images per neuron' })
          .option('layer', { type: 'string', array: true, describe: 'Only this layer (repeatable); default: every layer' })
          .option('bottom', { type: 'boolean', default: false, describe: 'Keep the K weakest instead of the strongest' }),
      readsNumbers: true,
      async run(args, ctx) {
        if (!Number.isInteger(args.k) || args.k < 1) throw new UsageError(`-k must be a positive integer, got ${args.k}`);
        if (args._.length > 1) throw new UsageError(`expected at most one FILE, got ${args._.length}`);
        const input = await openArrow(args._[0] === undefined ? undefined : String(args._[0]));
        const kind = expectKind(input.schema, ['activations', 'topk'], input.name);
        const guard = ctx.nonFinite(input.name, kind === 'activations' ? 'images' : 'rows');
        const { states, argmax } = kind === 'activations' ? await fromActivations(input, args, guard) : await fromTopk(input, args, guard);
        const metadata = passMetadata(input.schema, {
          [META.kind]: 'topk',
          [TOPK_META]: JSON.stringify({ k: args.k, bottom: args.bottom }),
        });
        const schema = new Schema(makeBatch(emptyColumns(argmax)).schema.fields, metadata);
        const writer = ArrowWriter.open(args.output, schema);
        for (const state of states) await writer.write(layerBatch(state, argmax, metadata));
        await writer.close();
      },
    },
    argv,
  );
}

function emptyColumns(withArgmax: boolean) {
  const none = new Int32Array(0);
  return {
    layer: utf8Data([]),
    neuron: int32Data(none),
    rank: int32Data(none),
    image: utf8Data([]),
    label: int32Data(none),
    class: utf8Data([]),
    value: float32Data(new Float32Array(0)),
    ...(withArgmax ? { argmax: int32Data(none) } : {}),
  };
}
