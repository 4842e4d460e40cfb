import { UsageError, runTool, type CommonArgs } from '@cnnpipe/core';

// Placeholder until the tool's issue lands: says so and exits 1.
export function main(argv?: string[]): Promise<void> {
  return runTool<CommonArgs>(
    {
      name: 'ica',
      usage: '',
      description: "Top receptive-field patches of each neuron and their FastICA components (not built yet: see the open issues).",
      examples: [['ica --help', 'this text']],
      async run() {
        throw new UsageError('not built yet');
      },
    },
    argv,
  );
}
