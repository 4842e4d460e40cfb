import { CliError, conceptsCodec, dissectSummaryCodec, readKind, readRows, utf8Reader, writeKind } from '@cnnpipe/core';
import { summarize } from './summary.js';
import { DISSECT_META, summaryRows } from './tables.js';

/** `dissect summary`: unique detectors per category per layer of a dissection's concepts table. */
export async function summaryCommand(file: string | undefined, options: { threshold: number; thresholdGiven: boolean; output?: string }): Promise<void> {
  const input = await readKind(conceptsCodec, file);
  if (!input.schema.fields.some((f) => f.name === 'category')) {
    throw new CliError(`${input.name}: no 'category' column (expected a dissect table; csv --to-arrow of a tally.csv keeps only label and score)`);
  }
  let threshold = options.threshold;
  let categories: string[] = [];
  try {
    const meta = JSON.parse(input.schema.metadata.get(DISSECT_META) ?? '{}') as { threshold?: number; categories?: string[] };
    if (!options.thresholdGiven && typeof meta.threshold === 'number') threshold = meta.threshold;
    categories = meta.categories ?? [];
  } catch {
    // a concepts table from elsewhere: the flag's threshold, categories as met
  }
  const layer: (string | null)[] = [];
  const concept: (string | null)[] = [];
  const category: (string | null)[] = [];
  const score: number[] = [];
  for await (const part of input.records()) {
    const rows = conceptsCodec.decode(part);
    layer.push(...rows.layer);
    concept.push(...rows.concept);
    category.push(...readRows(utf8Reader(part.getChild('category')), part.numRows));
    score.push(...rows.score);
  }
  const rows = summaryRows(summarize(layer, concept, category, score, threshold, categories));
  await writeKind(dissectSummaryCodec, options.output, rows, { from: input.schema, shape: undefined });
}
