import { readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { runBin } from '@cnnpipe/core/testing';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './index.js';

/** Every tool: a package with a bin of its name. */
const tools = readdirSync(join(repoRoot, 'packages')).filter((p) => existsSync(join(repoRoot, 'packages', p, 'bin', `${p}.js`)));

describe('shell completion through yargs', () => {
  it.each(tools)('%s completion prints a script, and completes its flags', async (tool) => {
    const script = await runBin(tool, ['completion']);
    expect(script.code).toBe(0);
    expect(script.stdout.toString()).toContain(`_${tool}_yargs_completions()`);
    const words = await runBin(tool, ['--get-yargs-completions', tool, '--']);
    expect(words.stdout.toString().split('\n')).toContain('--help');
  });
});
