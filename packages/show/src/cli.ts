import { ByteSink, UsageError, oneFile, openArrow, runTool, type CommonArgs } from '@cnnpipe/core';
import { statSync } from 'node:fs';
import { alignedTable, describeSchema } from './format.js';
import { countLine, fitCells, readPreview } from './preview.js';

interface ShowArgs extends CommonArgs {
  rows: number;
  all: boolean;
  schema: boolean;
  width: number;
  columns?: number;
}

/** The terminal's width, else $COLUMNS, else 120 (a file or a pipe). */
function terminalWidth(): number {
  if (process.stdout.isTTY && process.stdout.columns) return process.stdout.columns;
  const fromEnv = Number(process.env.COLUMNS);
  return Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : 120;
}

const isRegularFile = (path: string | undefined): boolean => {
  try {
    return path !== undefined && path !== '-' && statSync(path).isFile();
  } catch {
    return false;
  }
};

export function main(argv?: string[]): Promise<void> {
  return runTool<ShowArgs>(
    {
      name: 'show',
      usage: '[-n ROWS] [--schema] [FILE]',
      description:
        'The first rows of any table (Arrow stream, Arrow file, Parquet) as an aligned text table fitted to the ' +
        'terminal width (vectors shortened to their first items and length, long text cut with …), then the ' +
        'row count, and with --schema its columns, types and cnnpipe metadata. From stdin it reads only as many ' +
        'batches as it shows; from a file it counts every row. FILE defaults to stdin.',
      examples: [
        ["printf 'layer,unit,description,similarity\\nlayer2,0,dotted,0.2\\n' | csv --to-arrow --kind concepts | show", 'a one-row concepts table'],
        ['show --schema -n 0 acts.arrows', 'only the schema and metadata of a file'],
      ],
      options: (y) =>
        y
          .option('rows', { alias: 'n', type: 'number', default: 10, describe: 'How many rows to show' })
          .option('all', { type: 'boolean', default: false, describe: 'Show every row' })
          .option('schema', { type: 'boolean', default: false, describe: 'Also print the schema and metadata' })
          .option('width', { type: 'number', default: 4, describe: 'Items shown of each vector (fewer when the table is too wide)' })
          .option('columns', { type: 'number', describe: 'Line width to fit (default: the terminal width, else $COLUMNS, else 120)' }),
      async run(args) {
        const file = oneFile(args);
        if (!Number.isInteger(args.rows) || args.rows < 0) throw new UsageError(`--rows must be a count, got ${args.rows}`);
        // As it is: show prints any table, foreign ones without conversions.
        const input = await openArrow(file, { foreign: false });
        const sink = ByteSink.open(args.output);
        if (args.schema) await sink.write(`${describeSchema(input.schema)}\n`);
        const limit = args.all ? Number.POSITIVE_INFINITY : args.rows;
        const preview = await readPreview(input, limit, isRegularFile(file));
        const maxWidth = args.columns ?? terminalWidth();
        if (limit > 0) await sink.write(alignedTable(input.schema.fields, fitCells(input.schema.fields, preview.values, args.width, maxWidth), maxWidth));
        await sink.write(countLine(preview));
        sink.commit();
      },
    },
    argv,
  );
}
