import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where the embedded assets live: `examples/zoo` (models) and `examples/data` (images). */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const zooDir = join(repoRoot, 'examples', 'zoo');
export const fashionMnistDir = join(repoRoot, 'examples', 'data', 'fashion-mnist');

export interface ZooModel {
  name: string;
  file: string;
  family: string;
  task: string;
  /** The task's class names in the model's output order. */
  classes: string[];
  parameters: number;
  feature_width: number;
  layers: string[];
  feature_layer: string;
  feature_tensor: string;
  accuracy: { test_full: number; test_subset: number };
  epochs: number;
  seed: number;
  train_seconds: number;
}

export interface Zoo {
  dataset: string;
  preprocess: { size: number; channels: number; mean: number[]; std: number[] };
  /** Image-folder class names, sorted (ImageFolder order). */
  classes: string[];
  /** Fashion-MNIST label order. */
  labels: string[];
  tasks: Record<string, { classes: string[]; of_label: number[] }>;
  models: ZooModel[];
}

/** `examples/zoo/zoo.json`, as written by `tools/zoo/train.py`. */
export function loadZoo(): Zoo {
  return JSON.parse(readFileSync(join(zooDir, 'zoo.json'), 'utf8')) as Zoo;
}

export function modelPath(model: ZooModel): string {
  return join(zooDir, model.file);
}
