/**
 * Images to tensors: decoding (sharp, pngjs), torchvision-exact resize and crop, colour
 * conversion, normalisation presets, batching, and tensors back to pixels for figures.
 */
export * from './decode.js';
export * from './resample.js';
export * from './convert.js';
export * from './preprocess.js';
export * from './batch.js';
export * from './pixels.js';
export { loadSharp } from './sharp.js';
