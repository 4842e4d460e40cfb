import { readFileSync } from 'node:fs';
import { CliError, errorMessage, plainError } from '../cli/errors.js';
import { decodeModel, type onnx } from './graph.js';

/**
 * An ONNX file's bytes and decoded model. A file that is not protobuf (JSON, text, an
 * Arrow table given by mistake) says "not an ONNX model" instead of the decoder's
 * "invalid wire type 6 at offset 273".
 */
export function readModelFile(path: string): { bytes: Buffer; proto: onnx.ModelProto } {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw new CliError(`${path}: cannot read the model: ${plainError(error)}`);
  }
  let proto: onnx.ModelProto;
  try {
    proto = decodeModel(bytes);
  } catch (error) {
    throw new CliError(`${path}: not an ONNX model${looksLikeText(bytes) ? ' (it is a text file)' : ''} (${errorMessage(error)})`);
  }
  if (!proto.graph) throw new CliError(`${path}: not an ONNX model (no graph)`);
  return { bytes, proto };
}

function looksLikeText(bytes: Buffer): boolean {
  const head = bytes.subarray(0, 512);
  return head.length > 0 && head.every((b) => b === 9 || b === 10 || b === 13 || (b >= 32 && b < 127) || b >= 128);
}

/** The metadata key holding a model's class names in output order (a JSON list). */
export const MODEL_CLASSES_KEY = 'cnnpipe.classes';

/**
 * The class names a model stores in its metadata (`cnnpipe.classes`, a JSON list of
 * strings, index = output index), or undefined. Malformed values are a one-line error:
 * a wrong list would relabel silently.
 */
export function modelClasses(proto: onnx.ModelProto, path: string): string[] | undefined {
  const prop = (proto.metadataProps ?? []).find((p) => p.key === MODEL_CLASSES_KEY);
  if (!prop) return undefined;
  let list: unknown;
  try {
    list = JSON.parse(prop.value ?? '');
  } catch {
    list = undefined;
  }
  if (!Array.isArray(list) || list.length === 0 || !list.every((c) => typeof c === 'string')) {
    throw new CliError(`${path}: metadata ${MODEL_CLASSES_KEY} is not a JSON list of class names (got ${JSON.stringify(prop.value).slice(0, 80)})`);
  }
  return list as string[];
}
