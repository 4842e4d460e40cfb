import { readFileSync } from 'node:fs';

let amx: boolean | undefined;

/**
 * Whether this CPU has AMX int8 tiles (/proc/cpuinfo's amx_int8 flag, Linux). onnxruntime's
 * MatMulInteger (uint8 x int8) runs on them at ~1.4 int8 TOPS on 2 Sapphire Rapids cores;
 * without them its VNNI/AVX2 kernels are several times slower, too slow for the ~20 digit
 * products of sliced-int8-gram.ts to beat one float64 Gemm.
 */
export function hasAmxInt8(): boolean {
  if (amx === undefined) {
    try {
      amx = /^flags\s*:.*\bamx_int8\b/m.test(readFileSync('/proc/cpuinfo', 'utf8'));
    } catch {
      amx = false;
    }
  }
  return amx;
}
