import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeModel, fixedSizeListData, float64Data, int32Data, makeBatch, mulberry32, primitiveValues, utf8Data } from '@cnnpipe/core';
import { fromIPC, repoRoot, runBin } from '@cnnpipe/core/testing';
import { Table, tableToIPC } from 'apache-arrow';
import { beforeAll, describe, expect, it, afterAll } from 'vitest';

const zoo = join(repoRoot, 'examples/zoo');

const rand = mulberry32;

/** The zoo's 10-class models' output order (their cnnpipe.classes metadata). */
const LABELS = ['t-shirt', 'trouser', 'pullover', 'dress', 'coat', 'sandal', 'shirt', 'sneaker', 'bag', 'ankle-boot'];

function activationsIPC(
  x: Float32Array,
  d: number,
  labels: Int32Array,
  meta: Record<string, string> = {},
  column = 'features',
  names: (l: number) => string = (l) => LABELS[l] ?? `c${l}`,
): Uint8Array {
  const n = labels.length;
  const images = Array.from({ length: n }, (_, i) => `val/${i}.png`);
  const metadata = new Map([['cnnpipe.kind', 'activations'], ['cnnpipe.model', 'resnet.onnx'], ...Object.entries(meta)]);
  const batches = [];
  for (let s = 0; s < n; s += 40) {
    const e = Math.min(n, s + 40);
    batches.push(
      makeBatch(
        {
          image: utf8Data(images.slice(s, e)),
          label: int32Data(labels.slice(s, e), (i) => labels[s + i]! < 0),
          class: utf8Data(Array.from(labels.slice(s, e), (l) => (l < 0 ? null : names(l)))),
          [column]: fixedSizeListData(x.slice(s * d, e * d), d),
        },
        metadata,
      ),
    );
  }
  return tableToIPC(new Table(batches), 'stream');
}

/** W x + b of the model's /fc/Gemm, read straight from the ONNX protobuf and computed with plain loops. */
function referenceLogits(model: string, x: Float32Array, n: number): { logits: Float64Array; k: number } {
  const graph = decodeModel(readFileSync(model)).graph!;
  const init = (name: string) => {
    const t = graph.initializer!.find((i) => i.name === name)!;
    const raw = t.rawData!;
    return { dims: t.dims!.map(Number), values: new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength)) };
  };
  const w = init('fc.weight');
  const b = init('fc.bias');
  const [k, d] = w.dims as [number, number];
  const logits = new Float64Array(n * k);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < k; c++) {
      let s = b.values[c]!;
      for (let j = 0; j < d; j++) s += w.values[c * d + j]! * x[i * d + j]!;
      logits[i * k + c] = s;
    }
  }
  return { logits, k };
}

