import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { float32Data, float64Data, int32Data, makeBatch, META, utf8Data } from '@cnnpipe/core';
import { repoRoot, runBin } from '@cnnpipe/core/testing';
import { tableToIPC, Table, type RecordBatch } from 'apache-arrow';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { renderSvg } from './figure.js';
import { frameFromBatches, type Frame } from './data.js';
import { ownAccuracy, percentText } from './accuracy-cells.js';
import { svgToPng } from './render.js';
import { vennCounts } from './venn.js';

const dir = mkdtempSync(join(tmpdir(), 'cnnpipe-plot-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function meta(kind: string, report?: string): Map<string, string> {
  const m = new Map<string, string>([[META.kind, kind]]);
  if (report) m.set('cnnpipe.report', report);
  return m;
}

function frame(batch: RecordBatch): Frame {
  return frameFromBatches('test', [batch], batch.schema.metadata, batch.schema.fields);
}

function ipc(batch: RecordBatch): Uint8Array {
  return tableToIPC(new Table([batch]), 'stream');
}

const defaults = { scale: 2, hist: false, bins: 20, mid: 0, cell: 64, columns: 10, maxRows: 64, progress: false, _: [] };
type Args = Parameters<typeof renderSvg>[2];
const args = (extra: Partial<Args> = {}): Args => ({ ...defaults, ...extra }) as Args;

const count = (svg: string, re: RegExp): number => (svg.match(re) ?? []).length;
const texts = (svg: string): string[] => [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]!);

const top = makeBatch(
  {
    model: utf8Data(['imagenet', 'imagenet', 'imagenet', 'places', 'places']),
    concept: utf8Data(['dotted', 'striped', 'grass', 'grass', 'sky']),
    neurons: int32Data(Int32Array.from([5, 3, 2, 7, 4])),
    rank: int32Data(Int32Array.from([1, 2, 3, 1, 2])),
  },
  meta('venn', 'top'),
);

const accuracy = makeBatch(
  {
    source: utf8Data(['r18', 'r18', 'r34', 'r34']),
    target: utf8Data(['r18', 'r34', 'r18', 'r34']),
    n: int32Data(Int32Array.from([100, 100, 100, 100])),
    top1: float64Data(Float64Array.from([0.71, 0.52, 0.49, 0.74])),
    change: float64Data(Float64Array.from([0, -12.5, -20.1, 3.2])),
  },
  meta('accuracy'),
);

const stats = (() => {
  const n = 30;
  const layer: string[] = [];
  const facet: string[] = [];
  const gini = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    layer.push(['conv1', 'conv2', 'conv3'][i % 3]!);
    facet.push(i % 4 ? 'SF' : 'MF');
    gini[i] = ((i * 37) % 100) / 100;
  }
  return makeBatch(
    { layer: utf8Data(layer), neuron: int32Data(Int32Array.from({ length: n }, (_, i) => i)), gini: float64Data(gini), facet: utf8Data(facet) },
    meta('neuron-stats'),
  );
})();

const summary = makeBatch(
  { shared: int32Data(Int32Array.of(180)), only_a: int32Data(Int32Array.of(194)), only_b: int32Data(Int32Array.of(247)), union: int32Data(Int32Array.of(621)) },
  meta('venn', 'summary'),
);

describe('plot bar', () => {
  it('draws one bar per row of a venn top report with no column flags, one panel per model', async () => {
    const svg = await renderSvg('bar', frame(top), args());
    expect(count(svg, /aria-roledescription="bar"/g)).toBe(5);
    const t = texts(svg);
    for (const word of ['dotted', 'striped', 'grass', 'sky', 'imagenet', 'places', 'neurons']) expect(t).toContain(word);
  });

  it('counts SF/MF neurons per layer from neuron-stats', async () => {
    const svg = await renderSvg('bar', frame(stats), args());
    expect(count(svg, /aria-roledescription="bar"/g)).toBe(6); // 3 layers x 2 facets
    expect(texts(svg)).toContain('MF');
  });

  it('takes x = first text column and y = first numeric column of an unknown table', async () => {
    const b = makeBatch({ name: utf8Data(['a', 'b', 'c']), v: float64Data(Float64Array.of(1, 2, 3)) });
    const svg = await renderSvg('bar', frame(b), args({ title: 'A title' }));
    expect(count(svg, /aria-roledescription="bar"/g)).toBe(3);
    expect(texts(svg)).toContain('A title');
  });

  it("with --facet on the first text column, x defaults to the next one (the help's example: a bar per row)", async () => {
    const b = makeBatch({
      model: utf8Data(['imagenet', 'imagenet', 'places']),
      concept: utf8Data(['dotted', 'striped', 'grass']),
      neurons: int32Data(Int32Array.of(5, 3, 7)),
    });
    const svg = await renderSvg('bar', frame(b), args({ facet: 'model' }));
    expect(count(svg, /aria-roledescription="bar"/g)).toBe(3);
    expect(texts(svg)).toEqual(expect.arrayContaining(['dotted', 'striped', 'grass', 'concept']));
  });

  it('leaves headroom above a stacked bar (rows sharing an x sum), not only above the tallest row', async () => {
    const b = makeBatch({ name: utf8Data(['a', 'a', 'b']), v: int32Data(Int32Array.of(5, 3, 7)) });
    const { barSpec } = await import('./charts.js');
    const spec = barSpec(frame(b), args()) as unknown as { encoding: { y: { scale: { domainMax: number } } } };
    expect(spec.encoding.y.scale.domainMax).toBeCloseTo(8 * 1.08, 10);
  });
});

