import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CliError } from '../cli/errors.js';
import { CUDA_LIBRARIES, CUDA_PROVIDER_FILES, canLoadLibrary, onnxruntimeBinDir, diagnoseFailure, missingBeforeStart, type ProbeEnvironment } from './execution-provider-check.js';
import { createSession } from './session.js';
import { ElemType, encodeModel, valueInfo } from './graph.js';

/** A Linux host where the given files exist and the given libraries load. */
function host(files: string[], loadable: string[]): ProbeEnvironment {
  const binDir = '/pkg/onnxruntime-node/bin/napi-v6/linux/x64';
  return { platform: 'linux', binDir, fileExists: (p) => files.some((f) => join(binDir, f) === p), canLoad: (l) => loadable.includes(l) };
}

const allCuda = CUDA_LIBRARIES.map((l) => l.file);
const identity = encodeModel({ name: 'id', node: [{ opType: 'Identity', input: ['x'], output: ['y'] }], input: [valueInfo('x', ElemType.float32, [1])], output: [valueInfo('y', ElemType.float32, [1])] });

describe('what a GPU provider is missing', () => {
  it('names the CUDA provider library onnxruntime-node did not install, and the npm script that installs it', () => {
    const why = missingBeforeStart('cuda', host([], allCuda));
    expect(why).toMatch(/^libonnxruntime_providers_cuda\.so is not installed in \/pkg\/onnxruntime-node\/bin\/napi-v6\/linux\/x64; run `npm run gpu:cuda` once/);
    expect(missingBeforeStart('cuda', host(['libonnxruntime_providers_cuda.so'], allCuda))).toMatch(/^libonnxruntime_providers_shared\.so is not installed/);
    expect(missingBeforeStart('cuda', host([...CUDA_PROVIDER_FILES], []))).toBeUndefined();
  });

  it('names the first CUDA 12 / cuDNN 9 library that does not load, or the one onnxruntime named', () => {
    const provider = [...CUDA_PROVIDER_FILES];
    expect(diagnoseFailure('cuda', 'Failed to load shared library', host(provider, allCuda.filter((l) => l !== 'libcudnn.so.9')))).toBe(
      'libcudnn.so.9 cannot be loaded; install cuDNN 9 for CUDA 12, e.g. libcudnn9-cuda-12, or add its folder to LD_LIBRARY_PATH',
    );
    expect(diagnoseFailure('cuda', 'Failed to load shared library', host(provider, []))).toMatch(/^libcudart\.so\.12 cannot be loaded; install the CUDA 12 runtime/);
    expect(diagnoseFailure('cuda', 'libcublasLt.so.12: cannot open shared object file: No such file or directory', host(provider, allCuda))).toMatch(/^libcublasLt\.so\.12 cannot be loaded/);
    // Everything loads, still no start: the GPU or its driver.
    expect(diagnoseFailure('cuda', 'CUDA failure 100: no CUDA-capable device is detected', host(provider, allCuda))).toMatch(/no CUDA-capable device.*nvidia-smi/);
  });

  it('names libvulkan.so.1 and libvulkan1 for WebGPU on Linux, then the missing adapter', () => {
    expect(missingBeforeStart('webgpu', host([], []))).toMatch(/^libvulkan\.so\.1 cannot be loaded; install libvulkan1 and a Vulkan driver/);
    expect(missingBeforeStart('webgpu', host([], ['libvulkan.so.1']))).toBeUndefined();
    expect(diagnoseFailure('webgpu', 'Failed to get a WebGPU adapter: No supported adapters', host([], ['libvulkan.so.1']))).toMatch(/^no WebGPU adapter \(.*\); WebGPU needs a GPU with a Vulkan driver/);
  });

  it('loads libraries the way the dynamic linker finds them', () => {
    expect(canLoadLibrary('libc.so.6')).toBe(true);
    expect(canLoadLibrary('libcnnpipe-no-such-library.so.1')).toBe(false);
  });
});

describe('createSession with a provider that cannot start', () => {
  it('warns once and runs on CPU; with requireEp it is a CliError naming what is missing', async () => {
    const warnings: string[] = [];
    const env = host([], allCuda);
    const { ep } = await createSession(identity, { ep: 'cuda', environment: env, onFallback: (m) => warnings.push(m) });
    expect(ep).toBe('cpu');
    expect(warnings).toEqual([expect.stringMatching(/^execution provider 'cuda' is not available here \(libonnxruntime_providers_cuda\.so is not installed .*\); using cpu$/)]);
    const failed = createSession(identity, { ep: 'cuda', environment: env, requireEp: true });
    await expect(failed).rejects.toThrow(CliError);
    await expect(failed).rejects.toThrow(/libonnxruntime_providers_cuda\.so is not installed.*; --require-ep makes that an error$/);
  });

  // Where the real CUDA provider is installed (a GPU machine) onnxruntime would start it.
  it.skipIf(existsSync(join(onnxruntimeBinDir(), 'libonnxruntime_providers_cuda.so')))("words onnxruntime's failure with the library that does not load (provider files claimed present)", async () => {
    // onnxruntime itself then fails to load the provider here (no GPU build files): the diagnosis names cuDNN.
    const env = host([...CUDA_PROVIDER_FILES], allCuda.filter((l) => l !== 'libcudnn.so.9'));
    await expect(createSession(identity, { ep: 'cuda', environment: env, requireEp: true })).rejects.toThrow(/^execution provider 'cuda' is not available here \(libcudnn\.so\.9 cannot be loaded/);
  });
});
