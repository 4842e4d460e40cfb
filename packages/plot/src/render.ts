import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { TopLevelSpec } from 'vega-lite';

// vega, vega-lite and resvg load on first use, only when a figure is drawn: imported at start
// they cost `plot --version` and `plot --help` ~0.28 s of CPU (of ~0.42 s) for nothing.

export const FONT = 'DejaVu Sans';
export const fontFiles = [
  fileURLToPath(new URL('../fonts/DejaVuSans.ttf', import.meta.url)),
  fileURLToPath(new URL('../fonts/DejaVuSans-Bold.ttf', import.meta.url)),
];

/** Shared look: the shipped font everywhere, readable sizes. */
export const vlConfig = {
  font: FONT,
  background: 'white',
  axis: { labelFontSize: 11, titleFontSize: 12, labelLimit: 180 },
  legend: { labelFontSize: 11, titleFontSize: 12, labelLimit: 200 },
  header: { labelFontSize: 12, titleFontSize: 12 },
  title: { fontSize: 14, anchor: 'start', limit: 0 },
  view: { stroke: '#ddd' },
} as const;

export async function vegaLiteToSvg(spec: TopLevelSpec): Promise<string> {
  const [vega, { compile }] = await Promise.all([import('vega'), import('vega-lite')]);
  const compiled = compile(spec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

export function svgToPng(svg: string, scale: number): Buffer {
  // resvg-js is CommonJS (a native binding): required synchronously, at the first PNG.
  const { Resvg } = createRequire(import.meta.url)('@resvg/resvg-js') as typeof import('@resvg/resvg-js');
  const resvg = new Resvg(svg, {
    font: { fontFiles, loadSystemFonts: false, defaultFontFamily: FONT, sansSerifFamily: FONT },
    fitTo: scale === 1 ? { mode: 'original' } : { mode: 'zoom', value: scale },
    background: 'white',
  });
  return resvg.render().asPng();
}

export function svgSize(svg: string): { width: number; height: number } {
  const w = /<svg[^>]*\swidth="([\d.]+)"/.exec(svg);
  const h = /<svg[^>]*\sheight="([\d.]+)"/.exec(svg);
  return { width: Number(w?.[1] ?? 0), height: Number(h?.[1] ?? 0) };
}

export function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export { readFileSync };
