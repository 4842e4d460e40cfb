import { UsageError, parseExecutionProvider, type CommonArgs, type PreprocessFlags } from '@cnnpipe/core';
import type { ModelArgs } from './run.js';

/** dissect's options, and the model/probe ones checked into what run.ts takes. */
export interface DissectArgs extends CommonArgs, PreprocessFlags {
  model?: string;
  layer?: string | string[];
  probe?: string;
  categories?: string;
  quantile: number;
  threshold: number;
  batch: number;
  ep: string;
  requireEp: boolean;
  shard?: string;
  resizeKernel: string;
  recompute: boolean;
  tallyCsv?: string;
  montage?: string;
  top: number;
  detectorsOnly: boolean;
}

export const SUBCOMMANDS = ['quantiles', 'tally', 'merge', 'summary'] as const;

/** The whole run's and the shards' model and probe options, checked (usage errors exit 2). */
export function modelArgs(args: DissectArgs, sub: string): ModelArgs {
  const need = (v: string | undefined, flag: string) => {
    if (!v) throw new UsageError(`dissect ${sub} needs ${flag}`);
    return v;
  };
  const layers = ([] as string[]).concat(args.layer ?? []).map(String);
  if (layers.length === 0) throw new UsageError(`dissect ${sub} needs --layer NAME (see extract --list-layers)`);
  if (!(args.quantile > 0 && args.quantile < 1)) throw new UsageError(`--quantile must be in (0, 1), got ${args.quantile}`);
  if (!Number.isInteger(args.batch) || args.batch < 1) throw new UsageError(`--batch must be a positive integer, got ${args.batch}`);
  const categories = args.categories?.split(',').map((c) => c.trim()).filter(Boolean);
  if (categories && categories.length === 0) throw new UsageError('--categories: expected names like object,part,scene,texture,color');
  return {
    model: need(args.model, '--model M.onnx'),
    layer: layers,
    probe: need(args.probe, '--probe BRODEN_DIR'),
    categories,
    quantile: args.quantile,
    batch: args.batch,
    ep: parseExecutionProvider(args.ep),
    requireEp: args.requireEp,
    shard: args.shard,
    preset: args.preset,
    size: args.size,
    resize: args.resize,
    mean: args.mean,
    std: args.std,
    resizeKernel: args.resizeKernel,
  };
}
