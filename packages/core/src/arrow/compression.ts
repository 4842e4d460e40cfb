import { createRequire } from 'node:module';
import { CompressionType, compressionRegistry, type Codec } from 'apache-arrow';

/**
 * Compressed Arrow IPC (pyarrow's feather/IPC writers compress with LZ4 frame by default,
 * ZSTD on request) through apache-arrow's codec registry. The codecs are plain-JS packages
 * (lz4js: LZ4 frame both ways; fzstd: ZSTD decoding), loaded with `require` on the first
 * compressed buffer, so a tool that never meets one pays nothing at start-up.
 */
const require = createRequire(import.meta.url);

interface Lz4js {
  compress(src: Uint8Array): Uint8Array;
  decompress(src: Uint8Array, maxSize?: number): Uint8Array;
}
interface Fzstd {
  decompress(src: Uint8Array): Uint8Array;
}

let lz4: Lz4js | undefined;
let zstd: Fzstd | undefined;
const lz4js = (): Lz4js => (lz4 ??= require('lz4js') as Lz4js);
const fzstd = (): Fzstd => (zstd ??= require('fzstd') as Fzstd);

const asBytes = (a: Uint8Array | number[]): Uint8Array => (a instanceof Uint8Array ? a : Uint8Array.from(a));

const decodeLz4 = (data: Uint8Array): Uint8Array => asBytes(lz4js().decompress(data));
const encodeLz4 = (data: Uint8Array): Uint8Array => asBytes(lz4js().compress(data));

const LZ4_DECODE: Codec = { decode: decodeLz4 };
const LZ4_BOTH: Codec = { encode: encodeLz4, decode: decodeLz4 };
const ZSTD_DECODE: Codec = { decode: (data) => fzstd().decompress(data) };

/**
 * Registers the LZ4 frame and ZSTD decoders with apache-arrow, and with `encode` the LZ4
 * frame encoder too (the registry tries an encoder at once, which loads lz4js). A codec
 * someone else registered in between is replaced.
 */
export function registerCodecs(encode = false): void {
  const lz4Now = compressionRegistry.get(CompressionType.LZ4_FRAME);
  if (lz4Now !== LZ4_BOTH && (encode || lz4Now !== LZ4_DECODE)) {
    compressionRegistry.set(CompressionType.LZ4_FRAME, encode ? LZ4_BOTH : LZ4_DECODE);
  }
  if (compressionRegistry.get(CompressionType.ZSTD) !== ZSTD_DECODE) compressionRegistry.set(CompressionType.ZSTD, ZSTD_DECODE);
}
