import { readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { CliError, type onnx } from '@cnnpipe/core';

/** TensorProto.DataLocation.EXTERNAL. */
const EXTERNAL = 1;

/**
 * Reads the weights a model keeps in external data files (the new PyTorch exporter's
 * default: `model.onnx.data`, or any `location` below the model's folder) into the
 * initializers themselves, resolved relative to the model file — so the model runs from any
 * working directory, and the graphs cnnpipe builds from it are self-contained. Protobuf caps
 * an in-memory model at 2 GB; the CNNs cnnpipe is for are far below that.
 *
 * With `keepAbove`, tensors of more bytes than that stay external (their file and range are
 * checked, not read): onnxruntime reads them itself when the session is told the model's
 * folder (LoadedModel.weightsFolder).
 */
export function inlineExternalData(path: string, tensors: onnx.TensorProto[], keepAbove = Infinity): number {
  const base = dirname(resolve(path));
  const files = new Map<string, Buffer>();
  let count = 0;
  for (const tensor of tensors) {
    if (tensor.dataLocation !== EXTERNAL) continue;
    const entry = (key: string) => tensor.externalData.find((e) => e.key === key)?.value ?? undefined;
    const location = entry('location');
    if (!location) throw new CliError(`${path}: tensor '${tensor.name}' is stored externally but names no location`);
    const file = resolve(base, location);
    const inside = relative(base, file);
    if (isAbsolute(location) || inside.startsWith('..')) {
      throw new CliError(`${path}: external data '${location}' of tensor '${tensor.name}' is outside the model's folder (expected a path below ${base})`);
    }
    const offset = Number(entry('offset') ?? 0);
    if (keepAbove !== Infinity) {
      let size: number;
      try {
        size = statSync(file).size;
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        throw new CliError(`${path}: cannot read external data '${location}' of tensor '${tensor.name}' (${code}; expected it at ${file})`);
      }
      const length = entry('length') === undefined ? size - offset : Number(entry('length'));
      if (!(offset >= 0 && length >= 0 && offset + length <= size)) {
        throw new CliError(`${path}: external data '${location}' is ${size} bytes, tensor '${tensor.name}' asks for ${length} at offset ${offset}`);
      }
      if (length > keepAbove) continue;
    }
    let bytes = files.get(file);
    if (!bytes) {
      try {
        bytes = readFileSync(file);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        throw new CliError(`${path}: cannot read external data '${location}' of tensor '${tensor.name}' (${code}; expected it at ${file})`);
      }
      files.set(file, bytes);
    }
    const length = entry('length') === undefined ? bytes.length - offset : Number(entry('length'));
    if (!(offset >= 0 && length >= 0 && offset + length <= bytes.length)) {
      throw new CliError(`${path}: external data '${location}' is ${bytes.length} bytes, tensor '${tensor.name}' asks for ${length} at offset ${offset}`);
    }
    tensor.rawData = bytes.subarray(offset, offset + length);
    tensor.externalData = [];
    tensor.dataLocation = 0;
    count++;
  }
  return count;
}
