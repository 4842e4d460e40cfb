import { CONCEPTS_CSV_KEY, float64Data, int32Data, makeBatch, META, utf8Data } from '@cnnpipe/core';
import { fromIPC, runBin } from '@cnnpipe/core/testing';
import { DataType, Table, tableToIPC, type FixedSizeList } from 'apache-arrow';
import { describe, expect, it } from 'vitest';

describe('csv --to-arrow --kind embeddings', () => {
  it('reads a word then D numbers per row as concept + FixedSizeList<float32>[D]', async () => {
    const result = await runBin('csv', ['--to-arrow', '--kind', 'embeddings'], 'concept,e0,e1,e2\ndog,0.5,-1,2\n"hot dog",0,0.25,1e-3\n');
    expect(result.stderr).toBe('');
    const table = fromIPC(result.stdout);
    expect(table.schema.metadata.get(META.kind)).toBe('embeddings');
    const type = table.schema.fields[1]!.type as FixedSizeList;
    expect(DataType.isFixedSizeList(type) && type.listSize).toBe(3);
    expect(table.getChild('concept')!.toArray()).toEqual(['dog', 'hot dog']);
    expect(Array.from(table.getChild('embedding')!.get(1) as Float32Array)).toEqual([0, 0.25, Math.fround(1e-3)]);
  });

  it('reads concept,embedding with JSON arrays', async () => {
    const result = await runBin('csv', ['--to-arrow', '--kind', 'embeddings'], 'concept,embedding\ncat,"[1,2]"\nbird,"[3,4]"\n');
    const table = fromIPC(result.stdout);
    expect(Array.from(table.getChild('embedding')!.get(1) as Float32Array)).toEqual([3, 4]);
  });

  it('names the row and column of a cell that is not a number', async () => {
    const result = await runBin('csv', ['--to-arrow', '--kind', 'embeddings'], 'concept,e0,e1\ndog,0.5,x\n');
    expect(result.code).toBe(1);
    expect(result.stderr).toBe("csv: error: stdin: row 2: column 'e1' is 'x' (expected a finite number)\n");
  });
});

describe("csv of describe's concepts table", () => {
  const concepts = (marked: boolean) =>
    tableToIPC(
      new Table([
        makeBatch(
          { layer: utf8Data(['layer4', 'layer4']), unit: int32Data(Int32Array.of(0, 1)), concept: utf8Data(['dog', 'sky']), score: float64Data(Float64Array.of(1.5, -0.25)) },
          new Map([[META.kind, 'concepts'], ...(marked ? [[CONCEPTS_CSV_KEY, 'clip-dissect'] as [string, string]] : [])]),
        ),
      ]),
      'stream',
    );

  it("is CLIP-Dissect's descriptions.csv, and reads back as the same concepts", async () => {
    const result = await runBin('csv', [], concepts(true));
    expect(result.stdout.toString()).toBe('layer,unit,description,similarity\nlayer4,0,dog,1.5\nlayer4,1,sky,-0.25\n');
    const back = await runBin('csv', ['--to-arrow', '--kind', 'concepts'], result.stdout);
    expect(fromIPC(back.stdout).toArray().map((r) => r.toJSON())).toEqual([
      { layer: 'layer4', unit: 0, concept: 'dog', score: 1.5 },
      { layer: 'layer4', unit: 1, concept: 'sky', score: -0.25 },
    ]);
  });

  it('keeps the column names for a concepts table without the mark', async () => {
    const result = await runBin('csv', [], concepts(false));
    expect(result.stdout.toString().split('\n')[0]).toBe('layer,unit,concept,score');
  });
});
