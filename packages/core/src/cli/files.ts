import { UsageError } from './errors.js';

/** The one FILE argument of a tool that reads one table (undefined: stdin); more is a usage error. */
export function oneFile(args: { _: (string | number)[] }): string | undefined {
  if (args._.length > 1) throw new UsageError(`expected at most one FILE, got ${args._.length}`);
  return args._[0] === undefined ? undefined : String(args._[0]);
}
