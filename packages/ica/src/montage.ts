import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { loadSharp, PixelCanvas, denormalise, minMaxBytes, type Preprocess } from '@cnnpipe/core';

export interface MontageInput {
  layer: string;
  neuron: number;
  /** The neuron's SF/MF facet and MF degree (a neuron-stats table), when known. */
  facet?: NeuronFacet;
  /** Top patches (CHW, `patchChannels` x size x size), in rank order. */
  patches: Float32Array[];
  patchChannels: number;
  /** Components (CHW, `componentChannels` x size x size). */
  components: Float32Array[];
  componentChannels: number;
  size: number;
  preprocess: Preprocess;
  /** For tests: where things were drawn. */
  onLayout?: (layout: MontageLayout) => void;
}

export interface MontageLayout {
  width: number;
  height: number;
  scale: number;
  cell: number;
  /** Top of the patch grid and of the component row; their left edge; cells a row; component label height. */
  patchTop: number;
  compTop: number;
  left: number;
  cols: number;
  labelH: number;
}

export interface NeuronFacet {
  facet: string | null;
  mf: number | null;
}

const COLUMNS = 10;
const GAP = 4;
const MARGIN = 12;
const RANK_W = 30;
const BACKGROUND = 255;
const FONT = 'DejaVu Sans';

/**
 * A PNG that says what it shows: a title (layer, neuron, its SF/MF facet when known), the
 * top patches in rank order (10 a row, each row led by its first rank), a rule, then the
 * ICA components, numbered (each min-max scaled to 0..255). Cells are enlarged (nearest
 * neighbour) so small patches stay visible. The pixels are drawn here and the words are
 * SVG text over them, rasterised by resvg with plot's DejaVu Sans (no system fonts).
 */
