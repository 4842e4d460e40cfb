import { UsageError, runTool, type CommonArgs } from '@cnnpipe/core';

// Placeholder until the tool's issue lands: says so and exits 1.
export function main(argv?: string[]): Promise<void> {
  return runTool<CommonArgs>(
    {
      name: 'plot',
      usage: '',
      description: "The studies' figures (bar, line, box, density, heatmap, venn, montage) as SVG or PNG (not built yet: see the open issues).",
      examples: [['plot --help', 'this text']],
      async run() {
        throw new UsageError('not built yet');
      },
    },
    argv,
  );
}
