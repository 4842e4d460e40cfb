#!/usr/bin/env node
// Writes results.md of the microscope study from its tables: each model's dissection
// (dissect.arrows), its unique detectors per category per layer (detectors.arrows) and the
// zoo's manifest. No hand-written numbers; the verdicts on the seed's claims are computed.
//
//   node results.js OUT vgg:block1,block2 resnet:layer1,layer2 ...
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tableFromIPC } from 'apache-arrow';

const [out, ...specs] = process.argv.slice(2);
const zoo = JSON.parse(readFileSync(join(dirname(fileURLToPath(import.meta.url)), '../zoo/zoo.json'), 'utf8'));
const read = (path) => Array.from(tableFromIPC(readFileSync(join(out, path))));
const iou = (v) => v.toFixed(3);
const sum = (xs) => xs.reduce((a, b) => a + b, 0);
const mean = (xs) => (xs.length ? sum(xs) / xs.length : 0);

const models = specs.map((spec) => {
  const [name, layers] = spec.split(':');
  const units = read(`${name}/dissect.arrows`);
  const counts = read(`${name}/detectors.arrows`);
  const categories = [...new Set(counts.map((r) => r.category))];
  const cell = (layer, category) => counts.find((r) => r.layer === layer && r.category === category);
  const detectors = units.filter((r) => r.detector);
  const manifest = zoo.models.find((m) => m.name === name);
  return { name, layers: layers.split(','), units, categories, cell, detectors, manifest };
});

const lines = [];
const say = (s = '') => lines.push(s);
say('# The microscope study: feature visualisation and Network Dissection of the zoo\n');
say(`Models: ${models.map((m) => `${m.name} (${m.layers.join(', ')})`).join('; ')}. Dissection over the probe set; a unit is a detector when its best IoU reaches dissect's --threshold.\n`);

say('## Unique detectors per category per layer\n');
say('Each cell: unique concepts among the layer\'s detectors of that category (detector units in brackets).\n');
for (const m of models) {
  say(`### ${m.name}\n`);
  say(`| layer | units | detectors | ${m.categories.join(' | ')} |`);
  say(`|---|---|---|${m.categories.map(() => '---').join('|')}|`);
  for (const layer of m.layers) {
    const rows = m.units.filter((r) => r.layer === layer);
    say(`| ${layer} | ${rows.length} | ${rows.filter((r) => r.detector).length} | ${m.categories.map((c) => `${m.cell(layer, c).unique} (${m.cell(layer, c).detectors})`).join(' | ')} |`);
  }
  say(`\n![${m.name}: unique detectors per category per layer](${m.name}/detectors.png)\n`);
  const top = [...m.detectors].sort((a, b) => b.score - a.score).slice(0, 8);
  say('Strongest detectors (their top probe images with the activation above threshold lit below):\n');
  say('| layer | unit | concept | category | IoU |\n|---|---|---|---|---|');
  for (const u of top) say(`| ${u.layer} | ${u.unit} | ${u.concept} | ${u.category} | ${iou(u.score)} |`);
  say(`\n![${m.name}: strongest detectors](${m.name}/top-detectors.png)\n`);
  say(`Every unit: [${m.name}/dissect.csv](${m.name}/dissect.csv). Atlas: [${m.name}/atlas/index.html](${m.name}/atlas/index.html).\n`);
}
say('All models side by side: [detectors.csv](detectors.csv).\n\n![unique detectors per category per layer, every model](detectors.png)\n');

say('## Feature visualisations\n');
say("Every unit of every listed layer rendered by `dream --all` (a contact sheet per layer; each unit's image is also on its atlas page):\n");
for (const m of models) {
  say(`- ${m.name}: ${m.layers.map((l) => `[${l}](${m.name}/sheet-${l}.png)`).join(', ')}`);
}
const first = models[0];
if (first) for (const l of [first.layers[0], first.layers[first.layers.length - 1]]) say(`\n![${first.name} ${l}](${first.name}/sheet-${l}.png)`);
say('\n![DeepDream of demo images](deepdream.png)\n');

// The seed's claims, judged from the tables above.
say('## The seed\'s claims on this zoo\n');
const unique = (m, layer, category) => (m.categories.includes(category) ? m.cell(layer, category).unique : 0);
const firstLast = (m) => [m.layers[0], m.layers[m.layers.length - 1]];
const verdict = (ok) => (ok ? 'shown' : 'not shown');

