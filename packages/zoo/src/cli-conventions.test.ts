import { execFileSync, spawn } from 'node:child_process';
import { closeSync, existsSync, open, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fromIPC, runBin, tempFolder } from '@cnnpipe/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fashionMnistDir, repoRoot, zooDir } from './index.js';

/** Every tool of the project: a package with a bin of its name, found, so a new tool is covered. */
const TOOLS = readdirSync(join(repoRoot, 'packages'))
  .filter((p) => existsSync(join(repoRoot, 'packages', p, 'bin', `${p}.js`)))
  .sort();
/** Tools that take no FILE operand (dream draws from noise, or from --from IMAGE). */
const NO_FILE_OPERAND = ['dream'];

const folder = tempFolder();
const at = (name: string) => folder.path(name);
afterAll(() => folder.remove());

async function step(tool: string, args: string[], out: string): Promise<string> {
  const result = await runBin(tool, [...args, '-o', out]);
  if (result.code !== 0) throw new Error(`${tool} ${args.join(' ')}: ${result.stderr}`);
  return out;
}

beforeAll(async () => {
  // A dozen demo images of two classes, through the real tools, as a user's pipeline.
  const images = ['bag', 'coat'].flatMap((c) => readdirSync(join(fashionMnistDir, 'test', c)).slice(0, 6).map((f) => `${join(fashionMnistDir, 'test', c, f)},${c}`));
  writeFileSync(at('images.txt'), `${images.join('\n')}\n`);
  await step('extract', ['--model', join(zooDir, 'vgg.onnx'), '--layer', 'block2', '--layer', 'block3', '--argmax', `@${at('images.txt')}`], at('acts.arrows'));
  await step('topk', ['-k', '3', at('acts.arrows')], at('topk.arrows'));
  await step('cof', [at('topk.arrows')], at('cof.arrows'));
  await step('cof', ['--concepts', at('topk.arrows')], at('concepts.arrows'));
  await step('sparsity', [at('cof.arrows')], at('stats.arrows'));
}, 180_000);

/** The option blocks of a tool's --help: each flag's names and the text after them. */
function helpOptions(tool: string): { names: string[]; text: string }[] {
  const help = execFileSync(process.execPath, [join(repoRoot, 'packages', tool, 'bin', `${tool}.js`), '--help'], { encoding: 'utf8' });
  const blocks: { names: string[]; text: string }[] = [];
  let inBlock = false;
  for (const line of help.split('\n')) {
    const start = /^\s+(-\w, --[\w-]+|--[\w-]+|-\w)(?=\s)/.exec(line);
    if (start) blocks.push({ names: start[1]!.split(', '), text: line });
    else if (inBlock && /^\s+\S/.test(line)) blocks[blocks.length - 1]!.text += ` ${line.trim()}`;
    // A block runs over its wrapped lines, up to the next flag or a blank line.
    inBlock = (start !== null || inBlock) && line.trim() !== '';
  }
  return blocks;
}

