// Runs the Lucent transcription (lucent_reference.py) with /usr/bin/python3 at test time.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const script = join(dirname(fileURLToPath(import.meta.url)), 'lucent_reference.py');
const python = '/usr/bin/python3';

function has(module: string): boolean {
  return existsSync(python) && spawnSync(python, ['-c', `import ${module}`]).status === 0;
}

export const hasNumpy = has('numpy');
export const hasTorch = has('torch');

export function lucentReference(job: Record<string, unknown>): { image: number[]; input?: number[]; grad?: number[] } {
  const run = spawnSync(python, [script], { input: JSON.stringify(job), maxBuffer: 1 << 28 });
  if (run.status !== 0) throw new Error(`lucent_reference.py failed: ${run.stderr.toString()}`);
  return JSON.parse(run.stdout.toString()) as { image: number[]; input?: number[]; grad?: number[] };
}

/** ||a - b|| / ||b||. */
export function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} vs ${b.length}`);
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i]! - b[i]!) ** 2;
    den += b[i]! ** 2;
  }
  return Math.sqrt(num / den);
}

export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}
