import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FeatureBatch } from './features.js';

const live = new Set<string>();
process.once('exit', () => {
  for (const dir of live) rmSync(dir, { recursive: true, force: true });
});

/**
 * The threshold pass's feature maps kept on disk for the tally pass, so the model runs once
 * (as NetDissect-Lite's memmap): N x K x H x W float32 per layer in one temporary file
 * (ResNet18 layer4 at 224: 100 KB per image), deleted when the tally pass ends or the
 * process exits. `--recompute` runs the model twice instead and writes nothing.
 */
export class SpillFile {
  private readonly dir: string;
  private readonly fd: number;
  private written = 0;
  private readonly batches: { count: number; first: number; offset: number }[] = [];

  constructor(private readonly layerSizes: number[]) {
    this.dir = mkdtempSync(join(tmpdir(), 'cnnpipe-dissect-'));
    live.add(this.dir);
    this.fd = openSync(join(this.dir, 'features.f32'), 'w+');
  }

  write(batch: FeatureBatch): void {
    this.batches.push({ count: batch.count, first: batch.first, offset: this.written });
    for (const maps of batch.maps) {
      const bytes = new Uint8Array(maps.buffer, maps.byteOffset, maps.byteLength);
      let done = 0;
      while (done < bytes.length) done += writeSync(this.fd, bytes, done, bytes.length - done, this.written + done);
      this.written += bytes.length;
    }
  }

  async *read(): AsyncGenerator<FeatureBatch> {
    for (const b of this.batches) {
      let at = b.offset;
      const maps = this.layerSizes.map((size) => {
        const out = new Float32Array(size * b.count);
        const bytes = new Uint8Array(out.buffer);
        let done = 0;
        while (done < bytes.length) {
          const n = readSync(this.fd, bytes, done, bytes.length - done, at + done);
          if (n === 0) throw new Error('spill file ended early');
          done += n;
        }
        at += bytes.length;
        return out;
      });
      yield { count: b.count, first: b.first, maps };
    }
  }

  close(): void {
    closeSync(this.fd);
    rmSync(this.dir, { recursive: true, force: true });
    live.delete(this.dir);
  }
}