describe('every usage error is one line with the hint, exit 2', () => {
  const choiceFlags = TOOLS.flatMap((tool) =>
    helpOptions(tool)
      .filter((o) => o.text.includes('[choices:'))
      .map((o) => [tool, o.names[o.names.length - 1]!] as const),
  );

  it('the tools have the choice-typed flags the design names', () => {
    for (const flag of [['csv', '--kind'], ['extract', '--pool'], ['extract', '--preset'], ['ica', '--channels'], ['venn', '--report']]) {
      expect(choiceFlags).toContainEqual(flag);
    }
  });

  it('a bad choice, for every choice-typed flag of every tool', async () => {
    for (const [tool, flag] of choiceFlags) {
      // The tool's required flags get a value, so the choice is what yargs complains about.
      const required = helpOptions(tool)
        .filter((o) => o.text.includes('[required]'))
        .flatMap((o) => [o.names[o.names.length - 1]!, 'x']);
      const result = await runBin(tool, [...required, flag, 'nosuch', 'x']);
      expect(result.code, `${tool} ${flag}`).toBe(2);
      expect(result.stderr, `${tool} ${flag}`).toMatch(new RegExp(`^${tool}: error: ${flag} 'nosuch' is not one of [^\\n]+ \\(see '${tool} --help'\\)\\n$`));
    }
  });

  it('a flag without its value, an unknown flag, a missing required flag, a repeated one-value flag', async () => {
    for (const tool of TOOLS) {
      const options = helpOptions(tool);
      const required = options.filter((o) => o.text.includes('[required]')).flatMap((o) => [o.names[o.names.length - 1]!, 'x']);
      const valued = options.find((o) => /\[(string|number)\]/.test(o.text) && !o.text.includes('[required]'));
      const cases: [string[], RegExp][] = [[[...required, '--nosuch-flag', 'x'], /unknown option --nosuch-flag/]];
      if (valued) {
        const flag = valued.names[valued.names.length - 1]!;
        cases.push([[...required, flag], new RegExp(`${flag} needs a value`)]);
        cases.push([[...required, flag, '1', flag, '2', 'x'], new RegExp(`${flag} given 2 times \\(it takes one value\\)`)]);
      }
      for (const o of options.filter((o) => o.text.includes('[required]'))) {
        const flag = o.names[o.names.length - 1]!;
        const others = required.filter((_, i, all) => !(all[i] === flag || all[i - 1] === flag));
        cases.push([others, new RegExp(`missing ${flag} \\(required\\)`)]);
      }
      const results = await Promise.all(cases.map(([args]) => runBin(tool, args, '')));
      for (const [i, [args, message]] of cases.entries()) {
        const result = results[i]!;
        expect(result.code, `${tool} ${args.join(' ')}: ${result.stderr}`).toBe(2);
        expect(result.stderr.split('\n')).toHaveLength(2);
        expect(result.stderr).toMatch(new RegExp(`^${tool}: error: .*${message.source}.* \\(see '${tool} --help'\\)\\n$`));
      }
    }
  });

  it('--shard out of range is a usage error, as --batch 0 is', async () => {
    for (const args of [['--shard', '5/4'], ['--shard', '4/4'], ['--shard', 'x'], ['--batch', '0']]) {
      const result = await runBin('extract', ['--model', join(zooDir, 'vgg.onnx'), '--layer', 'block2', ...args, `@${at('images.txt')}`]);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr).toMatch(/^extract: error: --(shard|batch) .* \(see 'extract --help'\)\n$/);
    }
  });
});

