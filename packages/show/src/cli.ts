import { ByteSink, UsageError, openArrow, runTool, type CommonArgs } from '@cnnpipe/core';
import { alignedTable, describeSchema, formatCell } from './format.js';

interface ShowArgs extends CommonArgs {
  rows: number;
  all: boolean;
  schema: boolean;
  width: number;
}

export function main(argv?: string[]): Promise<void> {
  return runTool<ShowArgs>(
    {
      name: 'show',
      usage: '[-n ROWS] [--schema] [FILE]',
      description:
        'The first rows of any Arrow stream as an aligned text table (vectors shortened to their first ' +
        'items and length), and with --schema its columns, types and cnnpipe metadata. Reads only as ' +
        'many batches as it shows. FILE defaults to stdin.',
      examples: [
        ["printf 'layer,unit,description,similarity\\nlayer2,0,dotted,0.2\\n' | csv --to-arrow --kind concepts | show", 'a one-row concepts table'],
        ['show --schema -n 0 acts.arrows', 'only the schema and metadata of a file'],
      ],
      options: (y) =>
        y
          .option('rows', { alias: 'n', type: 'number', default: 10, describe: 'How many rows to show' })
          .option('all', { type: 'boolean', default: false, describe: 'Show every row' })
          .option('schema', { type: 'boolean', default: false, describe: 'Also print the schema and metadata' })
          .option('width', { type: 'number', default: 4, describe: 'Items shown of each vector' }),
      async run(args) {
        const files = args._.map(String);
        if (files.length > 1) throw new UsageError(`expected at most one FILE, got ${files.length}`);
        if (!Number.isInteger(args.rows) || args.rows < 0) throw new UsageError(`--rows must be a count, got ${args.rows}`);
        const input = await openArrow(files[0]);
        const sink = ByteSink.open(args.output);
        if (args.schema) await sink.write(`${describeSchema(input.schema)}\n`);
        const limit = args.all ? Number.POSITIVE_INFINITY : args.rows;
        const fields = input.schema.fields;
        const rows: string[][] = [];
        let total = 0;
        let more = false;
        if (limit > 0) {
          for await (const batch of input.batches()) {
            for (let r = 0; r < batch.numRows && rows.length < limit; r++) {
              rows.push(fields.map((f, c) => formatCell(batch.getChildAt(c)!.get(r), f.type, args.width)));
            }
            total += batch.numRows;
            if (rows.length >= limit) {
              more = total > rows.length;
              break;
            }
          }
        }
        if (limit > 0) await sink.write(alignedTable(fields, rows));
        if (more) await sink.write(`… (more rows)\n`);
        sink.commit();
      },
    },
    argv,
  );
}
