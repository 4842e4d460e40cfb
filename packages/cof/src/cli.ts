import { UsageError, runTool, type CommonArgs } from '@cnnpipe/core';

// Placeholder until the tool's issue lands: says so and exits 1.
export function main(argv?: string[]): Promise<void> {
  return runTool<CommonArgs>(
    {
      name: 'cof',
      usage: '',
      description: "Neuron-by-class co-occurrence counts of top-K images; --concepts for dominant-class concepts (not built yet: see the open issues).",
      examples: [['cof --help', 'this text']],
      async run() {
        throw new UsageError('not built yet');
      },
    },
    argv,
  );
}
