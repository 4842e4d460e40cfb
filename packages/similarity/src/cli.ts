import { UsageError, runTool, type CommonArgs } from '@cnnpipe/core';

// Placeholder until the tool's issue lands: says so and exits 1.
export function main(argv?: string[]): Promise<void> {
  return runTool<CommonArgs>(
    {
      name: 'similarity',
      usage: '',
      description: "Pearson and Euclidean neuron-to-neuron similarity per layer (not built yet: see the open issues).",
      examples: [['similarity --help', 'this text']],
      async run() {
        throw new UsageError('not built yet');
      },
    },
    argv,
  );
}
