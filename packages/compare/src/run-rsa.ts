import { CliError, layerSimilarityCodec, passMetadata, writeKind, type ArrowInput, type NumericArray, type ToolContext } from '@cnnpipe/core';
import { Schema } from 'apache-arrow';
import type { CkaLayout } from './cka.js';
import { guards, mb, warnNaN, type CompareArgs } from './common.js';
import { joinByImage } from './join.js';
import { rsa, rsaBytes, type Correlation, type RsaLayer } from './rsa.js';
import { similarityRows } from './tables.js';

/** compare --method rsa: every shared image's rows held, then the RDMs compared. */

/** Appends blocks of one layer's rows and joins them at the end. */
class Rows {
  private parts: NumericArray[] = [];
  private length = 0;
  add(v: NumericArray): void {
    this.parts.push(v.slice());
    this.length += v.length;
  }
  values(): Float64Array {
    const out = new Float64Array(this.length);
    let at = 0;
    for (const p of this.parts) {
      out.set(p, at);
      at += p.length;
    }
    this.parts = [];
    return out;
  }
}

export async function compareRsa(a: ArrowInput, b: ArrowInput, layout: CkaLayout, args: CompareArgs, ctx: ToolContext): Promise<void> {
  const correlation = args.correlation as Correlation;
  const q = layout.b.layers.length;
  const rowsA = layout.a.layers.map(() => new Rows());
  const rowsB = layout.b.layers.map(() => new Rows());
  const features = layout.a.layers.concat(layout.b.layers).reduce((s, l) => s + l.width, 0);
  const bytes = (images: number) => mb(rsaBytes(images, q, features, correlation));
  let n = 0;
  for await (const block of joinByImage(a, layout.a, b, layout.b, guards(a, b, ctx))) {
    n += block.rows;
    if (n > args.maxImages) {
      throw new CliError(
        `RSA holds n x n dissimilarities: ${a.name} and ${b.name} share more than --max-images ${args.maxImages} images ` +
          `(${args.maxImages} images need ${bytes(args.maxImages)} for ${q} layers of B, growing as n²); raise --max-images, ` +
          `compare a subset (e.g. extract --shard 0/4), or use --method cka, which streams`,
      );
    }
    block.a.forEach((v, i) => rowsA[i]!.add(v));
    block.b.forEach((v, i) => rowsB[i]!.add(v));
  }
  if (n < 3) throw new CliError(`${n} images in both tables (expected at least 3 for RSA: an RDM needs two pairs)`);
  ctx.info(`RSA over ${n} images: ${q + 1} RDMs of ${n * (n - 1) / 2} pairs and n x n working matrices, about ${bytes(n)}`);
  const la: RsaLayer[] = layout.a.layers.map((l, i) => ({ values: rowsA[i]!.values(), width: l.width }));
  const lb: RsaLayer[] = layout.b.layers.map((l, i) => ({ values: rowsB[i]!.values(), width: l.width }));
  const values = await rsa(la, lb, n, correlation, (side, layer, images) => {
    const s = side === 'a' ? layout.a : layout.b;
    ctx.warn(`${s.model} ${s.layers[layer]!.name}: ${images} image(s) with the same value in every feature (their dissimilarities are undefined)`);
  });
  warnNaN(values, layout, ctx, 'an RDM with undefined entries or no variance');
  const method = `rsa-${correlation}`;
  ctx.info(`${n} images, ${layout.a.layers.length} x ${q} layer pairs, ${method}`);
  const metadata = passMetadata(a.schema, { 'cnnpipe.a_source': a.name, 'cnnpipe.b_source': b.name });
  await writeKind(layerSimilarityCodec, args.output, similarityRows(layout, values, method, n), { from: new Schema([], metadata), shape: undefined });
}

