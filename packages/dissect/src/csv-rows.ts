/**
 * RFC 4180 rows (quoted fields, doubled quotes, CRLF or LF), for Broden's index and label
 * files. Hand-written because it is 30 lines and the probe's files are small next to its
 * masks; packages/csv is a tool, not a library.
 */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"' && field === '') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += ch;
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows.filter((r) => !(r.length === 1 && r[0] === ''));
}

/** A CSV file as a header and records keyed by column name. */
export interface CsvTable {
  header: string[];
  records: Record<string, string>[];
}

export function csvTable(text: string): CsvTable {
  const [header = [], ...rows] = parseCsv(text);
  const records = rows.map((r) => Object.fromEntries(header.map((h, i) => [h.trim(), r[i] ?? ''])));
  return { header: header.map((h) => h.trim()), records };
}
