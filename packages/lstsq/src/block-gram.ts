import { emptyGram, slicedGramBlock, type Gram, type SlicedGramBlock, type SliceDigits } from '@cnnpipe/core';
import { gramBlock, panelStarts, type GramBlock } from './gram-graph.js';

export type Block = Float32Array | Float64Array;

/** Blocks that went through the int8 digit products, and through float64 Gemm. */
export interface BlockCounts {
  int8: number;
  float64: number;
}

/**
 * A float64 Gram built block by block: each block's statistics from one onnxruntime graph
 * (gram-graph.ts: float64 Gemm over the Gram's upper block triangle; or, on the int8 path for
 * float32 blocks, core's exact int8 digit products) added into the upper triangle, mirrored
 * once at the end.
 */
export class BlockGram {
  readonly gram: Gram;
  readonly blocks: BlockCounts = { int8: 0, float64: 0 };
  private readonly starts: number[];

  constructor(
    readonly da: number,
    readonly db: number,
    private readonly path: 'int8' | 'float64',
    private readonly digits: SliceDigits,
  ) {
    this.gram = emptyGram(da, db);
    // Panels at least 256 wide, 4 to 8 of them: at 2048 x 2048, 8 panels cost 0.9 CPU s less than 4.
    this.starts = panelStarts(da, Math.max(4, Math.min(8, Math.floor(da / 256))));
  }

  /** One block's statistics: int8 digit products for float32 blocks on that path (unless NaN/Inf), else float64 Gemm. */
  private async statistics(x: Block, y: Block, rows: number): Promise<GramBlock | SlicedGramBlock> {
    const { da, db, starts } = this;
    if (this.path === 'int8' && x instanceof Float32Array && y instanceof Float32Array) {
      const block = await slicedGramBlock(x, y, rows, da, db, this.digits);
      if (block) {
        this.blocks.int8++;
        return block;
      }
    }
    this.blocks.float64++;
    return gramBlock(x, y, rows, da, db, starts);
  }

  /** Adds the first `rows` rows of x (rows x DA) and y (rows x DB). */
  async addBlock(x: Block, y: Block, rows: number): Promise<void> {
    const block = await this.statistics(x, y, rows);
    const { da, db, gram, starts } = this;
    const a1 = da + 1;
    const { xtx, xty, yy } = gram;
    if ('panels' in block) {
      for (let p = 0; p < starts.length - 1; p++) {
        const s = starts[p]!;
        const e = starts[p + 1]!;
        const w = da - s;
        const g = block.panels[p]!;
        for (let i = s; i < e; i++) {
          const go = (i - s) * w - s;
          const ro = i * a1;
          for (let j = s; j < da; j++) xtx[ro + j]! += g[go + j]!;
        }
      }
      for (let i = 0; i < da * db; i++) xty[i]! += block.xty[i]!;
    } else {
      block.addGramTo(xtx, a1);
      block.addCrossTo(xty);
    }
    for (let i = 0; i < da; i++) xtx[i * a1 + da]! += block.sumX[i]!;
    xtx[da * a1 + da]! += rows;
    for (let j = 0; j < db; j++) {
      xty[da * db + j]! += block.sumY[j]!;
      yy[j]! += block.sumYY[j]!;
    }
    gram.n += rows;
  }

  /** The Gram: blocks filled the upper triangle (and the panels' lower corners), mirrored here once. */
  finish(): Gram {
    const { da, gram } = this;
    const a1 = da + 1;
    const { xtx } = gram;
    for (let i = 0; i < a1; i++) for (let j = i + 1; j < a1; j++) xtx[j * a1 + i] = xtx[i * a1 + j]!;
    return gram;
  }
}
