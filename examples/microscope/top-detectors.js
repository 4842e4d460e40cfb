#!/usr/bin/env node
// The N strongest detectors of a dissection (highest IoU among units with detector = true),
// one row each: "layer unit: concept (category) IoU", then the unit's `dissect --montage` strip
// (its top probe images with the activation above its threshold lit).
//
//   node top-detectors.js DISSECT.arrows N OUT.png
import { readFileSync } from 'node:fs';
import { tableFromIPC } from 'apache-arrow';
import sharp from 'sharp';

const [input, count, output] = process.argv.slice(2);
if (!input || !count || !output) {
  console.error('top-detectors: usage: top-detectors.js DISSECT.arrows N OUT.png');
  process.exit(2);
}
const rows = Array.from(tableFromIPC(readFileSync(input)))
  .filter((r) => r.detector && r.montage)
  .sort((a, b) => b.score - a.score)
  .slice(0, Number(count));
if (rows.length === 0) {
  console.error(`top-detectors: ${input}: no detector with a montage column (dissect --montage DIR)`);
  process.exit(1);
}
const strips = await Promise.all(rows.map((r) => sharp(r.montage).png().toBuffer({ resolveWithObject: true })));
const captionH = 18;
const gap = 6;
const width = Math.max(...strips.map((s) => s.info.width)) + 2 * gap;
const height = strips.reduce((h, s) => h + captionH + s.info.height + gap, gap);
const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;');
const composite = [];
const texts = [];
let y = gap;
rows.forEach((r, i) => {
  texts.push(`<text x="${gap}" y="${y + 13}" font-size="12"><tspan font-weight="bold">${esc(r.layer)} unit ${r.unit}</tspan>: ${esc(r.concept)} (${esc(r.category)}), IoU ${r.score.toFixed(3)}</text>`);
  composite.push({ input: strips[i].data, left: gap, top: y + captionH });
  y += captionH + strips[i].info.height + gap;
});
composite.push({ input: Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="DejaVu Sans, sans-serif">${texts.join('')}</svg>`), left: 0, top: 0 });
await sharp({ create: { width, height, channels: 3, background: { r: 255, g: 255, b: 255 } } }).composite(composite).png().toFile(output);
