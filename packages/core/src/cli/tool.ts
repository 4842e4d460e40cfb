import { readFileSync } from 'node:fs';
import yargs, { type Argv } from 'yargs';
import { CliError, UsageError, errorMessage } from './errors.js';
import { unknownFlagsMessage } from './did-you-mean.js';
import { configureIo } from '../arrow/io-settings.js';
import { KINDS } from '../kinds/specs.js';
import { NonFiniteGuard } from '../arrow/nonfinite.js';
import { removePendingOutputs } from '../arrow/output.js';
import { Progress } from './progress.js';

/** Flags every tool has. */
export interface CommonArgs {
  output?: string;
  progress: boolean;
  /** --skip-nonfinite (tools with `readsNumbers`): drop rows with NaN/Inf instead of stopping. */
  skipNonfinite?: boolean;
  /** --kind (tools that read tables): the kind of an input without cnnpipe.kind metadata. */
  kind?: string;
  /** --compress (tools that write tables): LZ4-frame Arrow IPC, ZSTD Parquet. */
  compress?: boolean;
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
  /** The NaN/Inf policy for one input (stop, or drop rows with --skip-nonfinite and warn). */
  nonFinite(input: string, what?: string): NonFiniteGuard;
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
  /** Whether the tool computes with numbers it reads (adds --skip-nonfinite). */
  readsNumbers?: boolean;
  /** Whether the tool reads cnnpipe tables (adds --kind for foreign ones). Default true. */
  readsTables?: boolean;
  run(args: A & CommonArgs, ctx: ToolContext): Promise<void>;
  /** Extra text after the options (notes, formats). */
  epilogue?: string;
}

function packageVersion(): string {
  // The nearest package.json above this module: core's from dist/cli/, the tool's from a bundle.
  for (const up of ['../package.json', '../../package.json']) {
    try {
      const raw = readFileSync(new URL(up, import.meta.url), 'utf8');
      return (JSON.parse(raw) as { version: string }).version;
    } catch {
      // not at this depth; try the next
    }
  }
  return 'unknown';
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
      // Dying of the signal itself (status 128+n, as the shell expects): process.exit would
      // wait for a read pending on a stalled FIFO, which only its writer can end.
      process.removeAllListeners(signal);
      process.kill(process.pid, signal);
    });
  }
}

const EXAMPLES_MARK = '\u2063EXAMPLES\u2063';

/** The examples block of a tool's help: each command on its own line(s) as written, then what it does. */
export function examplesText(spec: Pick<ToolSpec<unknown>, 'examples'>): string {
  return spec.examples.map(([command, what]) => `  ${command}\n      ${what}`).join('\n');
}

/** Parsers whose --kind is core's (a tool's own --kind, as csv's, means something else). */
const commonKind = new WeakSet<object>();

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
  if (spec.readsNumbers) {
    parser = parser.option('skip-nonfinite', {
      type: 'boolean',
      default: false,
      describe: 'Drop input rows holding NaN or ±Infinity (one warning says how many) instead of stopping',
    }) as unknown as Argv<CommonArgs>;
  }
  if (spec.writesOutput !== false) {
    parser = parser.option('output', {
      alias: 'o',
      type: 'string',
      describe: 'Write to FILE (atomically: a temporary file renamed on success) instead of stdout',
    }) as unknown as Argv<CommonArgs>;
  }
  if (spec.writesOutput !== false) {
    parser = parser.option('compress', {
      type: 'boolean',
      default: false,
      describe: 'Compress the output table (Arrow IPC: LZ4 frame, as pyarrow does; Parquet: ZSTD)',
    }) as unknown as Argv<CommonArgs>;
  }
  let withOptions = (spec.options ? spec.options(parser) : parser) as unknown as Argv<A & CommonArgs>;
  if (spec.readsTables !== false && optionsOf(withOptions as unknown as Argv<unknown>).key.kind === undefined) {
    commonKind.add(withOptions);
    withOptions = withOptions.option('kind', {
      type: 'string',
      choices: Object.keys(KINDS),
      describe: 'Table kind of an input without cnnpipe.kind metadata (a table from pandas, polars, pyarrow); default: the one its columns fit',
    }) as unknown as Argv<A & CommonArgs>;
  }
  oneValuePerFlag(withOptions);
  // `TOOL completion >> ~/.bashrc` (or ~/.zshrc): yargs' own completion script and its
  // completer, set up only when asked (as a command it would change how yargs orders its
  // checks of every other command line).
  if (argv[0] === 'completion' || argv.includes('--get-yargs-completions')) {
    withOptions.completion('completion', 'Print a shell completion script (bash, zsh)');
  }
  // Examples as a block of their own: full commands stay on one line, ready to copy.
  // yargs wraps its epilogue at the terminal width, cutting commands in two: the examples
  // stand in as one word and are put back unwrapped when the help is printed (runTool).
  withOptions.epilogue(`Examples:\n${EXAMPLES_MARK}${spec.epilogue ? `\n\n${spec.epilogue}` : ''}`);
  return withOptions
    .help('help')
    .alias('help', 'h')
    .version(packageVersion())
    .strictOptions()
    .wrap(Math.min(100, process.stdout.columns || 100))
    .exitProcess(false)
    .fail((message, error) => {
      // yargs' own complaints (a flag without its value...) come as a YError.
      if (error && error.name !== 'YError') throw error;
      // An unknown flag first, with a close match: a typo (--modle) explains the rest.
      const options = optionsOf(withOptions as unknown as Argv<unknown>);
      const unknown = unknownFlagsMessage(argv, [...Object.keys(options.key), ...Object.values(options.alias).flat()]);
      throw new UsageError(unknown ?? oneLineUsage(message ?? error?.message ?? 'bad arguments'));
    });
}

