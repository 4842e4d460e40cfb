import { DataType, type Field, type Schema } from 'apache-arrow';
import { describeType } from '@cnnpipe/core';

/** A number as a person reads it in a table: up to 6 significant digits, integers as is. */
export function formatNumber(value: number): string {
  if (Number.isInteger(value)) return String(value);
  if (!Number.isFinite(value)) return String(value);
  return String(Number(value.toPrecision(6)));
}

/** One cell as text; vectors show their first `preview` items and their length. */
export function formatCell(value: unknown, type: DataType, preview = 4): string {
  if (value === null || value === undefined) return '∅';
  if (DataType.isFixedSizeList(type) || DataType.isList(type)) {
    const items = Array.from(value as ArrayLike<unknown>);
    const element = type.children[0]!.type;
    const shown = items.slice(0, preview).map((v) => formatCell(v, element, preview));
    return items.length > preview ? `[${shown.join(', ')}, … ${items.length} values]` : `[${shown.join(', ')}]`;
  }
  if (typeof value === 'number') return formatNumber(value);
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  return String(value);
}

function isNumericType(type: DataType): boolean {
  return DataType.isInt(type) || DataType.isFloat(type);
}

/** The narrowest a column is cut to when the table is too wide for the terminal. */
const MIN_COLUMN = 8;

/** The widths of the columns of `rows`, narrowed (widest first) until a line fits `maxWidth`. */
export function columnWidths(fields: Field[], rows: string[][], maxWidth = Number.POSITIVE_INFINITY): number[] {
  const widths = fields.map((f, c) => Math.max(f.name.length, ...rows.map((r) => [...r[c]!].length)));
  const total = () => widths.reduce((a, b) => a + b, 0) + 2 * Math.max(0, widths.length - 1);
  while (total() > maxWidth) {
    const widest = widths.indexOf(Math.max(...widths));
    if (widths[widest]! <= MIN_COLUMN) break;
    widths[widest]!--;
  }
  return widths;
}

/** Text cut to `width` characters, the cut marked with '…'. */
function cut(text: string, width: number): string {
  const chars = [...text];
  return chars.length <= width ? text : `${chars.slice(0, width - 1).join('')}…`;
}

/** Rows as an aligned text table: numbers right-aligned, text left-aligned; cells cut to fit `maxWidth`. */
export function alignedTable(fields: Field[], rows: string[][], maxWidth = Number.POSITIVE_INFINITY): string {
  const widths = columnWidths(fields, rows, maxWidth);
  const pad = (full: string, c: number) => {
    const text = cut(full, widths[c]!);
    const fill = ' '.repeat(widths[c]! - [...text].length);
    return isNumericType(fields[c]!.type) ? fill + text : text + fill;
  };
  const lines = [fields.map((f, c) => pad(f.name, c)).join('  ').trimEnd()];
  lines.push(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of rows) lines.push(row.map((cell, c) => pad(cell, c)).join('  ').trimEnd());
  return `${lines.join('\n')}\n`;
}

function prettyMetadataValue(value: string): string {
  try {
    const parsed: unknown = JSON.parse(value);
    if (typeof parsed === 'object' && parsed !== null) {
      const text = JSON.stringify(parsed);
      return text.length > 300 ? `${text.slice(0, 300)}… (${text.length} chars)` : text;
    }
  } catch {
    /* not JSON: show as is */
  }
  return value;
}

/** The schema as `name  type  nullable` lines, then its metadata. */
export function describeSchema(schema: Schema): string {
  const nameWidth = Math.max(6, ...schema.fields.map((f) => f.name.length));
  const lines = ['column'.padEnd(nameWidth) + '  type'];
  for (const f of schema.fields) lines.push(`${f.name.padEnd(nameWidth)}  ${describeType(f.type)}${f.nullable ? '' : ' not null'}`);
  if (schema.metadata.size > 0) {
    lines.push('', 'metadata');
    for (const [key, value] of schema.metadata) lines.push(`  ${key}: ${prettyMetadataValue(value)}`);
  }
  return `${lines.join('\n')}\n`;
}
