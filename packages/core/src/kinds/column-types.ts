import { DataType, type Field, type Schema } from 'apache-arrow';

/**
 * Column types as the design writes them (`utf8`, `int32`, `FixedSizeList<float32>`...),
 * with a matcher per type, so validators can say what they expected in the user's words.
 */
export type TypeSpec =
  | 'utf8'
  | 'int32'
  | 'integer'
  | 'float32'
  | 'float64'
  | 'number'
  | 'bool'
  | 'FixedSizeList<float32>'
  | 'FixedSizeList<float64>'
  | 'FixedSizeList<int32>'
  | 'List<float32>'
  | 'List<float64>'
  | 'FixedSizeList|List<number>';

/** The design's spelling of an Arrow type, for messages (`FixedSizeList<float32>[512]`). */
export function describeType(type: DataType): string {
  if (DataType.isUtf8(type) || DataType.isLargeUtf8(type)) return 'utf8';
  if (DataType.isDictionary(type)) return `dictionary<${describeType(type.dictionary)}>`;
  if (DataType.isInt(type)) return `${type.isSigned ? 'int' : 'uint'}${type.bitWidth}`;
  if (DataType.isFloat(type)) return ['float16', 'float32', 'float64'][type.precision] ?? 'float';
  if (DataType.isBool(type)) return 'bool';
  if (DataType.isFixedSizeList(type)) {
    return `FixedSizeList<${describeType(type.children[0]!.type)}>[${type.listSize}]`;
  }
  if (DataType.isList(type)) return `List<${describeType(type.children[0]!.type)}>`;
  if (DataType.isLargeList(type)) return `LargeList<${describeType(type.children[0]!.type)}>`;
  return String(type);
}

function isUtf8Like(type: DataType): boolean {
  return (
    DataType.isUtf8(type) ||
    DataType.isLargeUtf8(type) ||
    (DataType.isDictionary(type) && isUtf8Like(type.dictionary))
  );
}

function isFloatOf(type: DataType, precision: 1 | 2): boolean {
  return DataType.isFloat(type) && type.precision === precision;
}

function isNumeric(type: DataType): boolean {
  return DataType.isInt(type) || DataType.isFloat(type);
}

function child(type: DataType): DataType | undefined {
  return type.children?.[0]?.type;
}

export function matchesType(type: DataType, spec: TypeSpec): boolean {
  switch (spec) {
    case 'utf8':
      return isUtf8Like(type);
    case 'int32':
      return DataType.isInt(type) && type.isSigned && type.bitWidth === 32;
    case 'integer':
      return DataType.isInt(type);
    case 'float32':
      return isFloatOf(type, 1);
    case 'float64':
      return isFloatOf(type, 2);
    case 'number':
      return isNumeric(type);
    case 'bool':
      return DataType.isBool(type);
    case 'FixedSizeList<float32>':
      return DataType.isFixedSizeList(type) && isFloatOf(child(type)!, 1);
    case 'FixedSizeList<float64>':
      return DataType.isFixedSizeList(type) && isFloatOf(child(type)!, 2);
    case 'FixedSizeList<int32>':
      return DataType.isFixedSizeList(type) && matchesType(child(type)!, 'int32');
    case 'List<float32>':
      return DataType.isList(type) && isFloatOf(child(type)!, 1);
    case 'List<float64>':
      return DataType.isList(type) && isFloatOf(child(type)!, 2);
    case 'FixedSizeList|List<number>':
      return (DataType.isFixedSizeList(type) || DataType.isList(type)) && isNumeric(child(type)!);
  }
}

export function findField(schema: Schema, name: string): Field | undefined {
  return schema.fields.find((f) => f.name === name);
}
