import { UsageError, type CommonArgs } from '@cnnpipe/core';

/** lstsq's flags, all subcommands together (each reads its own). */
export interface LstsqArgs extends CommonArgs {
  source?: string;
  target?: string;
  ridge: number;
  partial: boolean;
  intersect: boolean;
  /** fit: how block Grams are computed (normal.ts's GramPath). */
  gram: string;
  map?: string;
  column?: string;
  as?: string;
  sourceModel?: string;
  targetModel?: string;
  sourceDim?: number;
  targetDim?: number;
}

/** A flag the subcommand cannot do without, or a usage error naming it. */
export function need<T>(value: T | undefined, flag: string, sub: string): T {
  if (value === undefined || value === null || (typeof value === 'number' && Number.isNaN(value))) {
    throw new UsageError(`lstsq ${sub} needs ${flag}`);
  }
  return value;
}
