import { CliError, matchesType } from '@cnnpipe/core';
import type { DataType } from 'apache-arrow';

/** Column checks shared by the input readers. */

export const isFloatList = (type: DataType) => matchesType(type, 'FixedSizeList<float32>') || matchesType(type, 'FixedSizeList<float64>');

/** Every value finite, or an error naming the file, column, row (by name when given) and element. */
export function checkFinite(values: Float32Array, size: number, source: string, column: string, names?: string[]): void {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i]!)) {
      const row = Math.floor(i / size);
      const what = names ? `'${names[row]}'` : `row ${row + 1}`;
      throw new CliError(`${source}: column '${column}' has ${values[i]} at ${what}, element ${i % size} (expected finite numbers)`);
    }
  }
}
