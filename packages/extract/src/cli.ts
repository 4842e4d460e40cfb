import { UsageError, runTool, type CommonArgs } from '@cnnpipe/core';

// Placeholder until the tool's issue lands: says so and exits 1.
export function main(argv?: string[]): Promise<void> {
  return runTool<CommonArgs>(
    {
      name: 'extract',
      usage: '',
      description: "Activations of any layer of any ONNX CNN over image folders, as an Arrow stream (not built yet: see the open issues).",
      examples: [['extract --help', 'this text']],
      async run() {
        throw new UsageError('not built yet');
      },
    },
    argv,
  );
}
