import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot, runBin } from '@cnnpipe/core/testing';

export interface StudyTables {
  dir: string;
  topk: string;
  cof: string;
  stats: string;
  components: string;
  similarity: string;
  concepts: string;
}

const CLASSES = 't-shirt,trouser,pullover,dress,coat,sandal,shirt,sneaker,bag,ankle-boot';

async function step(tool: string, args: string[], out: string): Promise<string> {
  const r = await runBin(tool, [...args, '-o', out]);
  if (r.code !== 0) throw new Error(`${tool} ${args.join(' ')} failed: ${r.stderr}`);
  return out;
}

/**
 * The tables of a reduced multi-faceted-neuron study on the zoo's VGG (two layers, top
 * `k`), made by the real tools as a user's pipeline would.
 */
export async function studyTables(k = 20, layers = ['block2', 'block3']): Promise<StudyTables> {
  const dir = mkdtempSync(join(tmpdir(), 'atlas-study-'));
  const images = join(repoRoot, 'examples/data/fashion-mnist/test');
  const model = join(repoRoot, 'examples/zoo/vgg.onnx');
  const acts = await step('extract', ['--model', model, ...layers.flatMap((l) => ['--layer', l]), '--argmax', '--classes', CLASSES, images], join(dir, 'acts.arrows'));
  const topk = await step('topk', ['-k', String(k), acts], join(dir, 'topk.arrows'));
  const cof = await step('cof', [topk], join(dir, 'cof.arrows'));
  const concepts = await step('cof', ['--concepts', topk], join(dir, 'concepts.arrows'));
  const stats = await step('sparsity', [cof], join(dir, 'stats.arrows'));
  const similarity = await step('similarity', [cof], join(dir, 'similarity.arrows'));
  const components = await step('ica', ['--components', '4', topk], join(dir, 'components.arrows'));
  writeFileSync(join(dir, 'README'), 'tables for the atlas tests\n');
  return { dir, topk, cof, stats, components, similarity, concepts };
}

export function atlasArgs(t: StudyTables, out: string): string[] {
  return ['--topk', t.topk, '--cof', t.cof, '--stats', t.stats, '--components', t.components, '--similarity', t.similarity, '--concepts', t.concepts, '-o', out];
}
