import { CliError } from '@cnnpipe/core';
import { DataType, type FixedSizeList, type Schema } from 'apache-arrow';

function isFeature(type: DataType): boolean {
  return DataType.isFixedSizeList(type) && DataType.isFloat(type.children[0]!.type);
}

/**
 * The column to classify: asked, else the one `lstsq apply` added, else the only feature
 * column; it must have the classifier's input width.
 */
export function pickColumn(schema: Schema, source: string, asked: string | undefined, want: { width: number; classifier: string }): { name: string; width: number } {
  const col = findColumn(schema, source, asked);
  if (col.width !== want.width) {
    throw new CliError(`${source}: column '${col.name}' has ${col.width} features (expected ${want.width}, the input width of ${want.classifier}'s classifier)`);
  }
  return col;
}

function findColumn(schema: Schema, source: string, asked?: string): { name: string; width: number } {
  const features = schema.fields.filter((f) => isFeature(f.type));
  const named = asked ?? schema.metadata.get('cnnpipe.mapped_column');
  if (named !== undefined) {
    const field = schema.fields.find((f) => f.name === named);
    if (!field || !isFeature(field.type)) {
      throw new CliError(
        `${source}: no feature column '${named}' (expected FixedSizeList<float32>; feature columns are: ${features.map((f) => f.name).join(', ') || 'none'})`,
      );
    }
    return { name: named, width: (field.type as FixedSizeList).listSize };
  }
  const candidates = features.filter((f) => f.name !== 'logits');
  if (candidates.length !== 1) {
    throw new CliError(
      `${source}: ${candidates.length === 0 ? 'no feature column' : `several feature columns (${candidates.map((f) => f.name).join(', ')})`} ` +
        '(expected one FixedSizeList<float32> column, or --column C)',
    );
  }
  return { name: candidates[0]!.name, width: (candidates[0]!.type as FixedSizeList).listSize };
}
