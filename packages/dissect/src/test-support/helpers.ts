import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '@cnnpipe/core/testing';

export const PYTHON = '/usr/bin/python3';
export const PROBE = join(repoRoot, 'examples/data/fashion-probe');
export const RESNET = join(repoRoot, 'examples/zoo/resnet.onnx');

export function hasPython(modules: string): boolean {
  return spawnSync(PYTHON, ['-c', `import ${modules}`], { encoding: 'utf8' }).status === 0;
}

/** A temporary folder, removed by the returned function. */
export function tempDir(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'dissect-test-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
