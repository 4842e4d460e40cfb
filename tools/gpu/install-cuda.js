#!/usr/bin/env node
// `npm run gpu:cuda`: installs onnxruntime-node's CUDA execution provider into this checkout,
// then checks that it starts. npm's allowScripts (package.json) skips onnxruntime-node's own
// install script, which is what downloads libonnxruntime_providers_cuda.so (+ _shared,
// _tensorrt) from NuGet (Microsoft.ML.OnnxRuntime.Gpu.Linux, same version as the package);
// this runs that script with its CUDA flavour. Needs internet once, Linux x64, an NVIDIA
// driver for CUDA 12, CUDA 12 and cuDNN 9 libraries where the dynamic linker finds them.
//
//   npm run gpu:cuda     # download + check
//   npm run gpu:check    # check only: which provider files and CUDA/cuDNN libraries are there, does a session start
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const core = await import('@cnnpipe/core');
const { CUDA_LIBRARIES, CUDA_PROVIDER_FILES, canLoadLibrary, createSession, encodeModel, onnxruntimeBinDir, valueInfo, ElemType, ort } = core;
const checkOnly = process.argv.includes('--check-only');

if (!checkOnly) {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    console.error(`gpu:cuda: onnxruntime-node publishes its CUDA provider for linux/x64 only (this is ${process.platform}/${process.arch})`);
    process.exit(1);
  }
  const pkg = dirname(createRequire(join(process.cwd(), 'packages/core/package.json')).resolve('onnxruntime-node/package.json'));
  // `--onnxruntime-node-install-cuda=v12`: its `--onnxruntime-node-install=cuda12` form parses
  // to "no flag" in 1.30 (install-utils.js returns nothing for a string value), and then the
  // script exits at once inside an npm run.
  console.log(`gpu:cuda: running onnxruntime-node's installer (${pkg}/script/install.js) with --onnxruntime-node-install-cuda=v12`);
  const env = { ...process.env, ONNXRUNTIME_NODE_INSTALL_CUDA: 'v12' };
  delete env.ONNXRUNTIME_NODE_INSTALL;
  delete env.npm_config_onnxruntime_node_install;
  const run = spawnSync(process.execPath, [join(pkg, 'script', 'install.js'), '--onnxruntime-node-install-cuda=v12'], { cwd: pkg, stdio: 'inherit', env });
  if (run.status !== 0) {
    console.error('gpu:cuda: the installer failed (it needs https access to api.nuget.org); nothing else was changed');
    process.exit(1);
  }
}

const bin = onnxruntimeBinDir();
let ok = true;
for (const file of CUDA_PROVIDER_FILES) {
  const present = existsSync(join(bin, file));
  ok &&= present;
  console.log(`${present ? 'ok     ' : 'MISSING'}  ${join(bin, file)}`);
}
for (const { file, from } of CUDA_LIBRARIES) {
  const loads = canLoadLibrary(file);
  ok &&= loads;
  console.log(`${loads ? 'ok     ' : 'MISSING'}  ${file}${loads ? '' : `  (install ${from}, or add its folder to LD_LIBRARY_PATH)`}`);
}
// The real test: a session on the CUDA provider, or the reason it does not start.
const identity = encodeModel({ name: 'probe', node: [{ opType: 'Relu', input: ['x'], output: ['y'] }], input: [valueInfo('x', ElemType.float32, [4])], output: [valueInfo('y', ElemType.float32, [4])] });
try {
  const { session } = await createSession(identity, { ep: 'cuda', requireEp: true });
  await session.run({ x: new ort.Tensor('float32', Float32Array.from([-1, 0, 1, 2]), [4]) });
  await session.release();
  console.log('ok       a session on the CUDA execution provider starts and runs: extract --ep cuda --require-ep will use the GPU');
} catch (error) {
  ok = false;
  console.log(`FAILED   ${error instanceof Error ? error.message : String(error)}`);
}
process.exit(ok ? 0 : 1);
