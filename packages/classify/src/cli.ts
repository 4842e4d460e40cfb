import { UsageError, runTool, type CommonArgs } from '@cnnpipe/core';

// Placeholder until the tool's issue lands: says so and exits 1.
export function main(argv?: string[]): Promise<void> {
  return runTool<CommonArgs>(
    {
      name: 'classify',
      usage: '',
      description: "A network's own classifier applied to (mapped) features: predictions and accuracy (not built yet: see the open issues).",
      examples: [['classify --help', 'this text']],
      async run() {
        throw new UsageError('not built yet');
      },
    },
    argv,
  );
}
