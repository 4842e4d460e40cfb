// The library face of saliency: the maps of a batch of images (SaliencyComputer), the methods, and the heat maps.
export * from './saliency.js';
export * from './methods.js';
export * from './heatmap.js';
export * from './run.js';
export * from './topk-units.js';
