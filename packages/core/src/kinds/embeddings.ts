import type { FixedSizeList } from 'apache-arrow';
import { fixedSizeListData, fixedSizeListValues, makeBatch } from '../arrow/columns.js';
import { utf8Column } from '../arrow/utf8-column.js';
import type { KindCodec } from './codec.js';
import { utf8Rows } from './decode-columns.js';

/** An `embeddings` table (describe's concept set): per concept word its D-dimensional text embedding. */
export interface EmbeddingsRows {
  concept: (string | null)[];
  /** rows x dim, row-major. */
  embedding: Float32Array;
  dim: number;
}

export const embeddingsCodec: KindCodec<EmbeddingsRows, EmbeddingsRows, { dim: number }> = {
  kind: 'embeddings',
  numbers: () => ['embedding'],
  decode(columns) {
    const embedding = columns.getChild('embedding')!;
    const dim = (embedding.type as FixedSizeList).listSize;
    const values = columns.numRows === 0 ? new Float32Array(0) : fixedSizeListValues(embedding).values;
    return {
      concept: utf8Rows(columns, 'concept'),
      embedding: values instanceof Float32Array ? values : Float32Array.from(values),
      dim,
    };
  },
  encode: (rows, metadata) => makeBatch({ concept: utf8Column(rows.concept), embedding: fixedSizeListData(rows.embedding, rows.dim) }, metadata),
  empty: ({ dim }) => ({ concept: [], embedding: new Float32Array(0), dim }),
};
