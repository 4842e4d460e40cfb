import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { repoRoot, tempFolder } from '@cnnpipe/core/testing';
import { afterAll, describe, expect, it } from 'vitest';

const recorder = fileURLToPath(new URL('./test-support/record-loads.mjs', import.meta.url));
const folder = tempFolder();
afterAll(() => folder.remove());

/** The node_modules packages a plot process loaded (and whether the recorder saw plot's own code). */
function packagesLoaded(args: string[], input?: string): { names: string[]; sawPlot: boolean } {
  const file = folder.path(`loads-${args.join('_').replace(/\W/g, '')}.txt`);
  const run = spawnSync(process.execPath, ['--import', recorder, `${repoRoot}/packages/plot/bin/plot.js`, ...args], { cwd: repoRoot, input, env: { ...process.env, RECORD_LOADS: file } });
  expect(run.status, run.stderr.toString()).toBe(0);
  const names = new Set<string>();
  const lines = readFileSync(file, 'utf8').split('\n');
  for (const line of lines) {
    const m = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(line);
    if (m) names.add(m[1]!);
  }
  return { names: [...names].sort(), sawPlot: lines.some((l) => l.includes('/packages/plot/dist/')) };
}

const DRAWING = ['vega', 'vega-lite', '@resvg/resvg-js', 'sharp'];

describe('plot start-up', () => {
  it('--version and --help load none of the drawing libraries (vega, vega-lite, resvg, sharp)', () => {
    for (const args of [['--version'], ['--help']]) {
      // From the bundle (tools/bundle.js) or from dist/ after a bare tsc -b: either way none.
      const { names, sawPlot } = packagesLoaded(args);
      expect(sawPlot, args[0]).toBe(true); // the recorder works
      expect(names.filter((p) => DRAWING.includes(p)), args[0]).toEqual([]);
    }
  });

  it('drawing a PNG loads vega, vega-lite and resvg', () => {
    const csv = 'model,concept,neurons\nimagenet,dotted,5\nplaces,grass,7\n';
    const arrow = spawnSync(process.execPath, [`${repoRoot}/packages/csv/bin/csv.js`, '--to-arrow'], { input: csv });
    const out = folder.path('bar.png');
    const file = folder.path('loads-draw.txt');
    const run = spawnSync(process.execPath, ['--import', recorder, `${repoRoot}/packages/plot/bin/plot.js`, 'bar', '-o', out], { input: arrow.stdout, env: { ...process.env, RECORD_LOADS: file } });
    expect(run.status, run.stderr.toString()).toBe(0);
    const loads = readFileSync(file, 'utf8');
    for (const p of ['vega', 'vega-lite', '@resvg/resvg-js']) expect(loads, p).toMatch(new RegExp(`node_modules/${p.replace('/', '\\/')}/`));
  });
});