describe('plot bar, grouped and faceted', () => {
  it('draws a group of bars per x, one bar per --color, in every --facet panel (panels with different x values)', async () => {
    // The microscope study's figure: unique detectors per category per layer, a panel per model.
    const model: string[] = [];
    const layer: string[] = [];
    const category: string[] = [];
    for (const [m, layers] of [['a', ['l1', 'l2']], ['b', ['m1', 'm2', 'm3']]] as const) {
      for (const l of layers) for (const c of ['x', 'y', 'z']) model.push(m), layer.push(l), category.push(c);
    }
    const unique = Int32Array.from(model, (_, i) => 1 + (i % 3));
    const b = makeBatch({ model: utf8Data(model), layer: utf8Data(layer), category: utf8Data(category), unique: int32Data(unique) });
    const svg = await renderSvg('bar', frame(b), args({ x: 'layer', y: 'unique', color: 'category', facet: 'model' }));
    const widths = [...svg.matchAll(/aria-roledescription="bar" d="M[-\d.e]+,[-\d.e]+h([-\d.e]+)v/g)].map((m) => Number(m[1]));
    expect(widths.length).toBe(15);
    // Side by side within a group (each a fraction of the band), not hairlines drawn over each other.
    for (const w of widths) expect(w).toBeGreaterThan(10);
    const xs = [...svg.matchAll(/aria-label="layer: (\w+); unique: \d; category: (\w)"[^>]*d="M([-\d.e]+),/g)].map((m) => [m[1], m[2], Number(m[3])] as const);
    const l1 = xs.filter(([l]) => l === 'l1').map(([, , x]) => x);
    expect(new Set(l1).size).toBe(3);
  });
});

describe('plot heatmap', () => {
  it('labels every cell of the accuracy table, in % from the counts (two decimals, no float rounding)', async () => {
    const svg = await renderSvg('heatmap', frame(accuracy), args());
    expect(count(svg, /aria-roledescription="rect mark"/g)).toBe(4);
    const t = texts(svg);
    for (const v of ['71.00%', '52.00%', '49.00%', '74.00%']) expect(t).toContain(v);
    // 1861 of 2000 is 93.05% exactly (the float 0.9305 is below it, and '.1%' printed 93.0%).
    expect(percentText(1861 / 2000, 2000)).toBe('93.05%');
    expect(percentText(1843 / 2000, 2000)).toBe('92.15%');
    expect(percentText(2 / 3, 3)).toBe('66.67%');
  });

  it('shades accuracies by their range; with --baseline by the change against the source\'s own, diverging at 0', async () => {
    const rectFills = (svg: string) =>
      [...svg.matchAll(/<path [^>]*aria-roledescription="rect mark"[^>]*fill="(rgb\([^)]*\))"/g), ...svg.matchAll(/<path [^>]*fill="(rgb\([^)]*\))"[^>]*aria-roledescription="rect mark"/g)].map((m) => m[1]!);
    // By range: the best (74%) and the worst (49%) cell are the two ends of the scale.
    const plain = rectFills(await renderSvg('heatmap', frame(accuracy), args()));
    expect(plain).toHaveLength(4);
    expect(new Set(plain).size).toBe(4);
    // Own accuracies r18 71%, r34 74%: the diagonal is no change (the same near-white), r34 -> r18 (-25 points) the red end.
    const own = new Map([['r18', 0.71], ['r34', 0.74]]);
    const svg = await renderSvg('heatmap', frame(accuracy), args({ own }));
    const fills = rectFills(svg);
    expect(fills).toHaveLength(4);
    expect(fills[0]).toBe(fills[3]);
    const rgb = (f: string) => f.match(/\d+/g)!.map(Number);
    expect(rgb(fills[0]!)).toEqual([242, 239, 238]);
    const [r, g, b] = rgb(fills[2]!);
    expect(r!).toBeGreaterThan(g! + 60);
    expect(r!).toBeGreaterThan(b! + 60);
    const t = texts(svg);
    // The legend in signed points, both sides of 0.
    expect(t.some((x) => /^−\d+\.\d$/.test(x))).toBe(true);
    expect(t.some((x) => /^\+\d+\.\d$/.test(x))).toBe(true);
    expect(svg).toMatch(/top-1 \(% points\)/);
    expect(() => ownAccuracy(frame(stats), 'top1')).toThrow(/no 'top1' per source/);
  });

  it('uses a diverging scale for % change (values on both sides of 0)', async () => {
    const svg = await renderSvg('heatmap', frame(accuracy), args({ color: 'change' }));
    const t = texts(svg);
    for (const v of ['−12.5', '−20.1', '3.2', '0.0']) expect(t).toContain(v);
    // redblue around 0: the 0 cell is the scale's near-white middle, the -20.1 cell its red end.
    expect(svg).toMatch(/change: 0" [^>]*fill="rgb\(242, 239, 238\)"/);
    expect(svg).toMatch(/change: −20.1" [^>]*fill="rgb\(140, 13, 37\)"/);
  });
});

describe('plot box, density, line', () => {
  it('box from raw values: one box per layer', async () => {
    const svg = await renderSvg('box', frame(stats), args({ y: 'gini', color: '' }));
    for (const l of ['conv1', 'conv2', 'conv3']) expect(texts(svg)).toContain(l);
    expect(count(svg, /aria-roledescription="box"/g) + count(svg, /role-mark[^"]*boxplot/g)).toBeGreaterThan(0);
  });

  it('box from precomputed quartiles (venn scores report)', async () => {
    const scores = makeBatch(
      {
        model: utf8Data(['a', 'a', 'b', 'b']),
        layer: utf8Data(['layer2', 'layer3', 'layer2', 'layer3']),
        min: float64Data(Float64Array.of(0.1, 0.12, 0.15, 0.2)),
        q1: float64Data(Float64Array.of(0.18, 0.2, 0.22, 0.25)),
        median: float64Data(Float64Array.of(0.2, 0.23, 0.25, 0.3)),
        q3: float64Data(Float64Array.of(0.24, 0.26, 0.3, 0.33)),
        max: float64Data(Float64Array.of(0.3, 0.35, 0.4, 0.45)),
      },
      meta('venn', 'scores'),
    );
    const svg = await renderSvg('box', frame(scores), args());
    expect(count(svg, /aria-roledescription="bar"/g)).toBe(4);
    expect(count(svg, /aria-roledescription="tick"/g)).toBe(4);
  });

  it('density: one panel per layer, KDE or histogram', async () => {
    const kde = await renderSvg('density', frame(stats), args());
    expect(count(kde, /aria-roledescription="area mark"/g)).toBe(3);
    const hist = await renderSvg('density', frame(stats), args({ hist: true, bins: 5 }));
    expect(count(hist, /aria-roledescription="bar"/g)).toBeGreaterThanOrEqual(3);
    for (const l of ['conv1', 'conv2', 'conv3']) expect(texts(hist)).toContain(l);
  });

  it('line: the mean per x when there are several rows per x (MF degree by layer)', async () => {
    const svg = await renderSvg('line', frame(stats), args({ y: 'gini', color: '' }));
    expect(count(svg, /aria-roledescription="point"/g)).toBe(3);
    expect(texts(svg)).toContain('mean gini');
  });

  it('line: similarity summary by layer', async () => {
    const sim = makeBatch(
      { layer: utf8Data(['conv1', 'conv2', 'conv3']), mean_pearson: float64Data(Float64Array.of(0.1, 0.2, 0.4)), mean_euclidean: float64Data(Float64Array.of(3, 2, 1)) },
      meta('similarity'),
    );
    const svg = await renderSvg('line', frame(sim), args());
    expect(count(svg, /aria-roledescription="line mark"/g) + count(svg, /aria-roledescription="line"/g)).toBeGreaterThan(0);
    expect(count(svg, /aria-roledescription="point"/g)).toBe(3);
    expect(texts(svg)).toContain('mean_pearson');
  });
});

describe('plot venn', () => {
  it('shows only-A / shared / only-B counts, names and the Jaccard caption', async () => {
    const svg = await renderSvg('venn', frame(summary), args({ names: 'imagenet,places' }));
    expect(count(svg, /<circle/g)).toBe(2);
    const t = texts(svg);
    expect(t).toEqual(expect.arrayContaining(['194', '180', '247', 'imagenet (374)', 'places (427)', 'Jaccard = 180 / 621 = 28.99%']));
  });

  it("reads venn's summary report (one row per model and layer; null layer = all layers)", async () => {
    const m = meta('venn', 'summary');
    m.set('cnnpipe.venn.names', '["imagenet","places"]');
    const b = makeBatch(
      {
        model: utf8Data(['imagenet', 'imagenet', 'places', 'places']),
        layer: utf8Data([null, 'l4', null, 'l4']),
        concepts: int32Data(Int32Array.of(374, 200, 427, 250)),
        only: int32Data(Int32Array.of(194, 120, 247, 170)),
        shared: int32Data(Int32Array.of(180, 80, 180, 80)),
        union: int32Data(Int32Array.of(621, 370, 621, 370)),
      },
      m,
    );
    const { names, sets } = vennCounts(frame(b), {});
    expect(names).toEqual(['imagenet', 'places']);
    expect(sets).toEqual([{ label: undefined, onlyA: 194, shared: 180, onlyB: 247 }]);
  });

  it('draws one pair of circles per layer of a per-layer report', async () => {
    const b = makeBatch(
      {
        layer: utf8Data(['l2', 'l3', 'l4']),
        shared: int32Data(Int32Array.of(1, 2, 3)),
        only_a: int32Data(Int32Array.of(4, 5, 6)),
        only_b: int32Data(Int32Array.of(7, 8, 9)),
      },
      meta('venn', 'per-layer'),
    );
    const svg = await renderSvg('venn', frame(b), args({ names: 'x,y' }));
    expect(count(svg, /<circle/g)).toBe(6);
    expect(texts(svg)).toEqual(expect.arrayContaining(['l2', 'l3', 'l4', 'Jaccard = 3 / 18 = 16.67%']));
  });

  it('counts from a concepts report (neurons per model)', () => {
    const concepts = makeBatch(
      { concept: utf8Data(['a', 'b', 'c', 'd']), a_neurons: int32Data(Int32Array.of(1, 0, 2, 3)), b_neurons: int32Data(Int32Array.of(1, 4, 0, 2)) },
      meta('venn', 'concepts'),
    );
    expect(vennCounts(frame(concepts), {}).sets[0]).toEqual({ onlyA: 1, shared: 2, onlyB: 1 });
  });
});

describe('plot montage', () => {
  it('grids the top images of each neuron with labels and values', async () => {
    const root = join(repoRoot, 'examples/data/fashion-mnist/test');
    const classes = readdirSync(root).sort().slice(0, 3);
    const images = classes.map((c) => join('examples/data/fashion-mnist/test', c, readdirSync(join(root, c)).sort()[0]!));
    const b = makeBatch(
      {
        layer: utf8Data(['conv2', 'conv2', 'conv2', 'conv2']),
        neuron: int32Data(Int32Array.of(0, 0, 1, 1)),
        rank: int32Data(Int32Array.of(2, 1, 1, 2)),
        image: utf8Data([images[0]!, images[1]!, images[2]!, images[0]!]),
        class: utf8Data([classes[0]!, classes[1]!, classes[2]!, classes[0]!]),
        value: float32Data(Float32Array.of(1.5, 2.5, 3.25, 1)),
      },
      meta('topk'),
    );
    const svg = await renderSvg('montage', frame(b), args({ images: repoRoot, cell: 48 }));
    expect(count(svg, /<image /g)).toBe(4);
    const t = texts(svg);
    expect(t).toEqual(expect.arrayContaining(['neuron 0', 'neuron 1', '2.50', '1.50', '3.25', classes[0]!]));
    // rank order within a row: rank 1 (value 2.50) before rank 2 (1.50)
    expect(t.indexOf('2.50')).toBeLessThan(t.indexOf('1.50'));
    const png = svgToPng(svg, 1);
    const m = await sharp(png).metadata();
    expect(m.format).toBe('png');
    expect(m.width).toBeGreaterThan(2 * 48);
  });
});

describe('plot CLI', () => {
  it('writes a PNG of the requested size (width x height x scale), with ink in it', async () => {
    const out = join(dir, 'top.png');
    const r = await runBin('plot', ['bar', '--x', 'concept', '--y', 'neurons', '--facet', '', '--width', '300', '--height', '200', '-o', out], ipc(top));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const m = await sharp(out).metadata();
    expect([m.width, m.height]).toEqual([600, 400]);
    const { data, info } = await sharp(out).greyscale().raw().toBuffer({ resolveWithObject: true });
    // text areas are not blank: the bottom band (axis labels) has dark pixels
    let dark = 0;
    for (let y = Math.floor(info.height * 0.8); y < info.height; y++) {
      for (let x = 0; x < info.width; x++) if (data[y * info.width + x]! < 100) dark++;
    }
    expect(dark).toBeGreaterThan(50);
  });

  it('gives the same bytes for the same input (SVG on stdout, PNG)', async () => {
    const a = await runBin('plot', ['heatmap'], ipc(accuracy));
    const b = await runBin('plot', ['heatmap'], ipc(accuracy));
    expect(a.code).toBe(0);
    expect(a.stdout.toString().startsWith('<svg')).toBe(true);
    expect(a.stdout.equals(b.stdout)).toBe(true);
    const f = frame(summary);
    const p1 = svgToPng(await renderSvg('venn', f, args()), 2);
    const p2 = svgToPng(await renderSvg('venn', f, args()), 2);
    expect(p1.equals(p2)).toBe(true);
  });

  it('rejects an unknown type with exit 2', async () => {
    const r = await runBin('plot', ['pie'], ipc(top));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown plot type 'pie'/);
  });

  it('names a missing column given by --x, exit 1, and leaves no file', async () => {
    const out = join(dir, 'missing.svg');
    const r = await runBin('plot', ['bar', '--x', 'nope', '-o', out], ipc(top));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no column 'nope' \(given by --x\)/);
    expect(() => readFileSync(out)).toThrow();
  });

  it('rejects an -o that is neither .svg nor .png', async () => {
    const r = await runBin('plot', ['bar', '-o', join(dir, 'x.pdf')], ipc(top));
    expect(r.code).toBe(2);
  });

  it('--help shows a runnable example', async () => {
    const r = await runBin('plot', ['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout.toString()).toMatch(/plot bar --facet model -o top.svg/);
  });
});

describe('plot heatmap of a layer-similarity table (compare)', () => {
  const layers = ['conv1', 'layer1', 'layer2'];
  const similarity = (method = 'cka', bModel = 'resnet') =>
    makeBatch(
      {
        a_model: utf8Data(Array(9).fill('vgg')),
        a_layer: utf8Data(['block1', 'block2', 'block3'].flatMap((l) => [l, l, l])),
        b_model: utf8Data(Array(9).fill(bModel)),
        b_layer: utf8Data([...layers, ...layers, ...layers]),
        value: float64Data(Float64Array.from([0.9, 0.6, 0.3, 0.5, 0.8, 0.5, 0.2, 0.4, 0.7])),
        method: utf8Data(Array(9).fill(method)),
        n: int32Data(new Int32Array(9).fill(2000)),
      },
      meta('layer-similarity'),
    );

  it("draws Kornblith's figure: B's layers across, A's up from the bottom, CKA on 0..1, named axes", async () => {
    const svg = await renderSvg('heatmap', frame(similarity()), args());
    expect(count(svg, /aria-roledescription="rect mark"/g)).toBe(9);
    const t = texts(svg);
    for (const v of ['vgg layer', 'resnet layer', 'linear CKA: vgg against resnet (2000 images)', '0.900', '0.700']) expect(t).toContain(v);
    // The y axis lists block3 first (top) and block1 last (bottom).
    const ys = t.filter((x) => x.startsWith('block'));
    expect(ys).toEqual(['block3', 'block2', 'block1']);
    // 0.9 is not the darkest possible blue: the scale is 0..1, not the data's 0.2..0.9.
    const byData = await renderSvg('heatmap', frame(similarity()), args({ domain: '0.2,0.9' }));
    const fill = (s: string) => /value: 0.9" [^>]*fill="(rgb\([^)]*\))"/.exec(s)![1];
    expect(fill(svg)).not.toEqual(fill(byData));
  });

  it('refuses a table of several model pairs, which would share axis labels', async () => {
    const b = similarity();
    const two = frameFromBatches('two.arrows', [b, similarity('cka', 'mobilenet')], b.schema.metadata, b.schema.fields);
    await expect(renderSvg('heatmap', two, args())).rejects.toThrow(/two.arrows: 2 model pairs or methods .*plot each compare output on its own/);
  });
});
