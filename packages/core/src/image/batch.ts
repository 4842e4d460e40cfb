import { errorMessage } from '../cli/errors.js';
import { loadImage, type Preprocess } from './preprocess.js';

/** A batch of images as the model's input: CHW float32 per image, one after the other. */
export interface DecodedBatch {
  pixels: Float32Array;
  /** Per image: why it could not be read (its pixels are then zeros), or null. */
  errors: (string | null)[];
}

/** Loads `paths` into one batch; an unreadable image is reported, not thrown. */
export async function decodeBatch(paths: string[], pp: Preprocess): Promise<DecodedBatch> {
  const size = pp.channels * pp.size * pp.size;
  const pixels = new Float32Array(paths.length * size);
  const settled = await Promise.allSettled(paths.map((path, i) => loadImage(path, pp, pixels, i * size)));
  return { pixels, errors: settled.map((s) => (s.status === 'rejected' ? errorMessage(s.reason) : null)) };
}
