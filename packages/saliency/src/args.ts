import { UsageError, type CommonArgs, type PreprocessFlags } from '@cnnpipe/core';
import type { Method } from './methods.js';

/** saliency's options. */
export interface SaliencyArgs extends CommonArgs, PreprocessFlags {
  model: string;
  layer: string;
  channel?: number | number[];
  top?: number;
  topk?: string;
  ranks?: number;
  images?: string;
  method: Method;
  samples: number;
  noise: number;
  seed: number;
  png?: string;
  resizeKernel: string;
  classes?: string;
  batch: number;
  ep: string;
  shard?: string;
  strict: boolean;
}

const positiveInteger = (flag: string, value: number) => {
  if (!Number.isInteger(value) || value < 1) throw new UsageError(`${flag} must be a positive integer, got ${value}`);
};

/** The usage errors of saliency's options (exit 2); returns the --channel list and the INPUTs. */
export function checkArgs(args: SaliencyArgs): { channels: number[]; inputs: string[] } {
  positiveInteger('--batch', args.batch);
  const channels = ([] as number[]).concat(args.channel ?? []);
  const choices = [channels.length > 0, args.top !== undefined, args.topk !== undefined].filter(Boolean).length;
  if (choices > 1) throw new UsageError('--channel, --top and --topk: give one of them');
  if (choices === 0) throw new UsageError('expected --channel C (repeatable), --top T or --topk TABLE');
  if (args.ranks !== undefined) positiveInteger('--ranks', args.ranks);
  if (args.top !== undefined) positiveInteger('--top', args.top);
  const bad = channels.find((c) => !Number.isInteger(c) || c < 0);
  if (bad !== undefined) throw new UsageError(`--channel ${bad}: expected a channel index (0, 1, ...)`);
  if (args.method === 'smoothgrad') {
    positiveInteger('--samples', args.samples);
    if (!(args.noise >= 0)) throw new UsageError(`--noise must be >= 0, got ${args.noise}`);
  }
  const inputs = args._.map(String);
  if (args.topk !== undefined && inputs.length > 0) throw new UsageError(`--topk takes its images from the table; unexpected INPUT '${inputs[0]}'`);
  if (args.topk === undefined && inputs.length === 0) throw new UsageError('expected at least one INPUT (image files, folders or @list.txt)');
  return { channels, inputs };
}
