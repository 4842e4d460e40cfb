import { parse } from 'fast-csv';
import { CliError, inputName, openBytes } from '@cnnpipe/core';

export interface CsvText {
  header: string[];
  rows: string[][];
}

/**
 * Reads a whole CSV (file or stdin) with fast-csv; a row whose field count differs from
 * the header's is an error that names the row.
 */
export async function readCsv(path: string | undefined, delimiter = ','): Promise<CsvText> {
  const source = inputName(path);
  const bytes = openBytes(path);
  const rows: string[][] = [];
  let header: string[] | undefined;
  const parser = parse<string[], string[]>({ headers: false, delimiter, ignoreEmpty: true });
  const done = new Promise<void>((resolve, reject) => {
    parser.on('data', (row: string[]) => {
      if (!header) {
        header = row.map((h) => h.trim());
        return;
      }
      if (row.length !== header.length) {
        parser.destroy();
        reject(
          new CliError(
            `${source}: row ${rows.length + 2} has ${row.length} fields (expected ${header.length}, as the header: ${header.join(',')})`,
          ),
        );
        return;
      }
      rows.push(row);
    });
    parser.on('error', (error: Error) => reject(new CliError(`${source}: malformed CSV (${error.message})`)));
    parser.on('end', () => resolve());
  });
  (async () => {
    for await (const chunk of bytes) {
      if (!parser.write(chunk)) await new Promise((r) => parser.once('drain', r));
    }
    parser.end();
  })().catch((error: unknown) => parser.destroy(error as Error));
  await done;
  if (!header) throw new CliError(`${source}: empty input (expected a CSV with a header row)`);
  return { header, rows };
}
