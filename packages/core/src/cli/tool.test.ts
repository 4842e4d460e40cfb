import { describe, expect, it } from 'vitest';
import { buildParser, type ToolSpec } from './tool.js';
import { UsageError } from './errors.js';

const spec: ToolSpec<object> = {
  name: 'demo',
  usage: '[FILE]',
  description: 'A tool for these tests.',
  examples: [['demo x', 'x']],
  readsNumbers: true,
  options: (y) =>
    y
      .option('k', { type: 'number', demandOption: true, describe: 'How many' })
      .option('layer', { type: 'string', array: true, describe: 'A layer (repeatable)' })
      .option('tap', { alias: 't', type: 'string', describe: 'A tap (repeatable)' })
      .option('mode', { choices: ['a', 'b'], default: 'a', describe: 'Mode' })
      .option('x', { type: 'string', describe: 'One value' })
      .option('y', { type: 'string', describe: 'Another' })
      .conflicts('x', 'y')
      .option('flag', { type: 'boolean', default: false, describe: 'A switch' }),
  async run() {},
};

async function usageError(argv: string[]): Promise<string> {
  try {
    await buildParser(spec, argv).parseAsync(argv);
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return (error as Error).message;
  }
  throw new Error(`no usage error for ${argv.join(' ')}`);
}

describe('usage errors are one line', () => {
  it.each([
    [['-k', '1', '--mode', 'c'], "--mode 'c' is not one of a, b"],
    [['-k'], '-k needs a value'],
    [['-k', '1', '--layer'], '--layer needs a value'],
    [[], 'missing -k (required)'],
    [['-k', '1', '--nosuch'], 'unknown option --nosuch'],
    [['-k', '1', '--bogus', '--other-one'], 'unknown options --bogus, --other-one'],
    [['-k', '1', '--x', 'a', '--y', 'b'], '-x and -y cannot be used together'],
  ])('%j', async (argv, message) => {
    const text = await usageError(argv);
    expect(text).toBe(message);
    expect(text).not.toContain('\n');
  });
});

describe('flags and positional files', () => {
  it('an array flag takes one value per occurrence and leaves the FILE positional', async () => {
    const args = await buildParser(spec, []).parseAsync(['-k', '5', '--layer', 'a', '--layer', 'b', 'acts.arrows']);
    expect(args.layer).toEqual(['a', 'b']);
    expect(args._).toEqual(['acts.arrows']);
  });

  it('adds --skip-nonfinite to tools that read numbers', async () => {
    const args = await buildParser(spec, []).parseAsync(['-k', '5', '--skip-nonfinite', 'f']);
    expect(args.skipNonfinite).toBe(true);
    expect(args._).toEqual(['f']);
  });
});
