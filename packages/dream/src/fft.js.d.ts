// fft.js ships no types; the part of its API that dream uses.
declare module 'fft.js' {
  class FFT {
    constructor(size: number);
    readonly size: number;
    createComplexArray(): number[];
    /** Forward transform, exp(-2 pi i jk / n), unnormalised. */
    transform(out: number[], data: ArrayLike<number>): void;
    /** Inverse transform, exp(+2 pi i jk / n), divided by n. */
    inverseTransform(out: number[], data: ArrayLike<number>): void;
  }
  export = FFT;
}
