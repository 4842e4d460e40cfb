import { UsageError, runTool, type CommonArgs } from '@cnnpipe/core';

// Placeholder until the tool's issue lands: says so and exits 1.
export function main(argv?: string[]): Promise<void> {
  return runTool<CommonArgs>(
    {
      name: 'venn',
      usage: '',
      description: "Compare the concepts two networks' neurons learned: shared, unique, Jaccard, top, scores (not built yet: see the open issues).",
      examples: [['venn --help', 'this text']],
      async run() {
        throw new UsageError('not built yet');
      },
    },
    argv,
  );
}
