import { execFileSync, spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, statSync, symlinkSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { tempFolder } from '@cnnpipe/core/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from './index.js';
import { inputsOf, outputsOf, readmeBlocks, shellCommands, simpleCommands, type ReadmeBlock } from './test-support/readme-blocks.js';

/**
 * The README's blocks, in order, as a newcomer runs them after `npm ci` in a fresh shell at
 * the root of a clone: each shell block runs for real (exit 0, the files it writes exist)
 * unless a marker just before it says why not (`<!-- needs: ... -->` the reader's own files,
 * `<!-- long: ... -->` minutes of work, `<!-- skip: TEXT — ... -->` the commands containing
 * TEXT, e.g. a whole study's run.sh). What is not run is checked cheaply: every command is a
 * tool (with the flags its --help lists), an npm script, or a script of the clone (`bash -n`,
 * and `make -n` of the study Makefile beside it); in long blocks every file read is in the
 * clone or made by an earlier block.
 *
 * The root is a scratch folder linking the clone's tracked top-level entries and node_modules,
 * so the blocks' relative paths resolve as from the repository root while what they write
 * (at the root, in out/) stays out of the repository; TMPDIR points inside it too (onnxruntime
 * leaves an empty mat-debug-PID.log there per process). PATH has no node_modules/.bin on it
 * (npm test puts it there): the README's own `export PATH=...` must. Shell state (exported
 * variables, the current folder) carries from block to block, as in one terminal.
 */
const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
const blocks = readmeBlocks(readme);
const folder = tempFolder();
afterAll(() => folder.remove());
const work = folder.path('root');
const tmp = folder.path('tmp');
const state = folder.path('state.sh');
mkdirSync(work);
mkdirSync(tmp);
for (const entry of [...trackedTopLevel(), 'node_modules']) symlinkSync(join(repoRoot, entry), join(work, entry));
const realWork = realpathSync(work);
const scripts = Object.keys(JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')).scripts as Record<string, string>);
const freshPath = (process.env.PATH ?? '').split(':').filter((p) => !p.includes('node_modules')).join(':');
const env: NodeJS.ProcessEnv = { ...process.env, PATH: freshPath, TMPDIR: tmp, NO_COLOR: '1' };
delete env.INIT_CWD;
delete env.npm_config_local_prefix;
execFileSync('/bin/bash', ['-c', `cd "${work}" && export -p > "${state}" && echo "cd '${work}'" >> "${state}"`], { env });

function trackedTopLevel(): string[] {
  try {
    const files = execFileSync('git', ['ls-files'], { cwd: repoRoot, encoding: 'utf8', maxBuffer: 1 << 26 }).split('\n').filter(Boolean);
    return [...new Set(files.map((f) => f.split('/')[0]))].filter((f) => existsSync(join(repoRoot, f)));
  } catch {
    return readdirSync(repoRoot).filter((f) => !['.git', 'node_modules', 'out', '.nx', 'tmp', 'coverage'].includes(f));
  }
}

function bash(script: string, timeout = 170_000) {
  return spawnSync('/bin/bash', ['-c', script], { cwd: work, env, encoding: 'utf8', maxBuffer: 1 << 28, timeout });
}

/** Runs commands in the shell state the previous block left, then saves the state for the next. */
function runInShell(commands: string[]) {
  const script = [`source "${state}"`, 'set -eo pipefail', ...commands, `{ export -p; echo "cd '$PWD'"; } > "${state}"`].join('\n');
  return bash(script);
}

const helps = new Map<string, string>();
function helpOf(tool: string, sub?: string): string {
  const key = `${tool} ${sub ?? ''}`;
  if (!helps.has(key)) {
    const args = [join(repoRoot, 'packages', tool, 'bin', `${tool}.js`), ...(sub ? [sub] : []), '--help'];
    const result = spawnSync(process.execPath, args, { cwd: work, env, encoding: 'utf8' });
    helps.set(key, `${result.stdout}${result.stderr}`);
  }
  return helps.get(key)!;
}

const isTool = (name: string) => /^[a-z]+$/.test(name) && existsSync(join(repoRoot, 'packages', name, 'bin', `${name}.js`));
/** Commands any shell has; and programs the reader installs (the block's text says so). */
const shellPrograms = new Set(['export', 'printf', 'echo', 'cd', 'cat', 'seq', 'mkdir', 'ls', 'head']);
const userPrograms = new Set(['parallel', 'sbatch']);

/** What a command that does not run is checked for; returns the problems found. */
function checkCommand(words: string[], made: Set<string>, checkFiles: boolean): string[] {
  const [name, ...args] = words;
  const problems: string[] = [];
  if (shellPrograms.has(name)) return problems;
  if (userPrograms.has(name)) return args.length > 0 && isTool(args[0]) ? checkCommand(args, made, checkFiles) : problems;
  if (name === 'npm') {
    const ok = args[0] === 'ci' || args[0] === 'test' || (args[0] === 'run' && scripts.includes(args[1]));
    return ok ? problems : [`npm ${args.join(' ')}: no such npm command or script in package.json`];
  }
  if (name === 'make') {
    const dry = bash(`make -n ${args.map((a) => `'${a}'`).join(' ')}`, 60_000);
    return dry.status === 0 ? problems : [`make -n ${args.join(' ')} fails: ${dry.stderr.trim()}`];
  }
  if (name.includes('/')) return checkScript(name, args);
  if (!isTool(name)) return [`${name}: not a tool of this repository nor a command the text asks for`];
  const sub = args[0] && /^[a-z][a-z-]*$/.test(args[0]) && !existsSync(join(work, args[0])) ? args[0] : undefined;
  const help = helpOf(name, sub);
  for (const flag of args.filter((a) => /^--?[a-zA-Z][\w-]*$/.test(a))) {
    if (!new RegExp(`(^|[\\s,\\[])${flag}([\\s,=\\]]|$)`, 'm').test(help)) problems.push(`${name}${sub ? ` ${sub}` : ''}: --help lists no ${flag}`);
  }
  if (checkFiles) {
    for (const input of inputsOf(words)) {
      if (!existsSync(join(work, input)) && !made.has(input)) problems.push(`${name}: ${input} is neither in the clone nor made by an earlier line`);
    }
  }
  for (const output of outputsOf(words)) made.add(output);
  return problems;
}

/** A script of the clone: executable, valid bash, and (a study's run.sh) its Makefile's dry run with the line's variables. */
function checkScript(path: string, args: string[]): string[] {
  const file = join(work, path);
  try {
    accessSync(file, constants.X_OK);
  } catch {
    return [`${path}: not an executable file of the clone`];
  }
  if (bash(`bash -n '${path}'`).status !== 0) return [`${path}: bash -n fails`];
  const makefile = join(dirname(path), 'Makefile');
  if (!existsSync(join(work, makefile))) return [];
  const dry = bash(`make -n -f '${makefile}' ${args.map((a) => `'${a}'`).join(' ')}`, 60_000);
  if (dry.status !== 0) return [`make -n -f ${makefile} ${args.join(' ')} fails: ${dry.stderr.trim()}`];
  const missing = [...new Set([...dry.stdout.matchAll(/node_modules\/\.bin\/([\w-]+)/g)].map((m) => m[1]))].filter((t) => !isTool(t));
  return missing.map((t) => `${makefile}: its recipes call ${t}, which is not a tool`);
}

const kinds = (block: ReadmeBlock) => block.markers.map((m) => m.kind);
const label = (block: ReadmeBlock) => {
  const first = block.text.split('\n').find((l) => l.trim() && !l.trim().startsWith('#')) ?? '';
  const marker = block.markers.length ? ` [${block.markers.map((m) => `${m.kind}: ${m.why}`).join('; ')}]` : '';
  return `line ${block.line}: ${first.trim().slice(0, 60)}${marker}`;
};

describe('reading the README', () => {
  it('finds indented and fenced blocks, their markers, commands and files', () => {
    const markdown = [
      'Some text:',
      '',
      '<!-- needs: your model -->',
      '',
      '    extract --model m.onnx images/ \\',
      "      | topk -k 5 > 'top k.arrows'   # a comment",
      '    for s in a b; do',
      '      lstsq fit --source $s.arrows:pool -o map-$s.arrows; done',
      '',
      '```python',
      'print(1)',
      '```',
    ].join('\n');
    const [shell, python, ...rest] = readmeBlocks(markdown);
    expect(rest).toEqual([]);
    expect(shell).toMatchObject({ line: 5, language: 'sh', markers: [{ kind: 'needs', why: 'your model' }] });
    expect(python).toMatchObject({ line: 11, language: 'python', text: 'print(1)', markers: [] });
    const commands = shellCommands(shell.text);
    expect(commands).toHaveLength(2);
    expect(simpleCommands(commands[0])).toEqual([['extract', '--model', 'm.onnx', 'images/'], ['topk', '-k', '5', '>', 'top k.arrows']]);
    expect(simpleCommands(commands[1])).toEqual([['lstsq', 'fit', '--source', '$s.arrows:pool', '-o', 'map-$s.arrows']]);
    expect(outputsOf(['topk', '-k', '5', '>', 'top.arrows'])).toEqual(['top.arrows']);
    expect(inputsOf(['lstsq', 'fit', '--source', 'a.arrows:pool', '--target', 'b/c.arrows', '-o', 'map.arrows'])).toEqual(['a.arrows', 'b/c.arrows']);
  });

  it('the checks of commands that do not run catch a wrong flag, script, file or command', () => {
    const made = new Set<string>();
    expect(checkCommand(['extract', '--model', 'examples/zoo/vgg.onnx', '--lyer', 'block1', '-o', 'a.arrows'], made, true)).toEqual([
      'extract: --help lists no --lyer',
    ]);
    expect(made.has('a.arrows')).toBe(true);
    expect(checkCommand(['topk', '-k', '5', 'a.arrows'], made, true)).toEqual([]);
    expect(checkCommand(['topk', '-k', '5', 'b.arrows'], made, true)).toHaveLength(1);
    expect(checkCommand(['npm', 'run', 'dmeo'], made, true)).toHaveLength(1);
    expect(checkCommand(['examples/no-such-study/run.sh'], made, true)).toHaveLength(1);
    expect(checkCommand(['frobnicate', 'a.arrows'], made, true)).toHaveLength(1);
  });
});

describe('README blocks run in order, from the root of a fresh clone', () => {
  it('has blocks, and markers of known kinds with a reason', () => {
    expect(blocks.length).toBeGreaterThan(10);
    for (const block of blocks) {
      for (const marker of block.markers) {
        expect(['needs', 'long', 'skip'], label(block)).toContain(marker.kind);
        expect(marker.why.length, label(block)).toBeGreaterThan(3);
      }
    }
  });

  it('links only to files in the clone', () => {
    const targets = [...readme.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]).filter((t) => !/^(https?:|#|mailto:)/.test(t));
    expect(targets.length).toBeGreaterThan(0);
    for (const target of targets) {
      const path = resolve(repoRoot, target.split('#')[0]);
      expect(path.startsWith(repoRoot + '/') && existsSync(path), `README links to ${target}`).toBe(true);
    }
  });

  const made = new Set<string>();
  it.each(blocks.map((block) => [label(block), block] as const))('%s', (_, block) => {
    if (block.language !== 'sh') {
      // Python and the like: the reader brings the interpreter and its packages.
      expect(kinds(block), `${label(block)}: a ${block.language} block must say what it needs`).toContain('needs');
      return;
    }
    const commands = shellCommands(block.text);
    expect(commands.length, label(block)).toBeGreaterThan(0);
    const notRun = (command: string) =>
      kinds(block).includes('needs') || kinds(block).includes('long') || block.markers.some((m) => m.kind === 'skip' && command.includes(m.why.split(' — ')[0]));
    const problems: string[] = [];
    for (const command of commands.filter(notRun)) {
      for (const words of simpleCommands(command)) problems.push(...checkCommand(words, made, !kinds(block).includes('needs')));
    }
    expect(problems, label(block)).toEqual([]);
    const toRun = commands.filter((c) => !notRun(c));
    if (toRun.length === 0) return;
    const result = runInShell(toRun);
    expect(result.status, `${label(block)}\n${result.stderr.slice(-3000)}`).toBe(0);
    for (const command of toRun) {
      for (const words of simpleCommands(command)) {
        for (const output of outputsOf(words).filter((o) => !/[{}$]/.test(o))) {
          const path = join(work, output);
          expect(existsSync(path), `${label(block)}: ${output} was not written`).toBe(true);
          expect(realpathSync(path).startsWith(realWork + '/'), `${label(block)}: ${output} was written into the repository`).toBe(true);
          if (statSync(path).isFile()) made.add(output);
        }
      }
    }
  }, 180_000);
});
