/**
 * Each unit's N probe images of highest peak activation and their maps, kept while the
 * tally pass streams (units x N x H x W floats per layer): what NetDissect-Lite shows per
 * unit, the images with the thresholded activation drawn over them.
 */
export class TopImages {
  readonly values: Float32Array;
  readonly images: Int32Array;
  readonly maps: Float32Array;

  constructor(
    readonly units: number,
    readonly count: number,
    readonly hw: number,
  ) {
    this.values = new Float32Array(units * count).fill(Number.NEGATIVE_INFINITY);
    this.images = new Int32Array(units * count).fill(-1);
    this.maps = new Float32Array(units * count * hw);
  }

  /** Adds one image's maps [units, hw] at `offset` (ties keep the earlier image). */
  addImage(maps: Float32Array, offset: number, image: number): void {
    const { units, count, hw, values, images } = this;
    for (let k = 0; k < units; k++) {
      const base = offset + k * hw;
      let max = Number.NEGATIVE_INFINITY;
      for (let j = 0; j < hw; j++) if (maps[base + j]! > max) max = maps[base + j]!;
      const row = k * count;
      if (!(max > values[row + count - 1]!)) continue;
      let at = count - 1;
      while (at > 0 && max > values[row + at - 1]!) {
        values[row + at] = values[row + at - 1]!;
        images[row + at] = images[row + at - 1]!;
        this.maps.copyWithin((row + at) * hw, (row + at - 1) * hw, (row + at) * hw);
        at--;
      }
      values[row + at] = max;
      images[row + at] = image;
      this.maps.set(maps.subarray(base, base + hw), (row + at) * hw);
    }
  }
}
