import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempFolder } from '@cnnpipe/core/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from './index.js';

/**
 * Every tool's first `--help` example runs as written from the repository root on the demo
 * files. It runs in a scratch folder that links the repository's examples/ and
 * node_modules/ (so what it writes stays out of the repository), with the tools on PATH.
 */
const tools = readdirSync(join(repoRoot, 'packages')).filter((p) => existsSync(join(repoRoot, 'packages', p, 'bin', `${p}.js`)));
const folder = tempFolder();
afterAll(() => folder.remove());
const work = folder.path('root');
const bin = folder.path('bin');
mkdirSync(work);
mkdirSync(bin);
symlinkSync(join(repoRoot, 'examples'), join(work, 'examples'));
symlinkSync(join(repoRoot, 'node_modules'), join(work, 'node_modules'));
for (const tool of tools) {
  writeFileSync(join(bin, tool), `#!/bin/sh\nexec "${process.execPath}" "${join(repoRoot, 'packages', tool, 'bin', `${tool}.js`)}" "$@"\n`, { mode: 0o755 });
}

/** The first command of the Examples block (with its `\` continuation lines). */
function firstExample(tool: string): string {
  const help = execFileSync(process.execPath, [join(repoRoot, 'packages', tool, 'bin', `${tool}.js`), '--help'], { encoding: 'utf8' });
  const lines = help.split('\n');
  const start = lines.indexOf('Examples:') + 1;
  const command: string[] = [];
  for (const line of lines.slice(start)) {
    if (/^ {6}\S/.test(line)) break; // the description line
    command.push(line.replace(/^ {2}/, ''));
  }
  return command.join('\n');
}

describe("every tool's first --help example runs as written", () => {
  it.each(tools)('%s', (tool) => {
    const command = firstExample(tool);
    expect(command).not.toBe('');
    const result = spawnSync('/bin/bash', ['-euo', 'pipefail', '-c', command], {
      cwd: work,
      env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
      encoding: 'utf8',
      maxBuffer: 1 << 28,
      timeout: 170_000,
    });
    expect(result.status, `${command}\n${result.stderr}`).toBe(0);
  }, 180_000);
});
