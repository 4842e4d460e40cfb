#!/usr/bin/env node
// `npm run bench`: every benchmark under tools/bench, one after another.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
for (const bench of ['startup.js', 'extract.js', 'preprocess.js', 'neuron-stats.js', 'lstsq.js', 'venn.js', 'ica.js', 'nonfinite.js', 'autodiff.js', 'dissect.js', 'compare.js', 'describe.js', 'dream.js', 'formats.js']) {
  const result = spawnSync(process.execPath, [join(here, bench), ...process.argv.slice(2)], { stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}
