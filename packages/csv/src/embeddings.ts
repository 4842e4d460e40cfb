import { CliError } from '@cnnpipe/core';

/**
 * A CSV of concept words and their (CLIP text) embeddings as the `embeddings` kind: either
 * `concept,embedding` with the embedding a JSON array per row, or a word then D numbers
 * per row (any header names; the first column is the word).
 */
export interface EmbeddingRows {
  concept: string[];
  /** rows x dim, row-major. */
  values: Float32Array;
  dim: number;
}

function number(cell: string, where: string, column: string): number {
  const v = cell.trim() === '' ? Number.NaN : Number(cell);
  if (!Number.isFinite(v)) throw new CliError(`${where}: column '${column}' is '${cell}' (expected a finite number)`);
  return v;
}

export function toEmbeddings(header: string[], rows: string[][], source: string): EmbeddingRows {
  const n = rows.length;
  const concept = rows.map((row) => row[0]!);
  if (header.length === 2 && header[1] === 'embedding') {
    let dim = -1;
    let values = new Float32Array(0);
    rows.forEach((row, r) => {
      const where = `${source}: row ${r + 2}`;
      let parsed: unknown;
      try {
        parsed = JSON.parse(row[1]!);
      } catch {
        parsed = undefined;
      }
      if (!Array.isArray(parsed)) throw new CliError(`${where}: column 'embedding' is not a JSON array of numbers (expected [x0,x1,...])`);
      if (dim < 0) {
        dim = parsed.length;
        values = new Float32Array(n * dim);
      }
      if (parsed.length !== dim) throw new CliError(`${where}: the embedding has ${parsed.length} values (expected ${dim}, as row 2)`);
      parsed.forEach((v, j) => (values[r * dim + j] = number(String(v), where, 'embedding')));
    });
    return { concept, values, dim: Math.max(dim, 0) };
  }
  const dim = header.length - 1;
  if (dim < 1) throw new CliError(`${source}: one column (expected a concept word then its embedding's numbers on each row)`);
  const values = new Float32Array(n * dim);
  rows.forEach((row, r) => {
    const where = `${source}: row ${r + 2}`;
    for (let j = 0; j < dim; j++) values[r * dim + j] = number(row[j + 1]!, where, header[j + 1]!);
  });
  return { concept, values, dim };
}
