import { UsageError, runTool, type CommonArgs } from '@cnnpipe/core';

// Placeholder until the tool's issue lands: says so and exits 1.
export function main(argv?: string[]): Promise<void> {
  return runTool<CommonArgs>(
    {
      name: 'sparsity',
      usage: '',
      description: "Gini sparsity, spectral flatness and multi-faceted degree of each neuron's class counts (not built yet: see the open issues).",
      examples: [['sparsity --help', 'this text']],
      async run() {
        throw new UsageError('not built yet');
      },
    },
    argv,
  );
}
