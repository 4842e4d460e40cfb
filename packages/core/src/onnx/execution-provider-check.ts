import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { errorMessage } from '../cli/errors.js';

/**
 * Why a GPU execution provider cannot start here, in words that say what to install.
 *
 * onnxruntime-node's Linux build loads CUDA through libonnxruntime_providers_cuda.so (+
 * _shared), which only its install script downloads — and npm's allowScripts stops that
 * script — then CUDA 12 and cuDNN 9 from the system. WebGPU (Dawn) needs libvulkan.so.1 and a
 * Vulkan driver for the GPU. onnxruntime's own error ("Failed to load shared library") names
 * neither, so we look: the provider files in the package, then each system library by
 * loading it (process.dlopen finds it the way the dynamic linker would; a plain library then
 * fails only with "did not self-register", which means it loaded).
 */

/** The system libraries the CUDA provider of onnxruntime-node 1.30 links against (CUDA 12, cuDNN 9). */
export const CUDA_LIBRARIES = [
  { file: 'libcudart.so.12', from: 'the CUDA 12 runtime, e.g. cuda-cudart-12-x' },
  { file: 'libcublas.so.12', from: 'CUDA 12 cuBLAS, e.g. libcublas-12-x' },
  { file: 'libcublasLt.so.12', from: 'CUDA 12 cuBLAS, e.g. libcublas-12-x' },
  { file: 'libcufft.so.11', from: 'CUDA 12 cuFFT, e.g. libcufft-12-x' },
  { file: 'libcurand.so.10', from: 'CUDA 12 cuRAND, e.g. libcurand-12-x' },
  { file: 'libcudnn.so.9', from: 'cuDNN 9 for CUDA 12, e.g. libcudnn9-cuda-12' },
] as const;

export const CUDA_PROVIDER_FILES = ['libonnxruntime_providers_cuda.so', 'libonnxruntime_providers_shared.so'] as const;

/** Where onnxruntime-node keeps its native libraries for this platform. */
export function onnxruntimeBinDir(): string {
  const pkg = createRequire(import.meta.url).resolve('onnxruntime-node/package.json');
  return join(dirname(pkg), 'bin', 'napi-v6', process.platform, process.arch);
}

/** Whether the dynamic linker can load `library` (a file name, searched as dlopen searches). */
export function canLoadLibrary(library: string): boolean {
  try {
    process.dlopen({ exports: {} } as NodeJS.Module, library);
    return true;
  } catch (error) {
    return /self-register|Module did not/i.test(errorMessage(error));
  }
}

export interface ProbeEnvironment {
  platform: NodeJS.Platform;
  binDir: string;
  fileExists: (path: string) => boolean;
  canLoad: (library: string) => boolean;
}

export function hostEnvironment(): ProbeEnvironment {
  return { platform: process.platform, binDir: onnxruntimeBinDir(), fileExists: existsSync, canLoad: canLoadLibrary };
}

/**
 * What is missing for `ep` before even trying it: undefined when nothing known is (the
 * provider may still fail: then `diagnoseFailure` words onnxruntime's reason).
 */
export function missingBeforeStart(ep: 'cuda' | 'webgpu', env: ProbeEnvironment): string | undefined {
  if (ep === 'cuda') {
    if (env.platform !== 'linux' && env.platform !== 'win32') return `onnxruntime-node has no CUDA provider for ${env.platform}`;
    const missing = CUDA_PROVIDER_FILES.filter((f) => !env.fileExists(join(env.binDir, env.platform === 'win32' ? f.replace(/^lib/, '').replace(/\.so$/, '.dll') : f)));
    if (missing.length > 0) {
      return `${missing[0]} is not installed in ${env.binDir}; run \`npm run gpu:cuda\` once to download onnxruntime-node's CUDA provider, which needs CUDA 12 and cuDNN 9`;
    }
    return undefined;
  }
  if (env.platform === 'linux' && !env.canLoad('libvulkan.so.1')) {
    return "libvulkan.so.1 cannot be loaded; install libvulkan1 and a Vulkan driver for the GPU, e.g. NVIDIA's driver or mesa-vulkan-drivers";
  }
  return undefined;
}

/** onnxruntime's reason for a provider that did not start, with the missing library named where we can find it. */
export function diagnoseFailure(ep: 'cuda' | 'webgpu', reason: string, env: ProbeEnvironment): string {
  const named = /(lib[\w.+-]+\.so[\w.]*): cannot open shared object file/.exec(reason)?.[1];
  if (ep === 'cuda') {
    const library = CUDA_LIBRARIES.find((l) => l.file === named) ?? CUDA_LIBRARIES.find((l) => !env.canLoad(l.file));
    if (library) return `${library.file} cannot be loaded; install ${library.from}, or add its folder to LD_LIBRARY_PATH`;
    if (named) return `${named} cannot be loaded`;
    return `the CUDA provider did not start (${reason}); check that nvidia-smi shows a GPU and a driver for CUDA 12 (>= 525)`;
  }
  if (named) return `${named} cannot be loaded`;
  return `no WebGPU adapter (${reason}); WebGPU needs a GPU with a Vulkan driver (vulkaninfo --summary lists them)`;
}