/** What yargs' getOptions() returns (missing from its type declarations). */
interface ParserOptions {
  array: string[];
  boolean: string[];
  string: string[];
  number: string[];
  alias: Record<string, string[]>;
  key: Record<string, unknown>;
}

function optionsOf(parser: Argv<unknown>): ParserOptions {
  return (parser as unknown as { getOptions(): ParserOptions }).getOptions();
}

/**
 * Every value-taking flag takes exactly one value per occurrence, so none swallows the FILE
 * after it (`topk --layer a acts.arrows` reads acts.arrows), and a flag without its value
 * says so instead of reading stdin.
 */
function oneValuePerFlag(parser: Argv<unknown>): void {
  const options = optionsOf(parser);
  for (const key of options.array) parser.nargs(key, 1);
  for (const key of new Set([...options.array, ...options.string, ...options.number])) parser.requiresArg(key);
}

/** The flag as a user types it: -k, --layer. */
function flag(name: string): string {
  return name.length === 1 ? `-${name}` : `--${name}`;
}

/** yargs' messages (some over several lines) as one line in the tools' own words. */
export function oneLineUsage(message: string): string {
  const text = message.trim();
  if (text.startsWith('Invalid values:')) {
    const parts = [...text.matchAll(/Argument: (\S+), Given: (.+?), Choices: (.+?)(?=\n|$)/g)].map(
      ([, name, given, choices]) => `${flag(name!)} ${given!.replace(/"/g, "'")} is not one of ${choices!.replace(/"/g, '')}`,
    );
    if (parts.length > 0) return parts.join('; ');
  }
  let m = /^Not enough arguments following: (\S+)$/.exec(text);
  if (m) return `${flag(m[1]!)} needs a value`;
  m = /^Missing required arguments?: (.+)$/.exec(text);
  if (m) return `missing ${m[1]!.split(', ').map(flag).join(', ')} (required)`;
  m = /^Unknown arguments?: (.+)$/.exec(text);
  if (m) {
    // yargs lists --skip-x also as skipX: name each flag once, as typed.
    const names = m[1]!.split(', ');
    const kebab = (n: string) => n.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
    const unique = names.filter((n) => kebab(n) === n || !names.includes(kebab(n)));
    const s = unique.length > 1 ? 's' : '';
    return `unknown option${s} ${unique.map((n) => (n.startsWith('-') ? n : flag(n))).join(', ')}`;
  }
  m = /^Arguments (\S+) and (\S+) are mutually exclusive$/.exec(text);
  if (m) return `${flag(m[1]!)} and ${flag(m[2]!)} cannot be used together`;
  return text.replace(/\s*\n\s*/g, ' ');
}

/**
 * A flag that takes one value, given twice, is a usage error rather than a list the tool
 * did not expect (`--ridge 1 --ridge 2`); a repeated switch is just on. Flags declared as
 * arrays, or described as "(repeatable)", collect their values.
 */
function checkRepeats(parser: Argv<unknown>, args: Record<string, unknown>): void {
  const options = optionsOf(parser);
  const descriptions = (parser as unknown as { getInternalMethods?: () => { getUsageInstance(): { getDescriptions(): Record<string, string | undefined> } } })
    .getInternalMethods?.()
    .getUsageInstance()
    .getDescriptions() ?? {};
  const aliases = new Set(Object.values(options.alias).flat());
  const camel = (name: string) => name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
  for (const key of Object.keys(options.key)) {
    const value = args[key];
    if (aliases.has(key) || !Array.isArray(value) || options.array.includes(key)) continue;
    const names = [key, ...(options.alias[key] ?? [])];
    if (options.boolean.includes(key)) {
      const last = value[value.length - 1] as unknown;
      for (const name of names) args[name] = args[camel(name)] = last;
      continue;
    }
    if (names.some((name) => /\(repeatable\)/.test(descriptions[name] ?? ''))) continue;
    throw new UsageError(`${flag(key)} given ${value.length} times (it takes one value)`);
  }
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
    nonFinite: (input, what) => new NonFiniteGuard(input, false, ctx.warn, what),
  };
  try {
    let helpShown = false;
    const parser = buildParser(spec, argv);
    if (argv[0] === 'completion' && argv.length === 1) {
      // Before parsing: a tool's required flags would refuse the bare command.
      (parser as unknown as { showCompletionScript($0: string, cmd: string): void }).showCompletionScript(spec.name, 'completion');
      return;
    }
    const args = (await parser.parseAsync(argv, {}, (_err, _argv, output) => {
      if (output) {
        helpShown = true;
        const text = output.replace(EXAMPLES_MARK, examplesText(spec as ToolSpec<unknown>));
        process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
      }
    })) as A & CommonArgs;
    if (helpShown) return;
    checkRepeats(parser as unknown as Argv<unknown>, args as unknown as Record<string, unknown>);
    ctx.progress = (label, total, unit) => new Progress(`${spec.name}: ${label}`, total, args.progress, unit);
    ctx.nonFinite = (input, what) => new NonFiniteGuard(input, Boolean(args.skipNonfinite), ctx.warn, what);
    configureIo({
      compress: Boolean(args.compress),
      kind: commonKind.has(parser) && typeof args.kind === 'string' ? args.kind : undefined,
      note: ctx.info,
    });
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
