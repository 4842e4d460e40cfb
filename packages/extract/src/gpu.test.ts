import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { canLoadLibrary, onnxruntimeBinDir } from '@cnnpipe/core';
import { repoRoot, runBin } from '@cnnpipe/core/testing';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * --ep cuda / --ep webgpu where they cannot start (this CPU machine): one warning naming
 * what to install, then the CPU result; --require-ep turns it into one error line, exit 1,
 * no output file. On a machine where a provider does start, its case is skipped.
 */
const cudaInstalled = existsSync(join(onnxruntimeBinDir(), 'libonnxruntime_providers_cuda.so'));
const vulkan = canLoadLibrary('libvulkan.so.1');
const dir = mkdtempSync(join(tmpdir(), 'cnnpipe-gpu-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const args = ['--model', join(repoRoot, 'examples/zoo/resnet.onnx'), '--layer', 'layer2', join(repoRoot, 'examples/data/fashion-mnist/test/bag/00018.png')];

const ourLines = (stderr: string) => stderr.split('\n').filter((l) => l.startsWith('extract:'));

describe.skipIf(cudaInstalled)('--ep cuda without the CUDA provider installed', () => {
  it('warns once naming libonnxruntime_providers_cuda.so and `npm run gpu:cuda`, exit 0, CPU output', async () => {
    const [cpu, cuda] = await Promise.all([runBin('extract', args), runBin('extract', [...args, '--ep', 'cuda'])]);
    expect(cuda.code).toBe(0);
    expect(cuda.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^extract: warning: execution provider 'cuda' is not available here \(libonnxruntime_providers_cuda\.so is not installed in .+; run `npm run gpu:cuda` once .*CUDA 12 and cuDNN 9\); using cpu$/),
    ]);
    expect(Buffer.compare(cuda.stdout, cpu.stdout)).toBe(0);
  });

  it('--require-ep: one error line, exit 1, no output file', async () => {
    const out = join(dir, 'cuda.arrows');
    const result = await runBin('extract', [...args, '--ep', 'cuda', '--require-ep', '-o', out]);
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^extract: error: execution provider 'cuda' is not available here \(.*npm run gpu:cuda.*\); --require-ep makes that an error$/)]);
    expect(existsSync(out)).toBe(false);
  });
});

describe.skipIf(vulkan)('--ep webgpu without libvulkan.so.1', () => {
  it('warns once naming libvulkan.so.1 and libvulkan1 (nothing from Dawn), exit 0; --require-ep exits 1', async () => {
    const result = await runBin('extract', [...args, '--ep', 'webgpu']);
    expect(result.code).toBe(0);
    expect(result.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^extract: warning: execution provider 'webgpu' is not available here \(libvulkan\.so\.1 cannot be loaded; install libvulkan1 and a Vulkan driver.*\); using cpu$/)]);
    const strict = await runBin('extract', [...args, '--ep', 'webgpu', '--require-ep']);
    expect(strict.code).toBe(1);
    expect(ourLines(strict.stderr)).toEqual([expect.stringMatching(/^extract: error: .*libvulkan\.so\.1.*--require-ep makes that an error$/)]);
  });
});

describe.skipIf(cudaInstalled)('npm run gpu:check (tools/gpu/install-cuda.js --check-only)', () => {
  it('lists the missing provider files and libraries and exits 1 where CUDA cannot start', async () => {
    const { spawnSync } = await import('node:child_process');
    const run = spawnSync(process.execPath, [join(repoRoot, 'tools/gpu/install-cuda.js'), '--check-only'], { cwd: repoRoot, encoding: 'utf8' });
    expect(run.status).toBe(1);
    expect(run.stdout).toMatch(/^MISSING {2}.*\/libonnxruntime_providers_cuda\.so$/m);
    expect(run.stdout).toMatch(/^(ok {5}|MISSING) {2}libcudnn\.so\.9/m);
    expect(run.stdout).toMatch(/^FAILED {3}execution provider 'cuda' is not available here/m);
  });
});
