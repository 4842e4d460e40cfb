import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { flatList, type Preprocess, type ToolContext, type VisualizationsRows } from '@cnnpipe/core';
import type { DreamArgs, Job } from './args.js';
import type { OnnxEngine } from './engine.js';
import { encodePng, fromBytes, measurePngs, toBytes } from './measure.js';
import { objectiveName, type ObjectiveSpec } from './objectives.js';
import { renderBatch, type RenderOptions } from './render.js';

const safeName = (s: string) => s.replace(/[^A-Za-z0-9._-]+/g, '_');

/**
 * Renders each job (a batch of images), writes their PNGs with --png, and hands each batch's
 * visualizations rows (the 8-bit image as saved, its measured objective, the curve) to `write`.
 */
export async function renderJobs(
  jobs: Job[],
  engine: OnnxEngine,
  pp: Preprocess,
  args: DreamArgs,
  spec: (units: number[]) => ObjectiveSpec,
  options: (seed: number) => RenderOptions,
  ctx: ToolContext,
  write: (rows: VisualizationsRows) => Promise<void>,
): Promise<void> {
  if (args.png) mkdirSync(args.png, { recursive: true });
  const totalSteps = jobs.length * args.steps;
  const progress = ctx.progress(`rendering ${args.layer}`, totalSteps, 'steps');
  for (let j = 0; j < jobs.length; j++) {
    const job = jobs[j]!;
    const B = job.units.length;
    const seed = (args.seed ^ Math.imul(j + 1, 0x9e3779b1)) >>> 0;
    const result = await renderBatch(engine, spec(job.units), B, options(seed), () => progress.tick(1));
    const plane = pp.channels * args.size * args.size;
    const pngs: Buffer[] = [];
    const pixels: Float32Array[] = [];
    for (let b = 0; b < B; b++) {
      const bytes = toBytes(result.images.subarray(b * plane, (b + 1) * plane), pp.channels, args.size);
      pixels.push(fromBytes(bytes, pp.channels, args.size));
      pngs.push(await encodePng(bytes, pp.channels, args.size));
    }
    const values = await measurePngs(pngs, pp, engine, spec(job.units));
    if (args.png) {
      for (let b = 0; b < B; b++) {
        const unit = job.units[b]! < 0 ? 'dream' : String(job.units[b]);
        const suffix = job.samples ? `-${job.samples[b]}` : '';
        writeFileSync(join(args.png, `${safeName(args.layer)}-${unit}${suffix}.png`), pngs[b]!);
      }
    }
    const curves = job.units.map((_, b) => Float32Array.from({ length: args.steps }, (_, s) => result.curve[s * B + b]!));
    const fill = (s: string) => new Array<string>(B).fill(s);
    await write({
      layer: fill(args.layer),
      neuron: { values: Int32Array.from(job.units), isNull: (i) => job.units[i]! < 0 },
      ...(args.diversity !== 0 ? { sample: Int32Array.from(job.samples ?? []) } : {}),
      objective: fill(objectiveName(spec([]))),
      value: Float32Array.from(values),
      height: new Int32Array(B).fill(args.size),
      width: new Int32Array(B).fill(args.size),
      channels: new Int32Array(B).fill(pp.channels),
      pixels: flatList(pixels, new Float32Array(0)),
      ...(args.curve ? { curve: flatList(curves, new Float32Array(0)) } : {}),
    });
  }
  progress.finish();
}
