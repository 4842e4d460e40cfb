import { UsageError, type CommonArgs } from '@cnnpipe/core';
import { barSpec, boxSpec, densitySpec, heatmapSpec, lineSpec, type ChartOptions } from './charts.js';
import type { Frame } from './data.js';
import { montageSvg } from './montage.js';
import { vegaLiteToSvg } from './render.js';
import { vennSvg } from './venn.js';

/** The chart options are flags of the same names; the rest are venn/montage/PNG flags. */
export interface PlotArgs extends CommonArgs, ChartOptions {
  scale: number;
  names?: string;
  images?: string;
  cell: number;
  columns: number;
  maxRows: number;
  baseline?: string;
}

export const TYPES = ['bar', 'heatmap', 'box', 'density', 'venn', 'line', 'montage'] as const;
export type PlotType = (typeof TYPES)[number];

/** Renders one figure as SVG text. */
export async function renderSvg(type: PlotType, frame: Frame, args: PlotArgs): Promise<string> {
  const opts: ChartOptions = args;
  switch (type) {
    case 'bar':
      return vegaLiteToSvg(barSpec(frame, opts));
    case 'line':
      return vegaLiteToSvg(lineSpec(frame, opts));
    case 'box':
      return vegaLiteToSvg(boxSpec(frame, opts));
    case 'density':
      return vegaLiteToSvg(densitySpec(frame, opts));
    case 'heatmap':
      return vegaLiteToSvg(heatmapSpec(frame, opts));
    case 'venn':
      return vennSvg(frame, { names: args.names, title: args.title, width: args.width, height: args.height });
    case 'montage':
      return montageSvg(frame, {
        images: args.images,
        cell: args.cell,
        columns: args.columns,
        maxRows: args.maxRows,
        label: args.label,
        title: args.title,
      });
  }
}

export function positive(name: string, value: number | undefined): void {
  if (value !== undefined && !(Number.isFinite(value) && value > 0)) throw new UsageError(`--${name} must be a positive number, got ${value}`);
}
