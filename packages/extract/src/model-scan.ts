import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { basename } from 'node:path';

/**
 * An ONNX file's structure without its weights: a protobuf walk over the file (positioned
 * reads, never the whole file in memory) that copies every field as it is except the
 * `raw_data` of large initializers, which become external-data references to the model file
 * itself (location = its name, offset/length = where the bytes lie). onnxruntime then reads
 * the weights straight from the file (session option model_external_initializers_file_folder_path),
 * and every graph cnnpipe builds from the model (shape probe, extraction) is a few hundred KB
 * instead of a re-encoded copy of the weights.
 *
 * Hand-written because protobufjs (onnx-proto) decodes and re-encodes every byte it is given:
 * `extract --list-layers` on VGG16 (553 MB) took 8.6 s at 2.13 GB peak that way, 2.7 s wall
 * (0.94 s CPU) at 0.77 GB with this walk (~30 ms, a 40 KB skeleton), same 2-core machine.
 *
 * Fields: ModelProto.graph (7) -> GraphProto.initializer (5) -> TensorProto.raw_data (9),
 * external_data (13: StringStringEntryProto {key 1, value 2}), data_location (14, EXTERNAL = 1).
 */

/** Initializers whose raw_data is at most this many bytes stay inline (shapes, pads, scales the graph readers need). */
export const INLINE_LIMIT = 64 * 1024;

const WINDOW = 1 << 20;

/** A byte cursor over a file: a window of it in memory, refilled on demand. */
class FileBytes {
  private window = Buffer.alloc(0);
  private windowStart = 0;

  constructor(
    private readonly fd: number,
    readonly size: number,
  ) {}

  private fill(pos: number): void {
    const length = Math.min(WINDOW, this.size - pos);
    if (length <= 0) throw new Error(`unexpected end of file at offset ${pos}`);
    this.window = Buffer.allocUnsafe(length);
    readSync(this.fd, this.window, 0, length, pos);
    this.windowStart = pos;
  }

  byte(pos: number): number {
    if (pos < this.windowStart || pos >= this.windowStart + this.window.length) this.fill(pos);
    return this.window[pos - this.windowStart]!;
  }

  /** A copy of [start, end). */
  bytes(start: number, end: number): Buffer {
    if (end > this.size) throw new Error(`a field runs past the end of the file (offset ${end} of ${this.size})`);
    if (start >= this.windowStart && end <= this.windowStart + this.window.length) {
      return Buffer.from(this.window.subarray(start - this.windowStart, end - this.windowStart));
    }
    const out = Buffer.allocUnsafe(end - start);
    readSync(this.fd, out, 0, out.length, start);
    return out;
  }
}

interface Field {
  field: number;
  wireType: number;
  /** The whole field, tag included. */
  start: number;
  end: number;
  /** A length-delimited field's payload. */
  payloadStart: number;
}

/** The fields of the message in [start, end), one at a time. */
function* fields(file: FileBytes, start: number, end: number): Generator<Field> {
  let pos = start;
  const varint = (): number => {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      const byte = file.byte(pos++);
      result += (byte & 0x7f) * scale;
      if (byte < 0x80) return result;
      scale *= 128;
    }
    throw new Error(`malformed varint at offset ${pos}`);
  };
  while (pos < end) {
    const fieldStart = pos;
    const tag = varint();
    const field = Math.floor(tag / 8);
    const wireType = tag & 7;
    if (field === 0) throw new Error(`invalid field number 0 at offset ${fieldStart}`);
    let payloadStart = pos;
    if (wireType === 0) varint();
    else if (wireType === 1) pos += 8;
    else if (wireType === 2) {
      const length = varint();
      payloadStart = pos;
      pos += length;
    } else if (wireType === 5) pos += 4;
    else throw new Error(`invalid wire type ${wireType} at offset ${fieldStart}`);
    if (pos > end) throw new Error(`a field runs past its message (offset ${pos} of ${end})`);
    yield { field, wireType, start: fieldStart, end: pos, payloadStart };
  }
}

function varintBytes(value: number): number[] {
  const out: number[] = [];
  while (value >= 0x80) {
    out.push((value % 128) | 0x80);
    value = Math.floor(value / 128);
  }
  out.push(value);
  return out;
}

/** A length-delimited field: tag, length, payload. */
function delimited(field: number, payload: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from([...varintBytes(field * 8 + 2), ...varintBytes(payload.length)]), payload]);
}

function entry(key: string, value: string): Buffer {
  return delimited(13, Buffer.concat([delimited(1, Buffer.from(key)), delimited(2, Buffer.from(value))]));
}

export interface ScannedModel {
  /** The model's bytes with large raw_data replaced by references to the file. */
  skeleton: Buffer;
  /** Initializers left in the file, and their bytes. */
  referenced: number;
  referencedBytes: number;
}

/**
 * The skeleton of the ONNX model at `path` (see the module comment). Throws on bytes that
 * are not protobuf; the caller words that.
 */
export function scanModel(path: string, inlineLimit = INLINE_LIMIT): ScannedModel {
  const fd = openSync(path, 'r');
  try {
    const file = new FileBytes(fd, fstatSync(fd).size);
    const location = basename(path);
    let referenced = 0;
    let referencedBytes = 0;
    const tensor = (f: Field): Buffer => {
      if (f.end - f.payloadStart <= inlineLimit) return file.bytes(f.start, f.end);
      const kept: Buffer[] = [];
      let raw: Field | undefined;
      for (const t of fields(file, f.payloadStart, f.end)) {
        if (t.field === 9 && t.wireType === 2) raw = t;
        else kept.push(file.bytes(t.start, t.end));
      }
      // Weights in float_data & co. (rare) stay as they are.
      if (!raw || raw.end - raw.payloadStart <= inlineLimit) return file.bytes(f.start, f.end);
      referenced++;
      referencedBytes += raw.end - raw.payloadStart;
      kept.push(entry('location', location), entry('offset', String(raw.payloadStart)), entry('length', String(raw.end - raw.payloadStart)));
      kept.push(Buffer.from([14 * 8, 1]));
      return delimited(5, Buffer.concat(kept));
    };
    const graph = (g: Field): Buffer => {
      const parts: Buffer[] = [];
      for (const f of fields(file, g.payloadStart, g.end)) parts.push(f.field === 5 && f.wireType === 2 ? tensor(f) : file.bytes(f.start, f.end));
      return delimited(7, Buffer.concat(parts));
    };
    const parts: Buffer[] = [];
    for (const f of fields(file, 0, file.size)) parts.push(f.field === 7 && f.wireType === 2 ? graph(f) : file.bytes(f.start, f.end));
    return { skeleton: Buffer.concat(parts), referenced, referencedBytes };
  } finally {
    closeSync(fd);
  }
}
