import { ArrowWriter, CliError, UsageError, openArrow, passMetadata, runTool, type ArrowInput, type CommonArgs } from '@cnnpipe/core';
import { Schema } from 'apache-arrow';
import { schemaMismatch } from './schemas.js';

export function main(argv?: string[]): Promise<void> {
  return runTool<CommonArgs>(
    {
      name: 'concat',
      usage: 'FILE...',
      description:
        'Several Arrow streams of one kind as one stream (`cat a b` is not one Arrow stream). Columns ' +
        'and types must agree; metadata is taken from the first input. Inputs are streamed one after ' +
        "another. '-' reads stdin.",
      examples: [
        ['extract --model examples/zoo/vgg.onnx --layer block3 examples/data/fashion-mnist/test/bag -o bag.arrows && extract --model examples/zoo/vgg.onnx --layer block3 examples/data/fashion-mnist/test/coat -o coat.arrows && concat bag.arrows coat.arrows -o both.parquet', 'two tables as one (here as Parquet)'],
        ['concat topk-*.arrows | topk -k 100 > topk.arrows', 'merge top-k shards'],
      ],
      async run(args) {
        const files = args._.map(String);
        if (files.length === 0) throw new UsageError('expected at least one FILE');
        if (files.filter((f) => f === '-').length > 1) throw new UsageError("stdin ('-') can be read only once");
        // Open every input first, so a mismatch is reported before anything is written.
        const inputs: ArrowInput[] = [];
        for (const file of files) inputs.push(await openArrow(file));
        const first = inputs[0]!;
        for (const input of inputs.slice(1)) {
          const why = schemaMismatch(first.schema, input.schema);
          if (why) throw new CliError(`${input.name}: cannot concatenate with ${first.name}: it has ${why}`);
        }
        const schema = new Schema(first.schema.fields, passMetadata(first.schema));
        const writer = ArrowWriter.open(args.output, schema);
        for (const input of inputs) {
          for await (const batch of input.batches()) await writer.write(batch);
        }
        await writer.close();
      },
    },
    argv,
  );
}
