import { CliError, META, type ArrowInput, type LayerSimilarityRows, type Metadata } from '@cnnpipe/core';
import { MAP_META, addGram, gramBatch, readGrams, type Gram } from '@cnnpipe/lstsq';
import type { RecordBatch, Schema } from 'apache-arrow';
import type { CkaLayout } from './cka.js';
import type { SideLayout } from './layers.js';

/** Where a compare `--partial` gram table keeps which layers its columns are. */
export const LAYOUT_META = 'cnnpipe.compare_layout';
const METHOD = 'compare';

/** The layer-similarity rows: one per (A layer, B layer), A's layers outer. */
export function similarityRows(layout: CkaLayout, values: Float64Array, method: string, n: number): LayerSimilarityRows {
  const { a, b } = layout;
  const rows = a.layers.length * b.layers.length;
  const aLayer: string[] = [];
  const bLayer: string[] = [];
  for (const la of a.layers) {
    for (const lb of b.layers) {
      aLayer.push(la.name);
      bLayer.push(lb.name);
    }
  }
  const fill = (s: string) => new Array<string>(rows).fill(s);
  return { aModel: fill(a.model), aLayer, bModel: fill(b.model), bLayer, value: values, method: fill(method), n: new Int32Array(rows).fill(n) };
}

/** The statistics of a `--partial` run: lstsq's gram table of z, with the layers in metadata. */
export function partialBatch(gram: Gram, layout: CkaLayout, metadata: Metadata): RecordBatch {
  const meta = new Map(metadata);
  meta.set(META.kind, 'gram');
  meta.set(MAP_META.method, METHOD);
  meta.set(MAP_META.rows, String(gram.n));
  meta.set(LAYOUT_META, JSON.stringify(layout));
  return gramBatch(gram, meta);
}

function isSide(v: unknown): v is SideLayout {
  const s = v as SideLayout;
  return (
    typeof s === 'object' &&
    s !== null &&
    typeof s.model === 'string' &&
    Array.isArray(s.layers) &&
    s.layers.every((l) => typeof l?.name === 'string' && Number.isInteger(l?.width) && l.width > 0)
  );
}

function layoutOf(schema: Schema, source: string): CkaLayout {
  const raw = schema.metadata.get(LAYOUT_META);
  if (schema.metadata.get(MAP_META.method) !== METHOD || raw === undefined) {
    throw new CliError(`${source}: a gram table without compare's layer layout (expected a table written by 'compare --partial')`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    parsed = undefined;
  }
  const layout = parsed as CkaLayout;
  if (!layout || !isSide(layout.a) || !isSide(layout.b)) throw new CliError(`${source}: unreadable ${LAYOUT_META} metadata (expected a table written by 'compare --partial')`);
  return { a: layout.a, b: layout.b };
}

function describe(layout: CkaLayout): string {
  const side = (s: SideLayout) => `${s.model}[${s.layers.map((l) => `${l.name}:${l.width}`).join(',')}]`;
  return `${side(layout.a)} against ${side(layout.b)}`;
}

/** Reads partial statistics tables and adds them; all must compare the same layers. */
export async function mergePartials(inputs: ArrowInput[]): Promise<{ gram: Gram; layout: CkaLayout; schema: Schema }> {
  let total: { gram: Gram; layout: CkaLayout; schema: Schema; source: string } | undefined;
  for (const input of inputs) {
    const grams = await readGrams(input);
    const layout = layoutOf(input.schema, input.name);
    if (total && describe(layout) !== describe(total.layout)) {
      throw new CliError(`${input.name}: compares ${describe(layout)} (expected ${describe(total.layout)}, as ${total.source})`);
    }
    for (const g of grams) {
      if (!total) {
        total = { gram: g, layout, schema: input.schema, source: input.name };
        continue;
      }
      if (g.da !== total.gram.da || g.db !== total.gram.db) throw new CliError(`${input.name}: statistics of width ${g.da} (expected ${total.gram.da})`);
      addGram(total.gram, g);
    }
  }
  if (!total) throw new CliError('no statistics rows in the inputs (expected tables written by compare --partial)');
  return total;
}
