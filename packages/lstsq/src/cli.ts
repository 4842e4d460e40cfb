import { UsageError, runTool, type CommonArgs } from '@cnnpipe/core';

// Placeholder until the tool's issue lands: says so and exits 1.
export function main(argv?: string[]): Promise<void> {
  return runTool<CommonArgs>(
    {
      name: 'lstsq',
      usage: '',
      description: "Least-squares affine maps between two networks' features: fit, merge, apply, logits, naive (not built yet: see the open issues).",
      examples: [['lstsq --help', 'this text']],
      async run() {
        throw new UsageError('not built yet');
      },
    },
    argv,
  );
}