// 1. Early layers: colour and texture; late layers: parts and objects.
{
  const low = ['color', 'texture'];
  const high = ['object', 'part'];
  const rows = models.map((m) => {
    const [a, z] = firstLast(m);
    const early = m.units.filter((r) => r.layer === a && r.detector);
    const late = m.units.filter((r) => r.layer === z && r.detector);
    const earlyLow = early.filter((r) => low.includes(r.category)).length;
    const lateHigh = late.filter((r) => high.includes(r.category)).length;
    const earlyHigh = early.filter((r) => high.includes(r.category)).length;
    return { m, a, z, early: early.length, earlyLow, earlyHigh, late: late.length, lateHigh, ok: early.length > 0 && earlyLow === early.length && lateHigh > earlyHigh };
  });
  const n = rows.filter((r) => r.ok).length;
  say(`1. **Early layers detect colours and textures, later ones parts and objects** — ${verdict(n === rows.length)} (${n} of ${rows.length} models):`);
  for (const r of rows) {
    say(`   - ${r.m.name}: ${r.a} has ${r.early} detector units, ${r.earlyLow} of them colour or texture; ${r.z} has ${r.late}, ${r.lateHigh} of them part or object (${r.a}: ${r.earlyHigh}).`);
  }
  say('   The contact sheets are the feature-visualisation side of this claim: compare each model\'s first sheet with its last.');
}

// 2. Unique detectors grow with depth for objects and scenes, not for colour.
{
  say('2. **Unique detectors per category grow with depth for objects and scenes, not for colour** (first listed layer against the last):');
  for (const [category, shouldGrow] of [['object', true], ['scene', true], ['color', false]]) {
    const rows = models.map((m) => {
      const [a, z] = firstLast(m);
      return { m, a, z, from: unique(m, a, category), to: unique(m, z, category) };
    });
    const grew = rows.filter((r) => r.to > r.from).length;
    const any = rows.some((r) => r.from > 0 || r.to > 0);
    const ok = shouldGrow ? grew === rows.length : grew === 0;
    const detail = rows.map((r) => `${r.m.name} ${r.from} → ${r.to}`).join(', ');
    const note = !any ? ` — no ${category} detector in any listed layer of any model, so the probe set says nothing either way` : '';
    say(`   - ${category}: ${shouldGrow ? `grows in ${grew} of ${rows.length} models` : `grows in ${grew} of ${rows.length} models (the claim: in none)`} — ${verdict(ok && any)} (${detail})${note}.`);
  }
}

// 3. Deeper and wider networks: more and clearer detectors.
{
  const rows = models.map((m) => ({
    m,
    units: m.units.length,
    params: m.manifest?.parameters,
    detectors: m.detectors.length,
    uniqueAll: sum(m.layers.map((l) => sum(m.categories.map((c) => unique(m, l, c))))),
    meanIoU: mean(m.detectors.map((r) => r.score)),
  }));
  const widest = [...rows].sort((a, b) => b.units - a.units)[0];
  const biggest = [...rows].sort((a, b) => (b.params ?? 0) - (a.params ?? 0))[0];
  const most = [...rows].sort((a, b) => b.uniqueAll - a.uniqueAll)[0];
  const clearest = [...rows].sort((a, b) => b.meanIoU - a.meanIoU)[0];
  say('3. **Deeper and wider networks have more and clearer detectors**:\n');
  say('   | model | parameters | units dissected | detectors | unique detectors (sum over layers) | mean detector IoU |');
  say('   |---|---|---|---|---|---|');
  for (const r of rows) say(`   | ${r.m.name} | ${r.params ?? '–'} | ${r.units} | ${r.detectors} | ${r.uniqueAll} | ${iou(r.meanIoU)} |`);
  if (widest) {
    const claim = (who) => `${who.m.name}): ${verdict(who === most)} for more unique detectors (most: ${most.m.name}), ${verdict(who === clearest)} for clearer ones (highest mean IoU: ${clearest.m.name})`;
    say(`\n   - Wider (most units dissected: ${claim(widest)}.`);
    say(`   - Bigger (most parameters: ${claim(biggest)}.`);
    say('   - Deeper: the zoo\'s depths are not in its tables, so this part is not judged here.');
    if (!(widest === most && widest === clearest && biggest === most && biggest === clearest)) say('   The zoo is small (three models trained briefly on Fashion-MNIST) and this ordering is one run, not a trend.');
  }
}
say('\nThe probe set is the Fashion-MNIST Broden-format set (tools/probe/make_probe.py): its concepts are garments, garment parts, a few backgrounds, stripe/dot/check textures and colour bands, not Broden\'s; a claim it cannot test is marked so above.');
if (!existsSync(join(out, 'deepdream.png'))) say('\n(DeepDream sheet missing.)');
console.log(lines.join('\n'));
