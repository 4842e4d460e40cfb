import { CliError, type ArrowInput } from '@cnnpipe/core';
import { modelName } from '@cnnpipe/lstsq';
import { DataType, type FixedSizeList, type Schema } from 'apache-arrow';

/** One layer of a network as a column of its activations table. */
export interface LayerColumn {
  name: string;
  width: number;
}

/** One network's side of a comparison: its model name and the layers compared, in order. */
export interface SideLayout {
  model: string;
  layers: LayerColumn[];
}

function isFeature(type: DataType): boolean {
  return DataType.isFixedSizeList(type) && DataType.isFloat(type.children[0]!.type);
}

/**
 * The layers of one table to compare: the asked columns in the asked order, else every
 * FixedSizeList<float> column in table order (extract writes them in --layer order, so a
 * network's layers stay in network order on the figure's axes).
 */
export function sideLayout(input: ArrowInput, asked: string[], flag: string): SideLayout {
  const schema: Schema = input.schema;
  const features = schema.fields.filter((f) => isFeature(f.type));
  const have = features.map((f) => f.name).join(', ') || 'none';
  let layers: LayerColumn[];
  if (asked.length > 0) {
    layers = asked.map((name) => {
      const field = schema.fields.find((f) => f.name === name);
      if (!field) throw new CliError(`${input.name}: no column '${name}' (given by ${flag}; layer columns are: ${have})`);
      if (!isFeature(field.type)) {
        throw new CliError(`${input.name}: column '${name}' (given by ${flag}) is not FixedSizeList<float32> (expected a layer column)`);
      }
      return { name, width: (field.type as FixedSizeList).listSize };
    });
    const dup = asked.find((name, i) => asked.indexOf(name) !== i);
    if (dup !== undefined) throw new CliError(`${input.name}: layer '${dup}' given twice by ${flag}`);
  } else {
    layers = features.map((f) => ({ name: f.name, width: (f.type as FixedSizeList).listSize }));
    if (layers.length === 0) throw new CliError(`${input.name}: no layer columns (expected FixedSizeList<float32> columns, as extract writes)`);
  }
  const empty = layers.find((l) => l.width === 0);
  if (empty) throw new CliError(`${input.name}: layer '${empty.name}' has no features (expected width >= 1)`);
  return { model: modelName(schema, input.name), layers };
}