export async function montagePng(input: MontageInput): Promise<Buffer> {
  const { patches, components, size } = input;
  const scale = Math.max(1, Math.min(16, Math.round(64 / size)));
  const cell = size * scale;
  const cols = Math.max(1, Math.min(COLUMNS, Math.max(patches.length, components.length)));
  const gridW = cols * (cell + GAP) - GAP;
  const left = MARGIN + RANK_W;

  const title = `${input.layer} · neuron ${input.neuron}${facetText(input.facet)}`;
  const outside = size > input.preprocess.size ? `; gray where it extends past the ${input.preprocess.size}×${input.preprocess.size} image` : '';
  const patchHead = `Top ${patches.length} patch${patches.length === 1 ? '' : 'es'}, rank order (receptive field ${size}×${size} px${outside})`;
  const compHead = `${components.length} ICA component${components.length === 1 ? '' : 's'} of these patches (min–max scaled)`;
  const textW = Math.max(textWidth(title, 15, true), textWidth(patchHead, 12), textWidth(compHead, 12));
  const width = Math.ceil(Math.max(left + gridW + MARGIN, MARGIN + textW + MARGIN));

  const patchRows = Math.ceil(patches.length / cols);
  const compRows = Math.ceil(components.length / cols);
  const titleY = 24;
  const patchHeadY = titleY + 24;
  const patchTop = patchHeadY + 8;
  const patchBottom = patchTop + Math.max(0, patchRows * (cell + GAP) - GAP);
  const ruleY = patchBottom + 14;
  const compHeadY = ruleY + 22;
  const compTop = compHeadY + 8;
  const labelH = 16;
  const compBottom = compTop + Math.max(0, compRows * (cell + GAP + labelH) - GAP);
  const height = compBottom + MARGIN;

  const layout: MontageLayout = { width, height, scale, cell, patchTop, compTop, left, cols, labelH };
  if (input.onLayout) input.onLayout(layout);
  const channels: 1 | 3 = Math.max(input.patchChannels, input.componentChannels) === 1 ? 1 : 3;
  const canvas = new PixelCanvas(width, height, channels, BACKGROUND);
  const at = (i: number, top: number, rowH: number) => ({ x: left + (i % cols) * (cell + GAP), y: top + Math.floor(i / cols) * rowH });
  patches.forEach((p, i) => {
    const { x, y } = at(i, patchTop, cell + GAP);
    canvas.drawChw(enlarge(denormalise(p, input.patchChannels, input.preprocess), input.patchChannels, size, scale), input.patchChannels, cell, cell, x, y);
  });
  components.forEach((comp, i) => {
    const { x, y } = at(i, compTop, cell + GAP + labelH);
    canvas.drawChw(enlarge(minMaxBytes(comp), input.componentChannels, size, scale), input.componentChannels, cell, cell, x, y);
  });
  const pixels = await (await loadSharp())(canvas.data, { raw: { width, height, channels } }).png().toBuffer();

  const text: string[] = [
    svgText(MARGIN, titleY, title, 15, { bold: true }),
    svgText(MARGIN, patchHeadY, patchHead, 12),
    svgText(MARGIN, compHeadY, compHead, 12),
    `<line x1="${MARGIN}" y1="${ruleY}" x2="${width - MARGIN}" y2="${ruleY}" stroke="#888" stroke-width="1"/>`,
  ];
  for (let r = 0; r < patchRows; r++) {
    const y = patchTop + r * (cell + GAP) + Math.min(cell, 14) - 2;
    text.push(svgText(left - 6, y, String(r * cols + 1), 10, { anchor: 'end', fill: '#555' }));
  }
  components.forEach((_, i) => {
    const { x, y } = at(i, compTop, cell + GAP + labelH);
    text.push(svgText(x + cell / 2, y + cell + 12, String(i + 1), 10, { anchor: 'middle', fill: '#555' }));
  });
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="${width}" height="${height}">` +
    `<image x="0" y="0" width="${width}" height="${height}" xlink:href="data:image/png;base64,${pixels.toString('base64')}"/>` +
    `${text.join('')}</svg>`;
  return render(svg);
}

function facetText(f: NeuronFacet | undefined): string {
  if (!f || f.facet === null) return '';
  const words = f.facet === 'MF' ? 'multi-faceted' : f.facet === 'SF' ? 'single-faceted' : f.facet;
  return ` · ${f.facet} (${words}${f.mf === null ? '' : `, MF degree ${f.mf.toFixed(2)}`})`;
}

/** Nearest-neighbour enlargement of a CHW byte tile by an integer factor. */
function enlarge(tile: Uint8Array, channels: number, size: number, scale: number): Uint8Array {
  if (scale === 1) return tile;
  const big = size * scale;
  const out = new Uint8Array(channels * big * big);
  for (let c = 0; c < channels; c++) {
    for (let y = 0; y < big; y++) {
      const src = c * size * size + Math.floor(y / scale) * size;
      const dst = c * big * big + y * big;
      for (let x = 0; x < big; x++) out[dst + x] = tile[src + Math.floor(x / scale)]!;
    }
  }
  return out;
}

/** A width estimate for DejaVu Sans (average advance ~0.6 em, bold ~0.66 em). */
function textWidth(s: string, size: number, bold = false): number {
  return s.length * size * (bold ? 0.66 : 0.6);
}

function svgText(x: number, y: number, s: string, size: number, o: { bold?: boolean; anchor?: string; fill?: string } = {}): string {
  const attrs = [`x="${x}"`, `y="${y}"`, `font-family="${FONT}"`, `font-size="${size}"`];
  if (o.bold) attrs.push('font-weight="bold"');
  if (o.anchor) attrs.push(`text-anchor="${o.anchor}"`);
  attrs.push(`fill="${o.fill ?? '#111'}"`);
  return `<text ${attrs.join(' ')}>${escapeXml(s)}</text>`;
}

function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

let fontFiles: string[] | undefined;

/** resvg loaded on first montage (it is native code; `ica` without --montage never needs it). */
async function render(svg: string): Promise<Buffer> {
  const { Resvg } = await import('@resvg/resvg-js');
  fontFiles ??= (() => {
    const fonts = join(dirname(createRequire(import.meta.url).resolve('@cnnpipe/plot/package.json')), 'fonts');
    return [join(fonts, 'DejaVuSans.ttf'), join(fonts, 'DejaVuSans-Bold.ttf')];
  })();
  const resvg = new Resvg(svg, {
    font: { fontFiles, loadSystemFonts: false, defaultFontFamily: FONT, sansSerifFamily: FONT },
    background: 'white',
  });
  return resvg.render().asPng();
}
