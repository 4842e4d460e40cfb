import { createRequire } from 'node:module';
import type * as OrtModule from 'onnxruntime-node';

/**
 * onnxruntime-node, loaded on first use: a tool that runs no model or kernel (show, csv,
 * concat, topk, ...) does not pay its ~0.03 s (Node 20) of start-up. Values (`ort.Tensor`,
 * `ort.InferenceSession`, `ort.env`) come through a proxy; types under the same name.
 */
let loaded: typeof OrtModule | undefined;

function load(): typeof OrtModule {
  if (!loaded) {
    // onnxruntime 1.30's Linux build starts Microsoft's telemetry (1DS) with each session: it
    // would upload events and leaves an empty mat-debug-PID.log in TMPDIR per process (an npm
    // test run left ~4,000). Off unless the user sets the variable themselves.
    process.env.ORT_DISABLE_TELEMETRY ??= '1';
    loaded = createRequire(import.meta.url)('onnxruntime-node') as typeof OrtModule;
    // onnxruntime's own log would print a second, raw line for a provider that cannot load
    // (CUDA libraries missing); failures reach us as exceptions, and we word them once.
    loaded.env.logLevel = 'fatal';
  }
  return loaded;
}

export const ort: typeof OrtModule = new Proxy({} as typeof OrtModule, {
  get: (_target, key) => Reflect.get(load(), key),
  has: (_target, key) => Reflect.has(load(), key),
});

// eslint-disable-next-line @typescript-eslint/no-namespace
export declare namespace ort {
  type Tensor = OrtModule.Tensor;
  type InferenceSession = OrtModule.InferenceSession;
  type OnnxValue = OrtModule.OnnxValue;
  namespace Tensor {
    type Type = OrtModule.Tensor.Type;
    type DataType = OrtModule.Tensor.DataType;
  }
  namespace InferenceSession {
    type SessionOptions = OrtModule.InferenceSession.SessionOptions;
    type OnnxValueMapType = OrtModule.InferenceSession.OnnxValueMapType;
    type FeedsType = OrtModule.InferenceSession.FeedsType;
    type ReturnType = OrtModule.InferenceSession.ReturnType;
    type RunOptions = OrtModule.InferenceSession.RunOptions;
  }
}
