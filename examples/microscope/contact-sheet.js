#!/usr/bin/env node
// A contact sheet from `dream` visualizations tables: every row's image in a grid, its unit
// number under it, one block of rows per table (labelled on the left). With --originals the
// first block is those images, so a DeepDream sheet shows each input above its dreams.
//
//   node contact-sheet.js [--columns 16] [--cell 48] [--title T] [--labels a,b] [--originals x.png,y.png] -o SHEET.png TABLE...
import { readFileSync } from 'node:fs';
import { tableFromIPC } from 'apache-arrow';
import sharp from 'sharp';

const args = process.argv.slice(2);
const opts = { columns: 16, cell: 48, title: '', labels: '', originals: '', o: '' };
const tables = [];
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a.startsWith('-')) {
    const key = a.replace(/^-+/, '');
    if (!(key in opts) || args[i + 1] === undefined) {
      console.error(`contact-sheet: unknown flag or missing value: ${a}`);
      process.exit(2);
    }
    opts[key] = args[++i];
  } else tables.push(a);
}
if (!opts.o || tables.length === 0) {
  console.error('contact-sheet: usage: contact-sheet.js [--columns N] [--cell PX] [--title T] [--labels a,b] [--originals x.png,...] -o SHEET.png TABLE...');
  process.exit(2);
}
const columns = Number(opts.columns);
const cell = Number(opts.cell);
const labels = opts.labels ? opts.labels.split(',') : tables.map(() => '');

/** One tile per row of a visualizations table: its CHW pixels in [0, 1] as a PNG of cell x cell. */
async function tilesOf(path) {
  let table;
  try {
    table = tableFromIPC(readFileSync(path));
  } catch (error) {
    console.error(`contact-sheet: ${path}: cannot read (${error.message})`);
    process.exit(1);
  }
  const tiles = [];
  for (const row of table) {
    const { height: h, width: w, channels: c } = row;
    const chw = row.pixels.toArray();
    const hwc = Buffer.alloc(h * w * c);
    for (let ch = 0; ch < c; ch++) for (let p = 0; p < h * w; p++) hwc[p * c + ch] = Math.round(Math.min(1, Math.max(0, chw[ch * h * w + p])) * 255);
    const png = await sharp(hwc, { raw: { width: w, height: h, channels: c } }).resize(cell, cell, { kernel: 'nearest' }).toColourspace('srgb').png().toBuffer();
    tiles.push({ png, caption: row.neuron === null ? '' : String(row.neuron) });
  }
  return tiles;
}

const blocks = [];
if (opts.originals) {
  const files = opts.originals.split(',');
  blocks.push({ label: 'input', tiles: await Promise.all(files.map(async (f) => ({ png: await sharp(f).resize(cell, cell, { kernel: 'nearest' }).png().toBuffer(), caption: '' }))) });
}
for (let t = 0; t < tables.length; t++) blocks.push({ label: labels[t] ?? '', tiles: await tilesOf(tables[t]) });

const gap = 4;
const caption = 12;
const labelW = blocks.some((b) => b.label) ? 84 : 0;
const titleH = opts.title ? 26 : 0;
const rowH = cell + caption + gap;
const rowsOf = (b) => Math.max(1, Math.ceil(b.tiles.length / columns));
const nrows = blocks.reduce((n, b) => n + rowsOf(b), 0);
// Wide enough for the title too (DejaVu Sans Bold 14 px: ~9 px a character).
const width = Math.max(labelW + gap + columns * (cell + gap), Math.ceil(opts.title.length * 9 + 2 * gap));
const height = titleH + gap + nrows * rowH + gap * blocks.length;
const esc = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
const composite = [];
const texts = [];
if (opts.title) texts.push(`<text x="${gap}" y="18" font-size="14" font-weight="bold">${esc(opts.title)}</text>`);
let y = titleH + gap;
for (const b of blocks) {
  if (b.label) texts.push(`<text x="${gap}" y="${y + cell / 2 + 4}" font-size="12" font-weight="bold">${esc(b.label)}</text>`);
  b.tiles.forEach((tile, i) => {
    const left = labelW + gap + (i % columns) * (cell + gap);
    const top = y + Math.floor(i / columns) * rowH;
    composite.push({ input: tile.png, left, top });
    if (tile.caption) texts.push(`<text x="${left + cell / 2}" y="${top + cell + 10}" font-size="9" text-anchor="middle" fill="#555">${esc(tile.caption)}</text>`);
  });
  y += rowsOf(b) * rowH + gap;
}
const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="DejaVu Sans, sans-serif">${texts.join('')}</svg>`;
composite.push({ input: Buffer.from(svg), left: 0, top: 0 });
await sharp({ create: { width, height, channels: 3, background: { r: 255, g: 255, b: 255 } } }).composite(composite).png().toFile(opts.o);
