/**
 * Follows an Arrow IPC stream's message framing as its bytes pass by, without decoding
 * bodies: where the first stream ends (its end-of-stream marker) and whether a schema
 * message follows it — `cat a.arrows b.arrows` glues two streams, and Arrow's reader would
 * otherwise yield the first one's batches and stop. Arrow's own reader does not say where a
 * stream ends, so this is a small independent scan (a message's prefix and the few fields
 * of its flatbuffer header: header type and body length).
 */

/** MessageHeader.Schema in Arrow's Message.fbs. */
const SCHEMA_HEADER = 1;
const CONTINUATION = 0xffffffff;

type State = 'prefix' | 'length' | 'metadata' | 'body' | 'done';

export class StreamFrames {
  /** The first stream's end-of-stream marker has passed. */
  firstEnded = false;
  /** A schema message (a second stream) follows the first stream's end. */
  secondStream = false;
  /** Nothing more to learn: a second stream was seen, or the bytes are not framed as we expect. */
  get decided(): boolean {
    return this.state === 'done';
  }

  private state: State = 'prefix';
  private pending: Uint8Array = new Uint8Array(0);
  private need = 4;
  private skip = 0;

  feed(chunk: Uint8Array): void {
    let at = 0;
    while (at < chunk.length && this.state !== 'done') {
      if (this.state === 'body') {
        const step = Math.min(this.skip, chunk.length - at);
        this.skip -= step;
        at += step;
        if (this.skip === 0) this.expect('prefix', 4);
        continue;
      }
      const take = Math.min(this.need - this.pending.length, chunk.length - at);
      this.pending = join(this.pending, chunk.subarray(at, at + take));
      at += take;
      if (this.pending.length === this.need) this.step();
    }
  }

  private expect(state: State, need: number): void {
    this.state = state;
    this.need = need;
    this.pending = new Uint8Array(0);
  }

  private step(): void {
    const view = new DataView(this.pending.buffer, this.pending.byteOffset, this.pending.length);
    if (this.state === 'prefix' || this.state === 'length') {
      // Current format: 0xFFFFFFFF then the metadata length; pre-0.15: the length alone.
      const length = view.getUint32(0, true);
      if (this.state === 'prefix' && length === CONTINUATION) return this.expect('length', 4);
      if (length === 0) {
        if (this.firstEnded) return this.expect('done', 0);
        this.firstEnded = true;
        return this.expect('prefix', 4);
      }
      if (length > 1 << 30) return this.expect('done', 0);
      return this.expect('metadata', length);
    }
    // metadata: a flatbuffer Message { version: short, header_type: ubyte, header, bodyLength: long }
    const { headerType, bodyLength } = readMessage(view);
    if (this.firstEnded) {
      this.secondStream = headerType === SCHEMA_HEADER;
      return this.expect('done', 0);
    }
    if (bodyLength < 0) return this.expect('done', 0);
    if (bodyLength === 0) return this.expect('prefix', 4);
    this.expect('body', 0);
    this.skip = bodyLength;
  }
}

function readMessage(view: DataView): { headerType: number; bodyLength: number } {
  try {
    const table = view.getUint32(0, true);
    const vtable = table - view.getInt32(table, true);
    const vtableSize = view.getUint16(vtable, true);
    const field = (index: number): number => {
      const slot = 4 + 2 * index;
      return slot < vtableSize ? view.getUint16(vtable + slot, true) : 0;
    };
    const typeAt = field(1);
    const lengthAt = field(3);
    const headerType = typeAt === 0 ? 0 : view.getUint8(table + typeAt);
    const bodyLength = lengthAt === 0 ? 0 : Number(view.getBigInt64(table + lengthAt, true));
    return { headerType, bodyLength };
  } catch {
    return { headerType: 0, bodyLength: -1 };
  }
}

function join(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b.slice();
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