describe('no option swallows the FILE after it', () => {
  // Each tool with a value flag (repeated where the tool allows it) right before its input.
  const runs: [string, () => string[], (stdout: Buffer) => void][] = [
    ['topk', () => ['-k', '2', '--layer', 'block2', '--layer', 'block3', at('acts.arrows')], (out) => expect(new Set(fromIPC(out).getChild('layer')!.toArray())).toEqual(new Set(['block2', 'block3']))],
    ['extract', () => ['--model', join(zooDir, 'vgg.onnx'), '--layer', 'block2', '--layer', 'block3', `@${at('images.txt')}`], (out) => expect(fromIPC(out).numRows).toBe(12)],
    ['cof', () => ['--concepts', '-o', '-', at('topk.arrows')], (out) => expect(fromIPC(out).numRows).toBeGreaterThan(0)],
    ['sparsity', () => ['-o', '-', at('cof.arrows')], (out) => expect(fromIPC(out).numRows).toBeGreaterThan(0)],
    ['similarity', () => ['--summary', '-o', '-', at('cof.arrows')], (out) => expect(fromIPC(out).numRows).toBe(2)],
    ['ica', () => ['--components', '2', '--channels', 'gray', '--max-iter', '50', at('topk.arrows')], (out) => expect(fromIPC(out).numRows).toBeGreaterThan(0)],
    ['lstsq', () => ['apply', '--map', at('map.arrows'), '--column', 'block3', at('acts.arrows')], (out) => expect(fromIPC(out).numRows).toBe(12)],
    ['classify', () => ['--weights', at('map.arrows'), '--column', 'block3', at('acts.arrows')], (out) => expect(fromIPC(out).numRows).toBe(12)],
    ['venn', () => ['--report', 'summary', '--names', 'a,b', at('concepts.arrows'), at('concepts.arrows')], (out) => expect(fromIPC(out).numRows).toBeGreaterThan(0)],
    ['plot', () => ['bar', '--x', 'layer', '--y', 'gini', '--width', '300', at('stats.arrows')], (out) => expect(out.toString()).toContain('<svg')],
    ['csv', () => ['--delimiter', ';', at('stats.arrows')], (out) => expect(out.toString()).toMatch(/^layer;neuron;gini/)],
    ['show', () => ['-n', '3', '--width', '2', at('stats.arrows')], (out) => expect(out.toString()).toContain('gini')],
    ['concat', () => ['-o', '-', at('topk.arrows'), at('topk.arrows')], (out) => expect(fromIPC(out).numRows).toBe(2 * fromIPC(readFileSync(at('topk.arrows'))).numRows)],
    ['saliency', () => ['--model', join(zooDir, 'vgg.onnx'), '--layer', 'block3', '--top', '1', `@${at('images.txt')}`], (out) => expect(fromIPC(out).numRows).toBe(12)],
    ['compare', () => ['--method', 'rsa', at('acts.arrows'), at('acts.arrows')], (out) => expect(fromIPC(out).numRows).toBe(4)],
    ['dissect', () => ['summary', '-o', '-', at('dissect.arrows')], (out) => expect(fromIPC(out).numRows).toBeGreaterThan(0)],
    ['describe', () => ['--image-embeddings', join(repoRoot, 'examples/describe/clip-images.arrows'), '--concepts', join(repoRoot, 'examples/describe/concepts.arrows'), '--keep', '1', '--activations', join(repoRoot, 'examples/describe/activations.arrows')], (out) => expect(fromIPC(out).numRows).toBeGreaterThan(0)],
  ];

  beforeAll(async () => {
    // A map from block3 (64 channels) to 10 dimensions: lstsq apply's map, classify's weights.
    const width = (fromIPC(readFileSync(at('acts.arrows'))).schema.fields.find((f) => f.name === 'block3')!.type as { listSize: number }).listSize;
    await step('lstsq', ['naive', '--source-dim', String(width), '--target-dim', '10'], at('map.arrows'));
    await step('dissect', ['--model', join(zooDir, 'vgg.onnx'), '--layer', 'block4', '--probe', join(repoRoot, 'examples/data/fashion-probe')], at('dissect.arrows'));
  }, 120_000);

  it.each(runs.map((r) => [r[0], r] as const))('%s', async (_tool, [tool, args, check]) => {
    const result = await runBin(tool, args(), '');
    // Progress notes (compare says what it computes) are fine; errors and warnings are not.
    expect(result.stderr, `${tool} ${args().join(' ')}`).not.toMatch(/error|warning/);
    expect(result.code).toBe(0);
    check(result.stdout);
  });

  it('atlas: each table flag takes its one value', async () => {
    const site = at('site');
    const result = await runBin('atlas', ['--topk', at('topk.arrows'), '--cof', at('cof.arrows'), '--stats', at('stats.arrows'), '-o', site, '--top', '2']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(existsSync(join(site, 'index.html'))).toBe(true);
  });

  it('runs cover every tool', () => {
    expect([...runs.map((r) => r[0]), 'atlas', ...NO_FILE_OPERAND].sort()).toEqual([...TOOLS].sort());
  });
});

describe('Ctrl-C with a read pending on a stalled FIFO', () => {
  for (const [tool, args] of [['topk', ['-k', '2']], ['show', []], ['csv', []]] as const) {
    it(`${tool} ends at once, says so, and leaves no output file`, async () => {
      const fifo = at(`${tool}.fifo`);
      execFileSync('mkfifo', [fifo]);
      const out = at(`${tool}-out`);
      const child = spawn(process.execPath, [join(repoRoot, 'packages', tool, 'bin', `${tool}.js`), ...args, fifo, '-o', out], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
      // The writer opens (so the tool's read is pending) and then sends nothing.
      const writer = await new Promise<number>((resolve, reject) => open(fifo, 'w', (error, fd) => (error ? reject(error) : resolve(fd))));
      await new Promise((resolve) => setTimeout(resolve, 300));
      child.kill('SIGINT');
      // The tool must end while the writer still holds the FIFO open (before, it waited for it).
      const { code, signal } = await exited;
      closeSync(writer);
      expect(signal === 'SIGINT' || code === 130).toBe(true);
      expect(stderr).toBe(`\n${tool}: interrupted\n`);
      expect(readdirSync(folder.dir).filter((f) => f.startsWith(`${tool}-out`) || f.startsWith(`.${tool}-out`))).toEqual([]);
    }, 20_000);
  }
});
