import { readFileSync } from 'node:fs';
import yargs, { type Argv } from 'yargs';
import { CliError, UsageError, errorMessage } from './errors.js';
import { removePendingOutputs } from './output.js';
import { Progress } from './progress.js';

/** Flags every tool has. */
export interface CommonArgs {
  output?: string;
  progress: boolean;
  _: (string | number)[];
}

/** What a tool's `run` gets besides its arguments. */
export interface ToolContext {
  name: string;
  /** A progress bar on stderr (silent unless stderr is a terminal or --progress). */
  progress(label: string, total?: number, unit?: string): Progress;
  /** A warning line on stderr: `TOOL: warning: ...`. */
  warn(message: string): void;
  /** An informational line on stderr: `TOOL: ...`. */
  info(message: string): void;
}

export interface ToolSpec<A> {
  name: string;
  /** Positional part of the usage line, e.g. `[FILE...]`. */
  usage: string;
  /** What the tool does, a few sentences; shown under the usage line. */
  description: string;
  /** Runnable examples: [command, what it does]. The first one is the one to copy. */
  examples: [string, string][];
  /** Adds the tool's own options (and subcommands) to the yargs parser. */
  // The parser's inferred type is kebab-case and loose; `run` receives it as `A`.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  options?: (y: Argv<CommonArgs>) => Argv<any>;
  /** Whether the tool writes to stdout / `-o` (adds the -o flag). Default true. */
  writesOutput?: boolean;
  run(args: A & CommonArgs, ctx: ToolContext): Promise<void>;
  /** Extra text after the options (notes, formats). */
  epilogue?: string;
}

function packageVersion(): string {
  const raw = readFileSync(new URL('../package.json', import.meta.url), 'utf8');
  return (JSON.parse(raw) as { version: string }).version;
}

let epipeHandled = false;

/** A closed stdout (`tool | head`) ends the tool quietly with status 0. */
function exitQuietlyOnClosedStdout(): void {
  if (epipeHandled) return;
  epipeHandled = true;
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') {
      removePendingOutputs();
      process.exit(0);
    }
    process.stderr.write(`error writing stdout: ${error.message}\n`);
    process.exit(1);
  });
}

function exitOnSignals(name: string): void {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      removePendingOutputs();
      process.stderr.write(`\n${name}: interrupted\n`);
      process.exit(signal === 'SIGINT' ? 130 : 143);
    });
  }
}

/** Builds the yargs parser of a tool: its options, the common flags, help and version. */
export function buildParser<A>(spec: ToolSpec<A>, argv: string[]): Argv<A & CommonArgs> {
  let parser = yargs(argv)
    .scriptName(spec.name)
    .usage(`Usage: ${spec.name} [options] ${spec.usage}\n\n${spec.description}`)
    .option('progress', {
      type: 'boolean',
      default: Boolean(process.stderr.isTTY),
      defaultDescription: 'when stderr is a terminal',
      describe: 'Show a progress bar on stderr (--no-progress to hide it)',
    }) as unknown as Argv<CommonArgs>;
  if (spec.writesOutput !== false) {
    parser = parser.option('output', {
      alias: 'o',
      type: 'string',
      describe: 'Write to FILE (atomically: a temporary file renamed on success) instead of stdout',
    }) as unknown as Argv<CommonArgs>;
  }
  const withOptions = (spec.options ? spec.options(parser) : parser) as unknown as Argv<A & CommonArgs>;
  // Examples as a block of their own: full commands stay on one line, ready to copy.
  const examples = spec.examples.map(([command, what]) => `  ${command}\n      ${what}`).join('\n');
  withOptions.epilogue(`Examples:\n${examples}${spec.epilogue ? `\n\n${spec.epilogue}` : ''}`);
  return withOptions
    .help('help')
    .alias('help', 'h')
    .version(packageVersion())
    .strictOptions()
    .wrap(Math.min(100, process.stdout.columns || 100))
    .exitProcess(false)
    .fail((message, error) => {
      if (error) throw error;
      throw new UsageError(message);
    });
}

/**
 * Runs a tool: parses arguments, calls `run`, and turns every failure into one line
 * `TOOL: error: ...` on stderr with exit status 1 (2 for usage errors).
 */
export async function runTool<A>(spec: ToolSpec<A>, argv: string[] = process.argv.slice(2)): Promise<void> {
  exitQuietlyOnClosedStdout();
  exitOnSignals(spec.name);
  const ctx: ToolContext = {
    name: spec.name,
    progress: () => new Progress('', undefined, false),
    warn: (message) => process.stderr.write(`${spec.name}: warning: ${message}\n`),
    info: (message) => process.stderr.write(`${spec.name}: ${message}\n`),
  };
  try {
    let helpShown = false;
    const parser = buildParser(spec, argv);
    const args = (await parser.parseAsync(argv, {}, (_err, _argv, output) => {
      if (output) {
        helpShown = true;
        process.stdout.write(output.endsWith('\n') ? output : `${output}\n`);
      }
    })) as A & CommonArgs;
    if (helpShown) return;
    ctx.progress = (label, total, unit) => new Progress(`${spec.name}: ${label}`, total, args.progress, unit);
    await spec.run(args, ctx);
  } catch (error) {
    removePendingOutputs();
    if (error instanceof CliError) {
      const hint = error instanceof UsageError ? ` (see '${spec.name} --help')` : '';
      process.stderr.write(`${spec.name}: error: ${error.message}${hint}\n`);
      process.exitCode = error.exitCode;
      return;
    }
    if ((error as NodeJS.ErrnoException)?.code === 'EPIPE') return;
    // A bug, not bad input: still one line, with the stack only on request.
    process.stderr.write(`${spec.name}: error: ${errorMessage(error)}\n`);
    if (process.env.CNNPIPE_DEBUG) process.stderr.write(`${(error as Error)?.stack ?? ''}\n`);
    process.exitCode = 1;
  }
}
