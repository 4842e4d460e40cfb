import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromIPC, repoRoot, runBin } from '@cnnpipe/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chooseClassOrder } from './class-order.js';

const zoo = join(repoRoot, 'examples', 'zoo');
const testImages = join(repoRoot, 'examples', 'data', 'fashion-mnist', 'test');
/** Fashion-MNIST's label order, the zoo models' output order (tools/zoo/train.py). */
const LABELS = ['t-shirt', 'trouser', 'pullover', 'dress', 'coat', 'sandal', 'shirt', 'sneaker', 'bag', 'ankle-boot'];

describe('chooseClassOrder', () => {
  it("the model's order when the folders are its classes (a subset too), else the folders with one warning", () => {
    expect(chooseClassOrder(['bag', 'coat'], LABELS, 'm.onnx')).toEqual({ classes: LABELS });
    expect(chooseClassOrder(['bag', 'coat'], undefined, 'm.onnx')).toEqual({ classes: ['bag', 'coat'] });
    expect(chooseClassOrder([], LABELS, 'm.onnx')).toEqual({ classes: [] });
    const foreign = chooseClassOrder(['bag', 'cat', 'dog'], LABELS, 'm.onnx');
    expect(foreign.classes).toEqual(['bag', 'cat', 'dog']);
    expect(foreign.warning).toMatch(/^class folder\(s\) cat, dog are not among m.onnx's classes/);
  });
});

describe('extract labels by the model\'s cnnpipe.classes', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'extract-classes-'));
    // Two images of three classes; one folder set with a class the model lacks.
    for (const cls of ['bag', 'coat', 'trouser']) {
      mkdirSync(join(dir, 'fashion', cls), { recursive: true });
      for (const f of readdirSync(join(testImages, cls)).slice(0, 2)) copyFileSync(join(testImages, cls, f), join(dir, 'fashion', cls, f));
    }
    mkdirSync(join(dir, 'pets', 'cat'), { recursive: true });
    copyFileSync(join(dir, 'fashion', 'bag', readdirSync(join(dir, 'fashion', 'bag'))[0]!), join(dir, 'pets', 'cat', 'a.png'));
    writeFileSync(join(dir, 'classes.json'), '["not", "a model"]');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('labels are the model\'s output indices, the metadata lists its classes, no warning', async () => {
    const res = await runBin('extract', ['--model', join(zoo, 'resnet.onnx'), '--layer', 'layer4', '--logits', join(dir, 'fashion')]);
    expect(res.stderr.toString()).toBe('');
    const t = fromIPC(res.stdout);
    expect(JSON.parse(t.schema.metadata.get('cnnpipe.classes')!)).toEqual(LABELS);
    const classes = t.getChild('class')!.toJSON() as string[];
    const labels = Array.from(t.getChild('label')!.toArray() as Int32Array);
    expect(labels).toEqual(classes.map((c) => LABELS.indexOf(c)));
    // The model's own argmax agrees with those labels (it would not with sorted folder indices).
    const logits = t.getChild('logits')!;
    let right = 0;
    for (let i = 0; i < t.numRows; i++) {
      const row = Array.from(logits.get(i)!.toArray() as Float32Array);
      if (row.indexOf(Math.max(...row)) === labels[i]) right++;
    }
    expect(right).toBeGreaterThanOrEqual(5);
  });

  it('--classes overrides; folders the model does not know give one warning and sorted folder labels', async () => {
    const given = await runBin('extract', ['--model', join(zoo, 'resnet.onnx'), '--layer', 'layer4', '--classes', 'trouser,coat,bag', join(dir, 'fashion')]);
    expect(given.stderr.toString()).toBe('');
    expect(JSON.parse(fromIPC(given.stdout).schema.metadata.get('cnnpipe.classes')!)).toEqual(['trouser', 'coat', 'bag']);
    const pets = await runBin('extract', ['--model', join(zoo, 'resnet.onnx'), '--layer', 'layer4', join(dir, 'fashion'), join(dir, 'pets')]);
    const lines = pets.stderr.toString().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^extract: warning: class folder\(s\) cat are not among resnet.onnx's classes .*give --classes/);
    expect(JSON.parse(fromIPC(pets.stdout).schema.metadata.get('cnnpipe.classes')!)).toEqual(['bag', 'cat', 'coat', 'trouser']);
  });

  it('a model file that is not a model, or is missing, says so in words', async () => {
    const json = await runBin('extract', ['--model', join(dir, 'classes.json'), '--layer', 'x', join(dir, 'fashion')]);
    expect(json.code).toBe(1);
    expect(json.stderr.toString()).toMatch(/classes.json: not an ONNX model \(it is a text file\)/);
    const missing = await runBin('extract', ['--model', join(dir, 'nope.onnx'), '--layer', 'x', join(dir, 'fashion')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr.toString()).toMatch(/nope.onnx: cannot read the model: no such file$/m);
  });
});
