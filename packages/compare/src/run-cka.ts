import { CliError, META, layerSimilarityCodec, openArrow, passMetadata, writeKind, UsageError, type ArrowInput, type Metadata, type ToolContext } from '@cnnpipe/core';
import { Schema } from 'apache-arrow';
import { totalmem } from 'node:os';
import { CkaAccumulator, blockRowsFor, ckaBytes, ckaFromGram, type CkaLayout } from './cka.js';
import { guards, mb, warnNaN, writeBatch, type CompareArgs } from './common.js';
import { joinByImage } from './join.js';
import { mergePartials, partialBatch, similarityRows } from './tables.js';

/** compare --method cka (and --partial), and compare merge: streamed statistics, then CKA. */

export async function writeCka(gram: Awaited<ReturnType<CkaAccumulator['finish']>>, layout: CkaLayout, args: CompareArgs, metadata: Metadata, ctx: ToolContext, source: string, note?: string): Promise<void> {
  const least = args.debiased ? 4 : 2;
  if (gram.n < least) throw new CliError(`${source}: ${gram.n} image(s) (expected at least ${least} for ${args.debiased ? 'debiased ' : ''}CKA)`);
  const values = ckaFromGram(gram, layout, { debiased: args.debiased });
  warnNaN(values, layout, ctx, 'a layer without variance over the images');
  const method = args.debiased ? 'cka-debiased' : 'cka';
  ctx.info(`${gram.n} images, ${layout.a.layers.length} x ${layout.b.layers.length} layer pairs, ${method}${note ? ` (${note})` : ''}`);
  await writeKind(layerSimilarityCodec, args.output, similarityRows(layout, values, method, gram.n), { from: new Schema([], metadata), shape: undefined });
}

export async function compareCka(a: ArrowInput, b: ArrowInput, layout: CkaLayout, args: CompareArgs, ctx: ToolContext): Promise<void> {
  const blockRows = blockRowsFor(layout);
  const bytes = ckaBytes(layout, blockRows);
  if (bytes > 0.8 * totalmem()) {
    const width = layout.a.layers.concat(layout.b.layers).reduce((s, l) => s + l.width, 0);
    throw new CliError(
      `linear CKA over ${width} features would hold ${mb(bytes)} of statistics, more than 80% of this machine's memory ` +
        `(expected fewer or narrower layers: pick them with --layer-a/--layer-b)`,
    );
  }
  const acc = new CkaAccumulator(layout, blockRows);
  const progress = ctx.progress('images', undefined, 'images');
  for await (const block of joinByImage(a, layout.a, b, layout.b, guards(a, b, ctx))) {
    await acc.add(block);
    progress.tick(block.rows);
  }
  progress.finish();
  const gram = await acc.finish();
  const metadata = passMetadata(a.schema, { 'cnnpipe.a_source': a.name, 'cnnpipe.b_source': b.name });
  const held = `statistics ${mb(bytes)}, independent of the number of images`;
  if (args.partial) {
    ctx.info(`${gram.n} images: statistics for compare merge (${held})`);
    await writeBatch(partialBatch(gram, layout, metadata), args.output);
    return;
  }
  await writeCka(gram, layout, args, metadata, ctx, `${a.name} and ${b.name}`, held);
}

export async function merge(args: CompareArgs, ctx: ToolContext): Promise<void> {
  const files = args._.slice(1).map(String);
  if (files.length === 0) throw new UsageError('compare merge needs at least one PART file (written by compare --partial)');
  if (files.filter((f) => f === '-').length > 1) throw new UsageError("stdin ('-') can be read only once");
  if (args.method !== 'cka') throw new UsageError('compare merge computes CKA (--method rsa cannot be merged from statistics)');
  if (args.partial) throw new UsageError('compare merge writes the layer-similarity table (--partial is for compare A B)');
  const inputs: ArrowInput[] = [];
  for (const file of files) inputs.push(await openArrow(file));
  const { gram, layout, schema } = await mergePartials(inputs);
  const metadata = passMetadata(schema, { 'cnnpipe.compare_layout': null, 'cnnpipe.method': null, 'cnnpipe.rows': null });
  metadata.delete(META.kind);
  await writeCka(gram, layout, args, metadata, ctx, files.join(' + '));
}

