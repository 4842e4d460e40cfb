import {
  CliError,
  TOPK_META,
  layerColumns,
  layersOf,
  matchesType,
  activationsCodec,
  readKind,
  topkCodec,
  type ActivationsBatch,
  type ArrowInput,
  type NonFiniteGuard,
  type TopkBatch,
} from '@cnnpipe/core';
import { DataType } from 'apache-arrow';
import { NeuronHeaps, offerBlock } from './heap.js';

/** What a selected entry carries from its image row. */
export interface RowInfo {
  image: string | null;
  label: number | null;
  cls: string | null;
}

/** Ties are broken by the image path (then arrival), so shards merged equal one run. */
const tieOfRow = (row: RowInfo) => row.image;

/** One layer's selection: per neuron its K best entries. */
export interface LayerState {
  name: string;
  heaps: NeuronHeaps<RowInfo>;
  argmax?: string;
}

/** The selection of every layer, and whether the entries carry an argmax. */
export interface Selection {
  states: LayerState[];
  argmax: boolean;
}

export interface SelectOptions {
  k: number;
  bottom: boolean;
  layer?: string[];
}

/** The payload of row `r` of a batch, made once per row and only for rows that enter a heap. */
function rowInfoReader(batch: ActivationsBatch | TopkBatch): (row: number) => RowInfo {
  const cache: (RowInfo | undefined)[] = new Array<RowInfo | undefined>(batch.rows);
  return (r) => (cache[r] ??= { image: batch.image(r), label: batch.label(r), cls: batch.class(r) });
}

/** The K best images of every neuron of the chosen layers of an activations table (read `fused`). */
export async function fromActivations(input: ArrowInput, guard: NonFiniteGuard, args: SelectOptions): Promise<Selection> {
  const { name: source, schema } = input;
  const available = layerColumns(schema);
  const names = available.map((l) => l.name);
  let chosen = available;
  if (args.layer && args.layer.length > 0) {
    chosen = args.layer.map((name) => {
      const found = available.find((l) => l.name === name);
      if (!found) throw new CliError(`${source}: no layer column '${name}' (expected one of: ${names.join(', ') || 'none'})`);
      return found;
    });
  }
  if (chosen.length === 0) {
    throw new CliError(`${source}: no layer columns (expected FixedSizeList<float32> columns, one per tapped layer)`);
  }
  const states: LayerState[] = chosen.map(({ name, size }) => {
    const state: LayerState = { name, heaps: new NeuronHeaps<RowInfo>(size, args.k, args.bottom, tieOfRow) };
    const field = schema.fields.find((f) => f.name === `${name}:argmax`);
    if (field) {
      if (!DataType.isFixedSizeList(field.type) || !matchesType(field.type, 'FixedSizeList<int32>') || field.type.listSize !== size) {
        throw new CliError(`${source}: column '${field.name}' is not FixedSizeList<int32>[${size}] (expected the argmax of layer '${name}')`);
      }
      state.argmax = field.name;
    }
    return state;
  });
  // The heap loop finds NaN/Inf itself (for the price of a sum) and only then has the guard look.
  const reader = await readKind(activationsCodec, input, { guard, fused: true, columns: states.map((s) => s.name) });
  let seq = 0;
  for await (const batch of reader.batches()) {
    const payloadOf = rowInfoReader(batch);
    const spoiled: string[] = [];
    for (const state of states) {
      const values = batch.values(state.name) as Float32Array;
      const extras = state.argmax ? (batch.values(state.argmax) as Int32Array) : undefined;
      if (offerBlock(state.heaps, values, batch.rows, seq, payloadOf, extras) >= 0) spoiled.push(state.name);
    }
    if (spoiled.length > 0) reader.rescan(spoiled);
    seq += batch.rows;
  }
  return { states, argmax: states.some((s) => s.argmax !== undefined) };
}

/** Refuses to merge bottom-k rows as top-k ones, and the other way round. */
function checkDirection(input: ArrowInput, bottom: boolean): void {
  const made = input.schema.metadata.get(TOPK_META);
  if (made === undefined) return;
  let was: unknown;
  try {
    was = (JSON.parse(made) as { bottom?: unknown }).bottom;
  } catch {
    was = undefined;
  }
  if (typeof was === 'boolean' && was !== bottom) {
    throw new CliError(
      was
        ? `${input.name}: holds bottom-k rows (expected top-k rows to merge; add --bottom to merge bottom-k tables)`
        : `${input.name}: holds top-k rows (expected bottom-k rows to merge with --bottom; drop --bottom)`,
    );
  }
}

/** The K best of topk rows (shards concatenated), per layer and neuron. */
export async function fromTopk(input: ArrowInput, guard: NonFiniteGuard, args: SelectOptions): Promise<Selection> {
  checkDirection(input, args.bottom);
  const reader = await readKind(topkCodec, input, { guard });
  const source = input.name;
  const hasArgmax = reader.schema.fields.some((f) => f.name === 'argmax');
  const wanted = args.layer && args.layer.length > 0 ? new Set(args.layer) : undefined;
  const byName = new Map<string, LayerState>();
  let seq = 0;
  for await (const batch of reader.batches()) {
    const payloadOf = rowInfoReader(batch);
    for (let r = 0; r < batch.rows; r++) {
      const name = String(batch.layer(r));
      if (wanted && !wanted.has(name)) continue;
      let state = byName.get(name);
      if (!state) {
        state = { name, heaps: new NeuronHeaps<RowInfo>(0, args.k, args.bottom, tieOfRow) };
        byName.set(name, state);
      }
      const n = batch.neuron[r]!;
      if (n < 0) throw new CliError(`${source}: negative neuron ${n} in layer '${name}' (expected a channel index)`);
      if (n >= state.heaps.neurons) state.heaps.grow(Math.max(n + 1, state.heaps.neurons * 2));
      const a = batch.argmax ? (batch.argmax(r) ?? -1) : -1;
      state.heaps.offer(n, batch.value[r]!, seq + r, a, payloadOf(r));
    }
    seq += batch.rows;
  }
  if (wanted) {
    for (const name of wanted) {
      if (!byName.has(name)) {
        throw new CliError(`${source}: no rows of layer '${name}' (expected one of: ${[...byName.keys()].join(', ') || 'none'})`);
      }
    }
  }
  // Layer order: as cnnpipe.layers lists them, then the rest in order of appearance.
  const order = (layersOf(reader.schema) ?? []).map((l) => l.name);
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
