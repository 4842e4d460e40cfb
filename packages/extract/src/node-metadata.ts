/**
 * NodeProto.metadata_props (field 9, ONNX IR 10) read straight from the model bytes: the
 * protobuf classes cnnpipe uses predate the field and drop it while decoding. The new PyTorch
 * exporter (torch.onnx.export(..., dynamo=True)) keeps module paths there, not in node names.
 * A walk over ModelProto.graph (7) -> GraphProto.node (1) -> NodeProto.metadata_props (9) ->
 * StringStringEntryProto {key (1), value (2)}; everything else is skipped by wire type.
 */

class Reader {
  pos: number;
  constructor(
    readonly bytes: Uint8Array,
    start: number,
    readonly end: number,
  ) {
    this.pos = start;
  }

  varint(): number {
    let result = 0;
    let scale = 1;
    for (;;) {
      const byte = this.bytes[this.pos++]!;
      result += (byte & 0x7f) * scale;
      if (byte < 0x80) return result;
      scale *= 128;
    }
  }

  /** [start, end) of a length-delimited field's payload, moving past it. */
  span(): [number, number] {
    const length = this.varint();
    const start = this.pos;
    this.pos += length;
    return [start, this.pos];
  }

  skip(wireType: number): void {
    if (wireType === 0) this.varint();
    else if (wireType === 1) this.pos += 8;
    else if (wireType === 2) this.span();
    else if (wireType === 5) this.pos += 4;
    else throw new Error(`unsupported protobuf wire type ${wireType}`);
  }

  /** Calls `visit(field, start, end)` for each length-delimited field, skips the others. */
  fields(visit: (field: number, start: number, end: number) => void): void {
    while (this.pos < this.end) {
      const tag = this.varint();
      const field = Math.floor(tag / 8);
      const wireType = tag & 7;
      if (wireType === 2) {
        const [start, end] = this.span();
        visit(field, start, end);
      } else this.skip(wireType);
    }
  }
}

const utf8 = new TextDecoder();

/** Per graph node, in graph order, its metadata_props as a map (empty where it has none). */
export function nodeMetadata(model: Uint8Array): Map<string, string>[] {
  const out: Map<string, string>[] = [];
  new Reader(model, 0, model.length).fields((field, start, end) => {
    if (field !== 7) return;
    new Reader(model, start, end).fields((graphField, nodeStart, nodeEnd) => {
      if (graphField !== 1) return;
      const props = new Map<string, string>();
      new Reader(model, nodeStart, nodeEnd).fields((nodeField, entryStart, entryEnd) => {
        if (nodeField !== 9) return;
        let key = '';
        let value = '';
        new Reader(model, entryStart, entryEnd).fields((f, s, e) => {
          if (f === 1) key = utf8.decode(model.subarray(s, e));
          else if (f === 2) value = utf8.decode(model.subarray(s, e));
        });
        props.set(key, value);
      });
      out.push(props);
    });
  });
  return out;
}

/** The strings of a Python repr of a list of str: "['', 'layer1', \"it's\"]" -> ['', 'layer1', "it's"]. */
export function parsePythonStrings(repr: string): string[] | undefined {
  const trimmed = repr.trim();
  if (!trimmed.startsWith('[') || !trimmed.endsWith(']')) return undefined;
  const out: string[] = [];
  const pattern = /'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)"/g;
  for (const match of trimmed.matchAll(pattern)) {
    const raw = match[1] ?? match[2] ?? '';
    out.push(raw.replace(/\\(.)/g, '$1'));
  }
  return out;
}
