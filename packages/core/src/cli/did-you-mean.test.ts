import { describe, expect, it } from 'vitest';
import { buildParser, type ToolSpec } from './tool.js';
import { closestName, editDistance, unknownFlagsMessage } from './did-you-mean.js';
import { UsageError } from './errors.js';

const spec: ToolSpec<object> = {
  name: 'demo',
  usage: '[FILE]',
  description: 'A tool for these tests.',
  examples: [['demo x', 'x']],
  options: (y) =>
    y
      .option('model', { alias: 'm', type: 'string', demandOption: true, describe: 'A model' })
      .option('layer', { type: 'string', describe: 'A layer' })
      .option('skip-nonfinite', { type: 'boolean', default: false, describe: 'A switch' }),
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

describe('did you mean', () => {
  it('edit distance counts a swap of neighbours as one edit', () => {
    expect(editDistance('modle', 'model')).toBe(1);
    expect(editDistance('layr', 'layer')).toBe(1);
    expect(editDistance('abc', 'xyz')).toBe(3);
    expect(closestName('modle', ['model', 'layer'])).toBe('model');
    expect(closestName('zzz', ['model', 'layer'])).toBeUndefined();
  });

  it('an unknown flag is named first, with the close match, not as a missing required flag', async () => {
    expect(await usageError(['--modle', 'm.onnx'])).toBe('unknown option --modle (did you mean --model?)');
    expect(await usageError(['-m', 'x', '--skip-nonfinit'])).toBe('unknown option --skip-nonfinit (did you mean --skip-nonfinite?)');
    expect(await usageError(['-m', 'x', '--nosuch', '--layr', 'a'])).toBe('unknown options --nosuch, --layr (did you mean --layer?)');
    // Known flags, --no-X of a switch and --flag=value are not unknown.
    expect(unknownFlagsMessage(['--model=a', '--no-skip-nonfinite', '--', '--x'], ['model', 'skipNonfinite', 'skip-nonfinite'])).toBeUndefined();
    expect(await usageError([])).toBe('missing --model (required)');
  });
});
