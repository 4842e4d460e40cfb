import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CONCEPTS_CSV_KEY, META } from '@cnnpipe/core';
import { fromIPC, runBin } from '@cnnpipe/core/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULTS, describeNeurons } from './describe.js';
import { synthetic } from './test-support/synthetic.js';
import { conceptWord, imageName, writeConceptTable, writeImageTables } from './test-support/tables.js';

const dir = mkdtempSync(join(tmpdir(), 'cnnpipe-describe-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const data = synthetic({ n: 300, d: 20, c: 12, layers: [['layer3', 12], ['layer4', 5]], seed: 11 });
const { activations, images } = writeImageTables(dir, data);
const concepts = writeConceptTable(dir, data);
const inputs = ['--activations', activations, '--image-embeddings', images, '--concepts', concepts];

describe('describe (the command)', () => {
  it('writes the concepts kind: neuron k is described by concept k, scores as describeNeurons gives them', async () => {
    const result = await runBin('describe', [...inputs, '--keep', '2']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const table = fromIPC(result.stdout);
    expect(table.schema.metadata.get(META.kind)).toBe('concepts');
    expect(table.schema.metadata.get(CONCEPTS_CSV_KEY)).toBe('clip-dissect');
    expect(table.schema.fields.map((f) => f.name)).toEqual(['layer', 'unit', 'concept', 'score', 'runner_ups', 'runner_up_scores']);
    const rows = table.toArray().map((r) => r.toJSON() as Record<string, unknown>);
    expect(rows.map((r) => `${r.layer}/${r.unit}`)).toEqual([
      ...Array.from({ length: 12 }, (_, k) => `layer3/${k}`),
      ...Array.from({ length: 5 }, (_, k) => `layer4/${k}`),
    ]);
    rows.forEach((r) => expect(r.concept).toBe(conceptWord(Number(r.unit) % data.c)));
    const direct = await describeNeurons(
      { values: data.images, rows: data.n, dim: data.d },
      { values: data.concepts, rows: data.c, dim: data.d },
      data.layers,
      { similarity: 'soft-wpmi', ...DEFAULTS['soft-wpmi'], minProb: 1e-7, pStart: 0.998, pEnd: 0.97, minNorm: 1e-3, keep: 2 },
    );
    const flat = direct.flatMap((l) => Array.from({ length: l.neurons }, (_, k) => [l.score[k * 3]!, l.score[k * 3 + 1]!, l.concept[k * 3 + 1]!]));
    rows.forEach((r, i) => {
      expect(r.score).toBe(flat[i]![0]);
      expect(Array.from(r.runner_up_scores as Float64Array)[0]).toBe(flat[i]![1]);
      expect(Array.from(r.runner_ups as string[])[0]).toBe(conceptWord(flat[i]![2]!));
    });
  });

  it("csv makes CLIP-Dissect's descriptions.csv of it, which csv --to-arrow and venn read back", async () => {
    const out = join(dir, 'described.arrows');
    expect((await runBin('describe', [...inputs, '-o', out])).code).toBe(0);
    const csv = await runBin('csv', [out]);
    const lines = csv.stdout.toString().trim().split('\n');
    expect(lines[0]).toBe('layer,unit,description,similarity');
    expect(lines[1]).toMatch(/^layer3,0,concept0,-?\d/);
    expect(lines).toHaveLength(1 + 17);
    const csvFile = join(dir, 'descriptions.csv');
    writeFileSync(csvFile, csv.stdout);
    const back = await runBin('csv', ['--to-arrow', '--kind', 'concepts', csvFile, '-o', join(dir, 'back.arrows')]);
    expect(back.code).toBe(0);
    const perLayer = await runBin('venn', [out, join(dir, 'back.arrows'), '--names', 'arrow,csv', '--report', 'per-layer']);
    expect(perLayer.stderr).toBe('');
    expect(fromIPC(perLayer.stdout).toArray().map((r) => r.toJSON())).toEqual([
      { layer: 'layer3', a_neurons: 12, b_neurons: 12, a_concepts: 12, b_concepts: 12, shared: 12, only_a: 0, only_b: 0, union: 12, jaccard: 1 },
      { layer: 'layer4', a_neurons: 5, b_neurons: 5, a_concepts: 5, b_concepts: 5, shared: 5, only_a: 0, only_b: 0, union: 5, jaccard: 1 },
    ]);
    // The scores survive the CSV: both models' score statistics are the same numbers.
    const scores = fromIPC((await runBin('venn', [out, join(dir, 'back.arrows'), '--names', 'arrow,csv', '--report', 'scores'])).stdout)
      .toArray()
      .map((r) => r.toJSON() as Record<string, unknown>);
    const strip = (rows: Record<string, unknown>[]) => rows.map(({ model: _model, ...rest }) => rest);
    expect(strip(scores.filter((r) => r.model === 'arrow'))).toEqual(strip(scores.filter((r) => r.model === 'csv')));
    expect(scores.filter((r) => r.model === 'arrow')).toHaveLength(2);
  });

  it('images missing from the CLIP table: one line naming the first, exit 1, no output file', async () => {
    const few = mkdtempSync(join(dir, 'few-'));
    const partial = writeImageTables(few, data, Array.from({ length: 250 }, (_, x) => x));
    const out = join(dir, 'never.arrows');
    const missing = await runBin('describe', ['--activations', activations, '--image-embeddings', partial.images, '--concepts', concepts, '-o', out]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe(
      `describe: error: image '${imageName(250)}' is in ${activations} but not in ${partial.images} (expected the same images in both; embed every probe image with CLIP)\n`,
    );
    expect(existsSync(out)).toBe(false);
    const extra = await runBin('describe', ['--activations', partial.activations, '--image-embeddings', images, '--concepts', concepts]);
    expect(extra.code).toBe(1);
    expect(extra.stderr).toMatch(new RegExp(`^describe: error: image '${imageName(299)}' is in ${images} but not in ${partial.activations}`));
  });

  it('a pyarrow-written concept table (no kind, List<float32>) and a CSV through csv --to-arrow give the same table', async () => {
    const want = fromIPC((await runBin('describe', inputs)).stdout).toArray().map((r) => r.toJSON());
    const py = writeConceptTable(dir, data, { pyarrow: true, file: 'pyarrow.arrows' });
    const fromPy = await runBin('describe', ['--activations', activations, '--image-embeddings', `${images}:logits`, '--concepts', py]);
    // A reader of foreign tables may say what it assumed (a note); nothing worse.
    expect(fromPy.code).toBe(0);
    expect(fromPy.stderr).not.toMatch(/error|warning/);
    expect(fromIPC(fromPy.stdout).toArray().map((r) => r.toJSON())).toEqual(want);
    const header = ['concept', ...Array.from({ length: data.d }, (_, j) => `e${j}`)].join(',');
    const lines = Array.from({ length: data.c }, (_, t) => [conceptWord(t), ...Array.from(data.concepts.subarray(t * data.d, (t + 1) * data.d))].join(','));
    const csvFile = join(dir, 'concepts.csv');
    writeFileSync(csvFile, `${header}\n${lines.join('\n')}\n`);
    const converted = join(dir, 'from-csv.arrows');
    expect((await runBin('csv', ['--to-arrow', '--kind', 'embeddings', csvFile, '-o', converted])).code).toBe(0);
    const fromCsv = await runBin('describe', ['--activations', activations, '--image-embeddings', images, '--concepts', converted]);
    expect(fromIPC(fromCsv.stdout).toArray().map((r) => r.toJSON())).toEqual(want);
  });

  it('--concept-list selects concepts in its order; a word not in the table is an error naming it', async () => {
    const list = join(dir, 'list.txt');
    writeFileSync(list, `${conceptWord(3)}\n\n${conceptWord(1)}\r\n${conceptWord(3)}\n${conceptWord(0)}\n`);
    const result = await runBin('describe', [...inputs, '--concept-list', list, '--layer', 'layer4']);
    expect(result.stderr).toBe(`describe: warning: ${list}: 1 repeated word(s) taken once\n`);
    const rows = fromIPC(result.stdout).toArray().map((r) => r.toJSON() as Record<string, unknown>);
    expect(rows.map((r) => r.layer)).toEqual(new Array(5).fill('layer4'));
    expect(rows[0]!.concept).toBe(conceptWord(0));
    expect(rows[1]!.concept).toBe(conceptWord(1));
    expect(rows[3]!.concept).toBe(conceptWord(3));
    writeFileSync(list, 'concept1\nzebra\n');
    const bad = await runBin('describe', [...inputs, '--concept-list', list]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe(`describe: error: ${list}: word 'zebra' is not in ${concepts} (expected words of its 'concept' column)\n`);
  });

  it('duplicate concept words: kept as concepts of their own, with a warning; the earlier row wins a tie', async () => {
    // Row 12 repeats row 2, word and embedding: the same scores, so the earlier row is the description.
    const words = [...Array.from({ length: data.c }, (_, t) => conceptWord(t)), conceptWord(2)];
    const embeddings = new Float32Array((data.c + 1) * data.d);
    embeddings.set(data.concepts);
    embeddings.set(data.concepts.subarray(2 * data.d, 3 * data.d), data.c * data.d);
    const dup = writeConceptTable(dir, { ...data, c: data.c + 1, concepts: embeddings }, { words, file: 'dup.arrows' });
    const result = await runBin('describe', ['--activations', activations, '--image-embeddings', images, '--concepts', dup, '--keep', '1', '--layer', 'layer3']);
    expect(result.stderr).toBe(
      `describe: warning: ${dup}: 1 repeated concept word(s), first '${conceptWord(2)}': each row is a concept of its own (as in CLIP-Dissect: it counts again in the softmax), and of equal scores the earlier row wins\n`,
    );
    const rows = fromIPC(result.stdout).toArray().map((r) => r.toJSON() as Record<string, unknown>);
    expect(rows[2]!.concept).toBe(conceptWord(2));
    expect(Array.from(rows[2]!.runner_ups as string[])).toEqual([conceptWord(2)]);
    expect(Array.from(rows[2]!.runner_up_scores as Float64Array)).toEqual([rows[2]!.score]);
    rows.forEach((r) => expect(r.concept).toBe(conceptWord(Number(r.unit))));
  });

  it('one neuron in a layer: a warning, score 0, the first concept', async () => {
    const one = synthetic({ n: 120, d: 8, c: 6, layers: [['fc', 1]], seed: 2 });
    const sub = mkdtempSync(join(dir, 'one-'));
    const t = writeImageTables(sub, one);
    const result = await runBin('describe', ['--activations', t.activations, '--image-embeddings', t.images, '--concepts', writeConceptTable(sub, one)]);
    expect(result.stderr).toBe("describe: warning: layer 'fc' has one neuron: log p(t) is its own log p(t|E), so every score is 0 and the first concept describes it\n");
    expect(fromIPC(result.stdout).toArray().map((r) => r.toJSON())).toEqual([{ layer: 'fc', unit: 0, concept: conceptWord(0), score: 0 }]);
  });

  it('fewer images than --top-k: a warning, and all images are used', async () => {
    const result = await runBin('describe', [...inputs, '--top-k', '500', '--similarity', 'wpmi']);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe("describe: warning: --top-k 500 but 300 images: each neuron's top 300 are used (as top_k = 300)\n");
  });

  it('bad input: mismatched dimensions, unknown layer, bad flags', async () => {
    const other = synthetic({ n: 10, d: 7, c: 4, layers: [['x', 1]], seed: 1 });
    const wrongDim = writeConceptTable(mkdtempSync(join(dir, 'dim-')), other);
    const dim = await runBin('describe', ['--activations', activations, '--image-embeddings', images, '--concepts', wrongDim]);
    expect(dim.code).toBe(2);
    expect(dim.stderr).toMatch(/embeddings have 7 values, .* column 'logits' has 20 \(expected the same CLIP model's image and text embeddings\)/);
    const layer = await runBin('describe', [...inputs, '--layer', 'layer9']);
    expect(layer.code).toBe(1);
    expect(layer.stderr).toBe(`describe: error: ${activations}: no layer column 'layer9' (expected FixedSizeList<float32>; layer columns are: layer3, layer4)\n`);
    const column = await runBin('describe', ['--activations', activations, '--image-embeddings', `${images}:clip`, '--concepts', concepts]);
    expect(column.stderr).toBe(`describe: error: ${images}: no column 'clip' (vector columns are: logits)\n`);
    const flag = await runBin('describe', [...inputs, '--p-start', '2']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/--p-start must be in \[0, 1\], got 2/);
    const wrongKind = await runBin('describe', ['--activations', concepts, '--image-embeddings', images, '--concepts', concepts]);
    expect(wrongKind.stderr).toBe(`describe: error: ${concepts}: wrong table kind (expected 'activations', got 'embeddings')\n`);
  });

  it('reads the activations from stdin (extract ... | describe) and stops at a non-finite activation, naming the image', async () => {
    const fromFile = (await runBin('describe', inputs)).stdout;
    const piped = await runBin('describe', ['--image-embeddings', images, '--concepts', concepts], readFileSync(activations));
    expect(piped.stderr).toBe('');
    expect(Buffer.compare(piped.stdout, fromFile)).toBe(0);
    const bad = mkdtempSync(join(dir, 'nan-'));
    const values = data.layers[0]!.values.slice();
    values[7 * 12 + 3] = Number.NaN;
    const t = writeImageTables(bad, { ...data, layers: [{ ...data.layers[0]!, values }] });
    const result = await runBin('describe', ['--activations', t.activations, '--image-embeddings', t.images, '--concepts', concepts]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`describe: error: ${t.activations}: column 'layer3' has NaN at '${imageName(7)}', element 3 (expected finite numbers)\n`);
  });

  it('--help shows a runnable example', async () => {
    const result = await runBin('describe', ['--help']);
    expect(result.code).toBe(0);
    expect(result.stdout.toString()).toMatch(/Examples:\n\s+describe --activations examples\/describe/);
  });
});
