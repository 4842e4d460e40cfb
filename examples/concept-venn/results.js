#!/usr/bin/env node
// Writes results.md of the concept-comparison study from venn's reports (no hand-written numbers).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tableFromIPC } from 'apache-arrow';

const out = process.argv[2];
const read = (name) => tableFromIPC(readFileSync(join(out, `${name}.arrows`)));
const table = (t, limit = Infinity) => {
  const names = t.schema.fields.map((f) => f.name);
  const fmt = (v) => (v === null || v === undefined ? '–' : typeof v === 'number' && !Number.isInteger(v) ? v.toFixed(3) : String(v));
  const rows = Array.from(t).slice(0, limit).map((r) => `| ${names.map((n) => fmt(r[n])).join(' | ')} |`);
  return [`| ${names.join(' | ')} |`, `|${names.map(() => '---').join('|')}|`, ...rows].join('\n');
};

console.log('# Concept comparison\n');
const source = { dissect: "Each unit's concept is its Network Dissection label over the probe set; units below dissect's IoU threshold have none (`dissect --detectors-only`).", cof: "Each unit's concept is the dominant class of its top images (`cof --concepts`).", files: 'Concepts from the two given files.' }[process.argv[3]];
if (source) console.log(`${source}\n`);
console.log('## Summary\n');
console.log(table(read('summary')));
console.log('\n## Per layer\n');
console.log(table(read('per-layer')));
console.log('\n## Top concepts\n');
console.log(table(read('top')));
console.log('\n## Scores per layer\n');
console.log(table(read('scores')));
console.log('\nAll concepts: [concepts.csv](concepts.csv).\n');
for (const [file, title] of [['venn.png', 'Shared concepts'], ['venn-per-layer.png', 'Shared concepts per layer'], ['top.png', 'Top concepts'], ['scores.png', 'Scores per layer']]) {
  console.log(`## ${title}\n\n![${title}](${file})\n`);
}
