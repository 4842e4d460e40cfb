import type { Schema } from 'apache-arrow';
import { CliError } from '../cli/errors.js';
import { kindOf } from './metadata.js';
import { describeType, findField, matchesType, type TypeSpec } from './column-types.js';

/** A required (or optional) column of a table kind. */
export interface ColumnSpec {
  name: string;
  type: TypeSpec;
  optional?: boolean;
}

/** A table kind of the design: its required columns, and what else it may carry. */
export interface KindSpec {
  columns: ColumnSpec[];
  /** Words for the columns that vary by table (e.g. one per tapped layer). */
  extra?: string;
}

const c = (name: string, type: TypeSpec, optional = false): ColumnSpec => ({ name, type, optional });

/** The table kinds of DESIGN.md, "Table kinds". */
export const KINDS: Record<string, KindSpec> = {
  activations: {
    columns: [c('image', 'utf8'), c('label', 'int32'), c('class', 'utf8')],
    extra: 'one FixedSizeList<float32>[C] column per tapped layer',
  },
  topk: {
    columns: [
      c('layer', 'utf8'),
      c('neuron', 'int32'),
      c('rank', 'int32'),
      c('image', 'utf8'),
      c('label', 'int32'),
      c('class', 'utf8'),
      c('value', 'float32'),
      c('argmax', 'int32', true),
    ],
  },
  cof: {
    columns: [c('layer', 'utf8'), c('neuron', 'int32'), c('counts', 'FixedSizeList<int32>'), c('total', 'int32')],
  },
  concepts: {
    columns: [c('layer', 'utf8'), c('unit', 'int32'), c('concept', 'utf8'), c('score', 'float64')],
  },
  'neuron-stats': {
    columns: [
      c('layer', 'utf8'),
      c('neuron', 'int32'),
      c('gini', 'float64'),
      c('flatness', 'float64'),
      c('mf', 'float64'),
      c('mf_norm', 'float64'),
      c('facet', 'utf8'),
      c('p_value', 'float64'),
    ],
  },
  similarity: {
    columns: [c('layer', 'utf8'), c('neuron', 'int32'), c('values', 'List<float64>')],
  },
  'similarity-summary': {
    columns: [c('layer', 'utf8'), c('mean_pearson', 'float64'), c('mean_euclidean', 'float64')],
  },
  components: {
    columns: [
      c('layer', 'utf8'),
      c('neuron', 'int32'),
      c('component', 'int32'),
      c('height', 'int32'),
      c('width', 'int32'),
      c('channels', 'int32'),
      c('pixels', 'List<float32>'),
    ],
  },
  'affine-map': {
    columns: [c('dim', 'int32'), c('weights', 'FixedSizeList<float64>'), c('bias', 'float64')],
  },
  gram: { columns: [c('n', 'float64')], extra: 'sums, X\'X, X\'Y, Y\'Y' },
  predictions: {
    columns: [c('image', 'utf8'), c('label', 'int32'), c('pred', 'int32'), c('top1', 'bool'), c('top5', 'bool')],
  },
  accuracy: {
    columns: [c('source', 'utf8'), c('target', 'utf8'), c('n', 'int32'), c('top1', 'float64'), c('top5', 'float64')],
  },
  venn: { columns: [], extra: 'columns depend on --report' },
  saliency: {
    columns: [
      c('image', 'utf8'),
      c('layer', 'utf8'),
      c('neuron', 'int32'),
      c('height', 'int32'),
      c('width', 'int32'),
      c('channels', 'int32'),
      c('pixels', 'List<float32>'),
    ],
  },
  embeddings: { columns: [c('concept', 'utf8'), c('embedding', 'FixedSizeList<float32>')] },
  'layer-similarity': {
    columns: [
      c('a_model', 'utf8'),
      c('a_layer', 'utf8'),
      c('b_model', 'utf8'),
      c('b_layer', 'utf8'),
      c('value', 'float64'),
      c('method', 'utf8'),
      c('n', 'int32'),
    ],
  },
  visualizations: {
    columns: [
      c('layer', 'utf8'),
      c('neuron', 'int32'),
      c('objective', 'utf8'),
      c('value', 'float32'),
      c('height', 'int32'),
      c('width', 'int32'),
      c('channels', 'int32'),
      c('pixels', 'List<float32>'),
      c('sample', 'int32', true),
    ],
    extra: '`curve` List<float32> with dream --curve',
  },
  'dissect-quantiles': {
    columns: [c('layer', 'utf8'), c('unit', 'int32'), c('values', 'List<float32>')],
    extra: "a shard's top activations per unit (dissect quantiles)",
  },
  'dissect-tally': {
    columns: [c('layer', 'utf8'), c('unit', 'int32'), c('threshold', 'float64'), c('inter', 'FixedSizeList<float64>'), c('act', 'FixedSizeList<float64>')],
    extra: "a shard's dissection sums (dissect tally); label totals in the cnnpipe.dissect metadata",
  },
  'dissect-summary': {
    columns: [c('layer', 'utf8'), c('category', 'utf8'), c('unique', 'int32'), c('detectors', 'int32')],
  },
};

export type KindName = keyof typeof KINDS;

/**
 * Metadata key of a `concepts` table: the CSV header `csv` writes it with. 'clip-dissect'
 * (set by describe) names concept and score as CLIP-Dissect's descriptions.csv does:
 * layer,unit,description,similarity.
 */
export const CONCEPTS_CSV_KEY = 'cnnpipe.concepts.csv';

/**
 * Checks that `schema` is one of the `expected` kinds with its required columns, and
 * returns the kind it is. `source` names the input (a file or "stdin") in the message.
 */
export function expectKind(schema: Schema, expected: string | string[], source = 'input'): string {
  const wanted = Array.isArray(expected) ? expected : [expected];
  const kind = kindOf(schema);
  const wantedText = wanted.map((k) => `'${k}'`).join(' or ');
  if (kind === undefined) {
    throw new CliError(
      `${source}: not a cnnpipe table (expected kind ${wantedText}; the schema has no cnnpipe.kind metadata)`,
    );
  }
  if (!wanted.includes(kind)) {
    throw new CliError(`${source}: wrong table kind (expected ${wantedText}, got '${kind}')`);
  }
  const spec = KINDS[kind];
  if (spec) checkColumns(schema, spec.columns, `${source} (kind '${kind}')`);
  return kind;
}

/** Checks that the named columns are present with the given types. */
export function checkColumns(schema: Schema, columns: ColumnSpec[], source = 'input'): void {
  for (const col of columns) {
    const field = findField(schema, col.name);
    if (!field) {
      if (col.optional) continue;
      const have = schema.fields.map((f) => f.name).join(', ') || 'none';
      throw new CliError(`${source}: missing column '${col.name}' (expected ${col.type}; columns are: ${have})`);
    }
    if (!matchesType(field.type, col.type)) {
      throw new CliError(
        `${source}: column '${col.name}' has type ${describeType(field.type)} (expected ${col.type})`,
      );
    }
  }
}