describe('classify', () => {
  const n = 200;
  const d = 128;
  let dir: string;
  let x: Float32Array;
  let ref: { logits: Float64Array; k: number };
  let argmax: Int32Array;
  let labels: Int32Array;
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'classify-test-'));
    const r = rand(7);
    x = new Float32Array(n * d).map(() => Math.max(0, r() * 2 - 0.5));
    ref = referenceLogits(join(zoo, 'resnet.onnx'), x, n);
    argmax = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      let best = 0;
      for (let c = 1; c < ref.k; c++) if (ref.logits[i * ref.k + c]! > ref.logits[i * ref.k + best]!) best = c;
      argmax[i] = best;
    }
    // Labels: right for even rows, wrong for odd rows, unknown for every 10th.
    labels = Int32Array.from(argmax, (p, i) => (i % 10 === 9 ? -1 : i % 2 === 0 ? p : (p + 1) % 10));
    writeFileSync(join(dir, 'act.arrows'), activationsIPC(x, d, labels));
  });

  it('--model: predictions equal the argmax of W x + b computed independently', async () => {
    const res = await runBin('classify', ['--model', join(zoo, 'resnet.onnx'), join(dir, 'act.arrows')]);
    expect(res.stderr).toBe('');
    const t = fromIPC(res.stdout);
    expect(t.schema.metadata.get('cnnpipe.kind')).toBe('predictions');
    expect(t.schema.fields.map((f) => f.name)).toEqual(['image', 'label', 'pred', 'top1', 'top5']);
    expect(Array.from(t.getChild('pred')!.toArray() as Int32Array)).toEqual(Array.from(argmax));
    const top1 = t.getChild('top1')!.toJSON();
    const top5 = t.getChild('top5')!.toJSON();
    for (let i = 0; i < n; i++) {
      if (i % 10 === 9) {
        expect(top1[i]).toBeNull();
        expect(top5[i]).toBeNull();
        continue;
      }
      expect(top1[i]).toBe(i % 2 === 0);
      const v = ref.logits[i * 10 + labels[i]!]!;
      let higher = 0;
      for (let c = 0; c < 10; c++) if (ref.logits[i * 10 + c]! > v) higher++;
      expect(top5[i]).toBe(higher < 5);
    }
  });

  it('--summary: one accuracy row, names from the metadata', async () => {
    writeFileSync(join(dir, 'mapped.arrows'), activationsIPC(x, d, labels, { 'cnnpipe.source': 'vgg', 'cnnpipe.model': 'vgg.onnx' }, 'mapped'));
    const res = await runBin('classify', ['--model', join(zoo, 'resnet.onnx'), '--column', 'mapped', '--summary', join(dir, 'mapped.arrows')]);
    expect(res.stderr).toBe('');
    const t = fromIPC(res.stdout);
    expect(t.schema.metadata.get('cnnpipe.kind')).toBe('accuracy');
    const row = t.get(0)!.toJSON();
    expect(row.source).toBe('vgg');
    expect(row.target).toBe('resnet');
    expect(row.n).toBe(180);
    expect(row.top1).toBeCloseTo(100 / 180, 12);
  });

  it('--classes: the truth comes from the class names', async () => {
    const names = LABELS;
    const model = ['--model', join(zoo, 'resnet.onnx'), '--summary', join(dir, 'act.arrows')];
    const same = fromIPC((await runBin('classify', [...model, '--classes', names.join(',')])).stdout).get(0)!.toJSON();
    expect(same.n).toBe(180);
    expect(same.top1).toBeCloseTo(100 / 180, 12);
    writeFileSync(join(dir, 'classes.json'), JSON.stringify([...names].reverse()));
    const rev = await runBin('classify', [...model, '--classes', join(dir, 'classes.json')]);
    expect(rev.stderr).toBe('');
    let right = 0;
    for (let i = 0; i < n; i++) if (i % 10 !== 9 && argmax[i] === 9 - labels[i]!) right++;
    expect(fromIPC(rev.stdout).get(0)!.toJSON().top1).toBeCloseTo(right / 180, 12);
    // The tools' one syntax: @file, one name a line (or a JSON list), as extract and cof take it.
    writeFileSync(join(dir, 'classes.txt'), `${[...names].reverse().join('\n')}\n`);
    for (const file of ['classes.txt', 'classes.json']) {
      const at = await runBin('classify', [...model, '--classes', `@${join(dir, file)}`]);
      expect(fromIPC(at.stdout).get(0)!.toJSON().top1).toBeCloseTo(right / 180, 12);
    }
    const bad = await runBin('classify', [...model, '--classes', 'a,b']);
    expect(bad.code).toBe(2);
  });

  it("without --classes the model's cnnpipe.classes metadata names the truth, not the label index", async () => {
    // Labels as ImageFolder gives them (sorted folder names), the model's order differs.
    const sorted = [...LABELS].sort();
    const folderLabel = Int32Array.from(labels, (l) => (l < 0 ? -1 : sorted.indexOf(LABELS[l]!)));
    writeFileSync(join(dir, 'sorted.arrows'), activationsIPC(x, d, folderLabel, { 'cnnpipe.classes': JSON.stringify(sorted) }, 'features', (l) => sorted[l]!));
    const res = await runBin('classify', ['--model', join(zoo, 'resnet.onnx'), '--summary', join(dir, 'sorted.arrows')]);
    expect(res.stderr).toBe('');
    const row = fromIPC(res.stdout).get(0)!.toJSON();
    expect(row.n).toBe(180);
    expect(row.top1).toBeCloseTo(100 / 180, 12);
    // Label names that are not the model's classes: one warning, label indices as before.
    writeFileSync(join(dir, 'foreign.arrows'), activationsIPC(x, d, labels, {}, 'features', (l) => `c${l}`));
    const foreign = await runBin('classify', ['--model', join(zoo, 'resnet.onnx'), '--summary', join(dir, 'foreign.arrows')]);
    const lines = foreign.stderr.toString().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^classify: warning: .*foreign.arrows: class\(es\) c\d, c\d, c\d and \d+ more of the labels are not among resnet's classes \(its cnnpipe.classes metadata: t-shirt, trouser, pullover and 7 more\); scored by label index/);
    expect(fromIPC(foreign.stdout).get(0)!.toJSON().top1).toBeCloseTo(100 / 180, 12);
  });

  it('--weights: an affine-map-like table as the classifier', async () => {
    const k = 3;
    const w = new Float64Array(k * d);
    for (let c = 0; c < k; c++) w[c * d + c] = 1;
    const weights = makeBatch(
      { dim: int32Data(Int32Array.of(0, 1, 2)), weights: fixedSizeListData(w, d), bias: float64Data(Float64Array.of(0, 0, 0.5)) },
      new Map([['cnnpipe.kind', 'affine-map'], ['cnnpipe.target', 'toy']]),
    );
    writeFileSync(join(dir, 'w.arrows'), tableToIPC(new Table([weights]), 'stream'));
    const res = await runBin('classify', ['--weights', join(dir, 'w.arrows'), join(dir, 'act.arrows')]);
    expect(res.stderr).toBe('');
    const pred = primitiveValues(fromIPC(res.stdout).getChild('pred')!);
    for (let i = 0; i < n; i++) {
      const s = [x[i * d]!, x[i * d + 1]!, x[i * d + 2]! + 0.5];
      expect(pred[i]).toBe(s.indexOf(Math.max(...s)));
    }
  });

  it('the logit map passes the study check: classify(apply(map A->B)) predicts what A predicts', async () => {
    const r = rand(11);
    const da = 96;
    const xa = new Float32Array(n * da).map(() => Math.max(0, r() * 2 - 0.5));
    writeFileSync(join(dir, 'vgg.arrows'), activationsIPC(xa, da, new Int32Array(n), { 'cnnpipe.model': 'vgg.onnx' }));
    const own = await runBin('classify', ['--model', join(zoo, 'vgg.onnx'), join(dir, 'vgg.arrows')]);
    const map = await runBin('lstsq', ['logits', '--source-model', join(zoo, 'vgg.onnx'), '--target-model', join(zoo, 'resnet.onnx'), '-o', join(dir, 'lm.arrows')]);
    expect(map.code).toBe(0);
    const applied = await runBin('lstsq', ['apply', '--map', join(dir, 'lm.arrows'), join(dir, 'vgg.arrows')]);
    expect(applied.stderr).toBe('');
    const viaB = await runBin('classify', ['--model', join(zoo, 'resnet.onnx')], applied.stdout);
    expect(viaB.stderr).toBe('');
    expect(Array.from(fromIPC(viaB.stdout).getChild('pred')!.toArray() as Int32Array)).toEqual(
      Array.from(fromIPC(own.stdout).getChild('pred')!.toArray() as Int32Array),
    );
  });

  it('wrong kind, wrong width, and --help', async () => {
    const res = await runBin('classify', ['--model', join(zoo, 'resnet.onnx'), join(dir, 'w.arrows')]);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/^classify: error: .*expected 'activations', got 'affine-map'/);
    const wide = await runBin('classify', ['--model', join(zoo, 'vgg.onnx'), join(dir, 'act.arrows')]);
    expect(wide.code).toBe(1);
    expect(wide.stderr).toMatch(/128 features \(expected 96/);
    const usage = await runBin('classify', [join(dir, 'act.arrows')]);
    expect(usage.code).toBe(2);
    const help = await runBin('classify', ['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout.toString()).toMatch(/\| classify --model examples\/zoo\/resnet.onnx --summary/);
  });
});
